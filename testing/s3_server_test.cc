#include "testing/s3_server.h"

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/http/curl_transport.h"
#include "engine/http/http_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using ::webhooks::testing::S3Server;
using ::webhooks::testing::StatusIs;

using Headers = std::vector<std::pair<std::string, std::string>>;

class S3ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CurlTransportOptions options;
    options.allow_private_endpoints = true;  // s3rver listens on loopback.
    absl::StatusOr<std::unique_ptr<CurlTransport>> transport = CurlTransport::Create(options);
    ASSERT_OK(transport.status());
    transport_ = *std::move(transport);
  }

  absl::StatusOr<HttpResponse> Send(std::string method, std::string url, std::string body,
                                    Headers headers = {}) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.body = std::move(body);
    request.headers = std::move(headers);
    std::promise<absl::StatusOr<HttpResponse>> promise;
    std::future<absl::StatusOr<HttpResponse>> future = promise.get_future();
    transport_->Send(std::move(request), [&promise](absl::StatusOr<HttpResponse> response) {
      promise.set_value(std::move(response));
    });
    return future.get();
  }

  S3Server s3_{{"reports", "other"}};
  std::unique_ptr<CurlTransport> transport_;
};

// The <Code> of an S3 XML error body, or "" if there is none.
std::string ErrorCode(const HttpResponse& response) {
  const size_t start = response.body.find("<Code>");
  const size_t end = response.body.find("</Code>");
  if (start == std::string::npos || end == std::string::npos || end < start) return "";
  return response.body.substr(start + 6, end - start - 6);
}

std::string AmzDate() {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
}

// A well-formed SigV4 Authorization header whose signature is not computed from anything.
std::string SigV4Authorization(const std::string& key_id) {
  return absl::StrCat("AWS4-HMAC-SHA256 Credential=", key_id, "/",
                      absl::FormatTime("%Y%m%d", absl::Now(), absl::UTCTimeZone()),
                      "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;"
                      "x-amz-date, Signature=",
                      std::string(64, '0'));
}

TEST_F(S3ServerTest, StartsWithTheBucketsEmpty) {
  EXPECT_EQ(s3_.endpoint(), absl::StrCat("http://127.0.0.1:", s3_.port()));
  EXPECT_THAT(s3_.ListObjects("reports"), IsEmpty());
  EXPECT_THAT(s3_.ListObjects("other"), IsEmpty());
  EXPECT_THAT(s3_.ListObjects("missing"), IsEmpty());

  absl::StatusOr<HttpResponse> list = Send("GET", s3_.endpoint() + "/reports", "");
  ASSERT_OK(list.status());
  EXPECT_EQ(list->status, 200);
}

// s3rver serves requests without credentials as an anonymous user with full access.
TEST_F(S3ServerTest, StoresAnUnsignedPut) {
  const std::string body("id,status\n1,\0ok\n", 16);
  absl::StatusOr<HttpResponse> put = Send("PUT", s3_.endpoint() + "/reports/2026/11/r%201.csv",
                                          body, {{"Content-Type", "text/csv"}});
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 200) << put->body;

  EXPECT_THAT(s3_.ListObjects("reports"), ElementsAre("2026/11/r 1.csv"));
  EXPECT_THAT(s3_.ListObjects("other"), IsEmpty());
  EXPECT_THAT(s3_.ReadObject("reports", "2026/11/r 1.csv"), Optional(body));
  std::optional<std::map<std::string, std::string>> metadata =
      s3_.ReadMetadata("reports", "2026/11/r 1.csv");
  ASSERT_TRUE(metadata.has_value());
  EXPECT_THAT(*metadata, ElementsAre(Pair("content-type", "text/csv")));
}

TEST_F(S3ServerTest, ListsKeysSortedAndDefaultsTheContentType) {
  for (const char* key : {"b", "a/z", "a/b/c", "a"}) {
    absl::StatusOr<HttpResponse> put = Send("PUT", absl::StrCat(s3_.endpoint(), "/reports/", key),
                                            key, {{"x-amz-meta-origin", "test"}});
    ASSERT_OK(put.status());
    ASSERT_EQ(put->status, 200) << put->body;
  }
  EXPECT_THAT(s3_.ListObjects("reports"), ElementsAre("a", "a/b/c", "a/z", "b"));
  EXPECT_THAT(s3_.ReadObject("reports", "a/b/c"), Optional(std::string("a/b/c")));
  EXPECT_THAT(s3_.ReadMetadata("reports", "a"),
              Optional(ElementsAre(Pair("content-type", "binary/octet-stream"),
                                   Pair("x-amz-meta-origin", "test"))));
}

TEST_F(S3ServerTest, MissingObjectsAreNullopt) {
  EXPECT_EQ(s3_.ReadObject("reports", "nothing"), std::nullopt);
  EXPECT_EQ(s3_.ReadMetadata("reports", "nothing"), std::nullopt);
  EXPECT_EQ(s3_.ReadObject("missing", "nothing"), std::nullopt);
}

TEST_F(S3ServerTest, UnknownBucketIs404NoSuchBucket) {
  absl::StatusOr<HttpResponse> put = Send("PUT", s3_.endpoint() + "/missing/report.csv", "x");
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 404);
  EXPECT_EQ(ErrorCode(*put), "NoSuchBucket") << put->body;
  EXPECT_EQ(put->Header("content-type"), "application/xml");
}

// The rest pin down what s3rver 3.7.1 checks of signed requests (see s3_server.h), so that a
// test passing against it is not read as proof of more.

TEST_F(S3ServerTest, SigV4SignatureIsNotVerified) {
  absl::StatusOr<HttpResponse> put =
      Send("PUT", s3_.endpoint() + "/reports/signed", "body",
           {{"Authorization", SigV4Authorization(S3Server::access_key_id())},
            {"x-amz-date", AmzDate()},
            {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
            {"x-amz-security-token", "ignored"}});
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 200) << put->body;
  EXPECT_THAT(s3_.ListObjects("reports"), ElementsAre("signed"));
}

TEST_F(S3ServerTest, SigV4WithAnUnknownKeyIdIs403InvalidAccessKeyId) {
  absl::StatusOr<HttpResponse> put = Send("PUT", s3_.endpoint() + "/reports/signed", "body",
                                          {{"Authorization", SigV4Authorization("AKIDUNKNOWN")},
                                           {"x-amz-date", AmzDate()},
                                           {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}});
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(ErrorCode(*put), "InvalidAccessKeyId") << put->body;
  EXPECT_THAT(s3_.ListObjects("reports"), IsEmpty());
}

TEST_F(S3ServerTest, SigV4WithoutContentSha256Is400InvalidRequest) {
  absl::StatusOr<HttpResponse> put =
      Send("PUT", s3_.endpoint() + "/reports/signed", "body",
           {{"Authorization", SigV4Authorization(S3Server::access_key_id())},
            {"x-amz-date", AmzDate()}});
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 400);
  EXPECT_EQ(ErrorCode(*put), "InvalidRequest") << put->body;
}

TEST_F(S3ServerTest, SigV4WithASkewedDateIs403RequestTimeTooSkewed) {
  absl::StatusOr<HttpResponse> put =
      Send("PUT", s3_.endpoint() + "/reports/signed", "body",
           {{"Authorization", SigV4Authorization(S3Server::access_key_id())},
            {"x-amz-date", "20200101T000000Z"},
            {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}});
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(ErrorCode(*put), "RequestTimeTooSkewed") << put->body;
}

// Signature V2 is verified: s3rver runs without --allow-mismatched-signatures.
TEST_F(S3ServerTest, SigV2MismatchIs403SignatureDoesNotMatch) {
  absl::StatusOr<HttpResponse> put = Send(
      "PUT", s3_.endpoint() + "/reports/v2", "body",
      {{"Authorization", absl::StrCat("AWS ", S3Server::access_key_id(), ":bm90LWEtc2lnbmF0dXJl")},
       {"Date", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(), absl::UTCTimeZone())}});
  ASSERT_OK(put.status());
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(ErrorCode(*put), "SignatureDoesNotMatch") << put->body;
  EXPECT_THAT(s3_.ListObjects("reports"), IsEmpty());
}

TEST(S3ServerLifetimeTest, StopsWhenDestroyed) {
  CurlTransportOptions options;
  options.allow_private_endpoints = true;
  absl::StatusOr<std::unique_ptr<CurlTransport>> transport = CurlTransport::Create(options);
  ASSERT_OK(transport.status());
  std::string endpoint;
  {
    S3Server s3({});
    endpoint = s3.endpoint();
  }
  HttpRequest request;
  request.method = "GET";
  request.url = endpoint + "/";
  std::promise<absl::StatusOr<HttpResponse>> promise;
  (*transport)->Send(request, [&promise](absl::StatusOr<HttpResponse> response) {
    promise.set_value(std::move(response));
  });
  EXPECT_THAT(promise.get_future().get().status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
}

}  // namespace
}  // namespace webhooks
