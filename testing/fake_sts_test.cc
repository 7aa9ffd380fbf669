#include "testing/fake_sts.h"

#include <future>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/http/curl_transport.h"
#include "engine/http/http_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/http_receiver.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::webhooks::testing::FakeSts;
using ::webhooks::testing::FakeStsOptions;
using ::webhooks::testing::ScriptedResponse;
using ::webhooks::testing::TemporaryCredentials;

constexpr char kRole[] = "arn:aws:iam::111122223333:role/uploads/webhooks-upload";
constexpr char kOpenRole[] = "arn:aws:iam::111122223333:role/open";
constexpr char kCaller[] = "AKIDCALLER";
constexpr char kAmzDate[] = "20261128T070000Z";

FakeStsOptions Options() {
  FakeStsOptions options;
  options.caller_access_key_id = kCaller;
  options.caller_arn = "arn:aws:iam::444455556666:user/webhooks";
  options.roles[kRole] = "ext-123";
  options.roles[kOpenRole] = "";
  options.credentials.access_key_id = "ASIATEMP";
  options.credentials.secret_access_key = "temp/secret+key";
  options.credentials.session_token = "token&more";
  options.credentials.expiration =
      absl::FromCivil(absl::CivilSecond(2026, 11, 28, 8, 0, 0), absl::UTCTimeZone());
  return options;
}

std::string Authorization(const std::string& key_id = kCaller,
                          const std::string& scope = "20261128/us-east-1/sts/aws4_request") {
  return absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=", key_id, "/", scope,
      ", SignedHeaders=content-type;host;x-amz-date, Signature=", std::string(64, 'a'));
}

std::string Form(const std::string& role, const std::string& external_id,
                 const std::string& session = "webhooks-1", const std::string& duration = "900") {
  std::string form = absl::StrCat("Action=AssumeRole&Version=2011-06-15&RoleArn=", role,
                                  "&RoleSessionName=", session, "&DurationSeconds=", duration);
  if (!external_id.empty()) absl::StrAppend(&form, "&ExternalId=", external_id);
  return form;
}

// The text of the first <name> element of `xml`, or "" if there is none.
std::string Element(const std::string& xml, const std::string& name) {
  const std::string open = absl::StrCat("<", name, ">");
  const size_t start = xml.find(open);
  const size_t end = xml.find(absl::StrCat("</", name, ">"));
  if (start == std::string::npos || end == std::string::npos || end < start) return "";
  return xml.substr(start + open.size(), end - start - open.size());
}

class FakeStsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CurlTransportOptions options;
    options.allow_private_endpoints = true;  // The fake listens on loopback.
    options.max_response_body = 64 * 1024;
    absl::StatusOr<std::unique_ptr<CurlTransport>> transport = CurlTransport::Create(options);
    ASSERT_OK(transport.status());
    transport_ = *std::move(transport);
  }

  HttpResponse Post(std::string body, std::string authorization = Authorization(),
                    std::string amz_date = kAmzDate, std::string method = "POST") {
    HttpRequest request;
    request.method = std::move(method);
    request.url = sts_.url();
    request.body = std::move(body);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    if (!amz_date.empty()) request.headers.emplace_back("X-Amz-Date", amz_date);
    if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
    std::promise<absl::StatusOr<HttpResponse>> promise;
    transport_->Send(std::move(request), [&promise](absl::StatusOr<HttpResponse> response) {
      promise.set_value(std::move(response));
    });
    absl::StatusOr<HttpResponse> response = promise.get_future().get();
    EXPECT_OK(response.status());
    return response.ok() ? *std::move(response) : HttpResponse();
  }

  FakeSts sts_{Options()};
  std::unique_ptr<CurlTransport> transport_;
};

TEST_F(FakeStsTest, AssumeRoleReturnsTheCredentialsAsAwsDoes) {
  const HttpResponse response = Post(Form(kRole, "ext-123"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-type"), "text/xml");
  EXPECT_EQ(response.Header("x-amzn-requestid"), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(response.body,
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
            "  <AssumeRoleResult>\n"
            "    <AssumedRoleUser>\n"
            "      <Arn>arn:aws:sts::111122223333:assumed-role/webhooks-upload/webhooks-1</Arn>\n"
            "      <AssumedRoleId>AROAFAKESTSEXAMPLEID0:webhooks-1</AssumedRoleId>\n"
            "    </AssumedRoleUser>\n"
            "    <Credentials>\n"
            "      <AccessKeyId>ASIATEMP</AccessKeyId>\n"
            "      <SecretAccessKey>temp/secret+key</SecretAccessKey>\n"
            "      <SessionToken>token&amp;more</SessionToken>\n"
            "      <Expiration>2026-11-28T08:00:00Z</Expiration>\n"
            "    </Credentials>\n"
            "  </AssumeRoleResult>\n"
            "  <ResponseMetadata>\n"
            "    <RequestId>00000000-0000-4000-8000-000000000001</RequestId>\n"
            "  </ResponseMetadata>\n"
            "</AssumeRoleResponse>\n");

  ASSERT_EQ(sts_.calls().size(), 1);
  EXPECT_THAT(sts_.calls()[0],
              ElementsAre(Pair("Action", "AssumeRole"), Pair("DurationSeconds", "900"),
                          Pair("ExternalId", "ext-123"), Pair("RoleArn", kRole),
                          Pair("RoleSessionName", "webhooks-1"), Pair("Version", "2011-06-15")));
  EXPECT_EQ(sts_.requests()[0].Header("authorization"), Authorization());
}

TEST_F(FakeStsTest, FormFieldsArePercentDecoded) {
  const HttpResponse response =
      Post(Form("arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fopen", "", "a%2Bb%40c"));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Element(response.body, "AssumedRoleId"), "AROAFAKESTSEXAMPLEID0:a+b@c");
  EXPECT_EQ(sts_.calls()[0].at("RoleArn"), kOpenRole);
}

TEST_F(FakeStsTest, RoleWithoutExternalIdAcceptsAnyOrNone) {
  EXPECT_EQ(Post(Form(kOpenRole, "")).status, 200);
  EXPECT_EQ(Post(Form(kOpenRole, "whatever")).status, 200);
}

TEST_F(FakeStsTest, SetCredentialsChangesLaterAnswers) {
  TemporaryCredentials rotated;
  rotated.access_key_id = "ASIAROTATED";
  sts_.SetCredentials(rotated);
  const HttpResponse response = Post(Form(kRole, "ext-123"));
  EXPECT_EQ(Element(response.body, "AccessKeyId"), "ASIAROTATED");
  EXPECT_EQ(Element(response.body, "Expiration"), "2100-01-01T00:00:00Z");
}

TEST_F(FakeStsTest, WrongExternalIdIs403AccessDenied) {
  for (const std::string& external_id : {std::string("ext-456"), std::string()}) {
    const HttpResponse response = Post(Form(kRole, external_id));
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(response.body,
              "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
              "  <Error>\n"
              "    <Type>Sender</Type>\n"
              "    <Code>AccessDenied</Code>\n"
              "    <Message>User: arn:aws:iam::444455556666:user/webhooks is not authorized to "
              "perform: sts:AssumeRole on resource: "
              "arn:aws:iam::111122223333:role/uploads/webhooks-upload</Message>\n"
              "  </Error>\n"
              "  <RequestId>" +
                  response.Header("x-amzn-requestid") +
                  "</RequestId>\n"
                  "</ErrorResponse>\n");
  }
}

TEST_F(FakeStsTest, UnknownRoleIs403AccessDenied) {
  const HttpResponse response = Post(Form("arn:aws:iam::111122223333:role/other", ""));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(Element(response.body, "Code"), "AccessDenied");
  EXPECT_THAT(Element(response.body, "Message"),
              HasSubstr("on resource: arn:aws:iam::111122223333:role/other"));
}

TEST_F(FakeStsTest, MissingAuthorizationIs403MissingAuthenticationToken) {
  const HttpResponse response = Post(Form(kRole, "ext-123"), /*authorization=*/"");
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(Element(response.body, "Code"), "MissingAuthenticationToken");
  EXPECT_EQ(Element(response.body, "Message"), "Request is missing Authentication Token");
  // Recorded all the same.
  ASSERT_EQ(sts_.calls().size(), 1);
  EXPECT_EQ(sts_.calls()[0].at("RoleArn"), kRole);
}

TEST_F(FakeStsTest, MalformedAuthorizationIs400IncompleteSignature) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"AWS AKIDCALLER:c2lnbmF0dXJl", kAmzDate},
      {"AWS4-HMAC-SHA256 Credential=AKIDCALLER/20261128/us-east-1/sts/aws4_request", kAmzDate},
      {"AWS4-HMAC-SHA256 Credential=AKIDCALLER/sts/aws4_request, SignedHeaders=host, "
       "Signature=00",
       kAmzDate},
      {Authorization(), ""},  // No X-Amz-Date.
  };
  for (const auto& [authorization, amz_date] : cases) {
    const HttpResponse response = Post(Form(kRole, "ext-123"), authorization, amz_date);
    EXPECT_EQ(response.status, 400) << authorization;
    EXPECT_EQ(Element(response.body, "Code"), "IncompleteSignature") << authorization;
  }
}

TEST_F(FakeStsTest, UnknownKeyIdIs403InvalidClientTokenId) {
  const HttpResponse response = Post(Form(kRole, "ext-123"), Authorization("AKIDOTHER"));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(Element(response.body, "Code"), "InvalidClientTokenId");
}

TEST_F(FakeStsTest, WrongScopeIs403SignatureDoesNotMatch) {
  for (const char* scope :
       {"20261128/us-east-1/s3/aws4_request", "20261127/us-east-1/sts/aws4_request"}) {
    const HttpResponse response = Post(Form(kRole, "ext-123"), Authorization(kCaller, scope));
    EXPECT_EQ(response.status, 403) << scope;
    EXPECT_EQ(Element(response.body, "Code"), "SignatureDoesNotMatch") << scope;
  }
}

TEST_F(FakeStsTest, OnlyPostIsServed) {
  const HttpResponse response =
      Post(Form(kRole, "ext-123"), Authorization(), kAmzDate, /*method=*/"PUT");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(Element(response.body, "Code"), "MethodNotAllowed");
}

TEST_F(FakeStsTest, ActionAndVersionAreChecked) {
  HttpResponse response = Post("Version=2011-06-15&RoleArn=x");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Element(response.body, "Code"), "MissingAction");

  response = Post("Action=GetCallerIdentity&Version=2011-06-15");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Element(response.body, "Code"), "InvalidAction");
  EXPECT_EQ(Element(response.body, "Message"),
            "Could not find operation GetCallerIdentity for version 2011-06-15");

  response = Post("Action=AssumeRole&RoleArn=x");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Element(response.body, "Message"),
            "Could not find operation AssumeRole for version NO_VERSION_SPECIFIED");
}

TEST_F(FakeStsTest, ParameterConstraintsAre400ValidationError) {
  HttpResponse response = Post(Form(kRole, "ext-123", "bad/name"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Element(response.body, "Code"), "ValidationError");
  EXPECT_EQ(Element(response.body, "Message"),
            "1 validation error detected: Value 'bad/name' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "[\\w+=,.@-]*");

  response = Post("Action=AssumeRole&Version=2011-06-15&RoleSessionName=" + std::string(65, 's'));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Element(response.body, "Message"),
            "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: "
            "Member must not be null; Value '" +
                std::string(65, 's') +
                "' at 'roleSessionName' failed to satisfy constraint: Member must have length "
                "less than or equal to 64");

  response = Post(Form(kRole, "ext-123", "x"));
  EXPECT_THAT(Element(response.body, "Message"),
              HasSubstr("Member must have length greater than or equal to 2"));

  EXPECT_EQ(Post(Form(kRole, "ext-123", "webhooks-1", "43200")).status, 200);
  response = Post(Form(kRole, "ext-123", "webhooks-1", "899"));
  EXPECT_THAT(Element(response.body, "Message"),
              HasSubstr("Value '899' at 'durationSeconds' failed to satisfy constraint: Member "
                        "must have value greater than or equal to 900"));
  response = Post(Form(kRole, "ext-123", "webhooks-1", "soon"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Element(response.body, "Code"), "InvalidParameterValue");
}

// Scripted responses come first, then the fake answers again.
TEST_F(FakeStsTest, ScriptedFailuresGoFirst) {
  ScriptedResponse unavailable;
  unavailable.status = 503;
  sts_.receiver().Enqueue(unavailable);
  EXPECT_EQ(Post(Form(kRole, "ext-123")).status, 503);
  EXPECT_EQ(Post(Form(kRole, "ext-123")).status, 200);
  EXPECT_EQ(sts_.calls().size(), 2);
}

}  // namespace
}  // namespace webhooks
