// GcsStorage against FakeGcp (Google's token endpoint, IAM Credentials and Cloud Storage's
// media upload on loopback) through a real CurlTransport, with a fresh RSA key for this
// server's service account. FakeGcp verifies the JWT's signature, so a wrong key is caught.
#include "engine/cloud_storage/gcs_storage.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/http/curl_transport.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_gcp.h"
#include "testing/fake_transport.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::webhooks::testing::FakeGcp;
using ::webhooks::testing::GcpCall;
using ::webhooks::testing::RsaKeyPair;
using ::webhooks::testing::StatusIs;

constexpr char kServerEmail[] = "webhookd@ts-webhooks.iam.gserviceaccount.com";
constexpr char kUploader[] = "uploader@customer-proj.iam.gserviceaccount.com";
constexpr char kArchiver[] = "archiver@customer-proj.iam.gserviceaccount.com";
constexpr char kStranger[] = "stranger@customer-proj.iam.gserviceaccount.com";
constexpr char kUserAgent[] = "webhookd-test/1.0";
// The external IDs this server issued to two orgs: the customer of bucket "reports" and
// "archive" (org A), and another org (B).
constexpr char kOrgA[] = "webhookd-0a1b2c3d4e5f60718293a4b5c6d7e8f9";
constexpr char kOrgB[] = "webhookd-ffeeddccbbaa99887766554433221100";
const std::string& OwnershipA() {
  static const std::string* const name = new std::string(GcsOwnershipObject(kOrgA));
  return *name;
}

// Generated once per test binary: RSA-2048 key generation takes a while under sanitizers.
const RsaKeyPair& ServerKey() {
  static const RsaKeyPair* const key = new RsaKeyPair(testing::GenerateRsaKey());
  return *key;
}

const RsaKeyPair& OtherKey() {
  static const RsaKeyPair* const key = new RsaKeyPair(testing::GenerateRsaKey());
  return *key;
}

v1::StorageDestination Destination(const std::string& bucket,
                                   const std::string& service_account = kUploader) {
  v1::StorageDestination destination;
  destination.set_storage_type(v1::GCP_GCS);
  v1::GcpGcsConfig* gcs = destination.mutable_storage_config()->mutable_gcp_gcs_config();
  gcs->set_bucket_name(bucket);
  gcs->set_service_account_email(service_account);
  return destination;
}

// The JSON object in a JWT part.
google::protobuf::Struct JwtPart(const std::string& part) {
  std::string json;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(part, &json));
  google::protobuf::Struct object;
  EXPECT_OK(FromJson(json, &object));
  return object;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

// Put() and wait for its answer.
absl::StatusOr<std::vector<absl::Status>> PutAndWait(GcsStorage& storage,
                                                     const v1::StorageDestination& destination,
                                                     std::vector<StorageObject> objects,
                                                     const std::string& org = kOrgA) {
  absl::Notification done;
  absl::StatusOr<std::vector<absl::Status>> result;
  storage.Put(destination, org, std::move(objects),
              [&](absl::StatusOr<std::vector<absl::Status>> answer) {
                result = std::move(answer);
                done.Notify();
              });
  done.WaitForNotification();
  return result;
}

class GcsStorageTest : public ::testing::Test {
 protected:
  static testing::FakeGcpOptions GcpOptionsFor(const Clock& clock) {
    testing::FakeGcpOptions options;
    options.server_email = kServerEmail;
    options.server_public_key_pem = ServerKey().public_key_pem;
    options.impersonable = {kUploader, kArchiver};
    options.buckets = {"reports", "archive"};
    options.writers["reports"] = {kUploader};
    options.writers["archive"] = {kArchiver};
    options.readers["reports"] = {kUploader};
    options.readers["archive"] = {kArchiver, kUploader};
    options.clock = &clock;
    return options;
  }

  void SetUp() override {
    // Org A, which owns both buckets, allows itself in each.
    for (const char* bucket : {"reports", "archive"}) gcp_.PutObject(bucket, OwnershipA(), {});
    CurlTransportOptions transport_options;
    transport_options.allow_private_endpoints = true;  // FakeGcp is on loopback.
    curl_ = CurlTransport::Create(transport_options).value();
  }

  // This server's options, pointed at the fake.
  GcpOptions Options(const std::string& private_key_pem = ServerKey().private_key_pem) {
    GcpOptions options;
    options.client_email = kServerEmail;
    options.private_key_pem = private_key_pem;
    options.token_uri = gcp_.token_url();
    options.iam_credentials_endpoint = gcp_.iam_credentials_url();
    options.storage_endpoint = gcp_.storage_url();
    options.user_agent = kUserAgent;
    return options;
  }

  absl::StatusOr<std::vector<absl::Status>> Put(GcsStorage& storage,
                                                const v1::StorageDestination& destination,
                                                std::vector<StorageObject> objects,
                                                const std::string& org = kOrgA) {
    return PutAndWait(storage, destination, std::move(objects), org);
  }

  // What every refusal before a bucket's ownership object is read says.
  static std::string NotOwned(const std::string& bucket, const std::string& service_account,
                              const std::string& org = kOrgA) {
    return absl::StrCat(
        "GCS bucket ", bucket,
        " is not set up for this org: this server could not read its "
        "object webhookd-bucket-owner/",
        org, " as ", service_account,
        " (grant this server's service account roles/iam.serviceAccountTokenCreator on that "
        "service account, let that account read the object, and create the object; "
        "GET /api/rest/2.0/webhooks/storage-config shows each step)");
  }

  testing::FakeClock clock_;
  FakeGcp gcp_{GcpOptionsFor(clock_)};
  std::unique_ptr<CurlTransport> curl_;
};

TEST_F(GcsStorageTest, ImpersonatesTheServiceAccountAndStoresEveryObject) {
  GcsStorage storage(Options(), *curl_, clock_);
  ASSERT_OK_AND_ASSIGN(
      std::vector<absl::Status> stored,
      Put(storage, Destination("reports"),
          {{"exports/org 1/2026-03-18/ev-1/sales report.csv", "text/csv", "region,total\nEU,3\n"},
           {"exports/org 1/2026-03-18/ev-1/r.pdf", "application/pdf",
            std::string("%PDF\0\xff", 6)}}));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_OK(stored[0]);
  EXPECT_OK(stored[1]);
  EXPECT_THAT(gcp_.ListObjects("reports"),
              ElementsAre("exports/org 1/2026-03-18/ev-1/r.pdf",
                          "exports/org 1/2026-03-18/ev-1/sales report.csv", OwnershipA()));
  const auto csv = gcp_.GetObject("reports", "exports/org 1/2026-03-18/ev-1/sales report.csv");
  ASSERT_TRUE(csv.has_value());
  EXPECT_EQ(csv->content_type, "text/csv");
  EXPECT_EQ(csv->content, "region,total\nEU,3\n");
  const auto pdf = gcp_.GetObject("reports", "exports/org 1/2026-03-18/ev-1/r.pdf");
  ASSERT_TRUE(pdf.has_value());
  EXPECT_EQ(pdf->content_type, "application/pdf");
  EXPECT_EQ(pdf->content, std::string("%PDF\0\xff", 6));

  // One token, one impersonation, the read of the org's ownership object, then the uploads
  // (in either order), each answered 200.
  const std::vector<GcpCall> calls = gcp_.calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].api, GcpCall::kToken);
  EXPECT_EQ(calls[0].resource, kServerEmail);
  EXPECT_EQ(calls[1].api, GcpCall::kGenerateAccessToken);
  EXPECT_EQ(calls[1].resource, kUploader);
  EXPECT_EQ(calls[2].api, GcpCall::kGetObject);
  EXPECT_EQ(calls[2].resource, absl::StrCat("gs://reports/", OwnershipA()));
  for (const GcpCall& call : calls) EXPECT_EQ(call.status, 200) << call.resource;
  EXPECT_EQ(gcp_.CallCount(GcpCall::kUpload), 2);

  const std::vector<testing::ReceivedRequest> requests = gcp_.requests();
  ASSERT_EQ(requests.size(), 5u);
  for (const testing::ReceivedRequest& request : requests) {
    EXPECT_EQ(request.method, &request == &requests[2] ? "GET" : "POST");
    EXPECT_EQ(request.Header("user-agent"), kUserAgent);
  }

  // The token request: a JWT bearer grant, the JWT signed RS256 for the token endpoint.
  const testing::ReceivedRequest& token = requests[0];
  EXPECT_EQ(token.target, "/token");
  EXPECT_EQ(token.Header("content-type"), "application/x-www-form-urlencoded");
  const std::string grant =
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
  ASSERT_THAT(token.body, StartsWith(grant));
  const std::vector<std::string> jwt = absl::StrSplit(token.body.substr(grant.size()), '.');
  ASSERT_EQ(jwt.size(), 3u);
  std::string header;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(jwt[0], &header));
  EXPECT_EQ(header, R"({"alg":"RS256","typ":"JWT"})");
  EXPECT_THAT(token.body.substr(grant.size()), Not(HasSubstr("%")));  // base64url, no padding.
  EXPECT_EQ(ToJson(JwtPart(jwt[1])),
            absl::StrCat(R"({"aud":")", gcp_.token_url(), R"(","exp":)",
                         absl::ToUnixSeconds(clock_.Now()) + 3600, R"(,"iat":)",
                         absl::ToUnixSeconds(clock_.Now()), R"(,"iss":")", kServerEmail,
                         R"(","scope":"https://www.googleapis.com/auth/cloud-platform"})"));

  // The impersonation, with this server's token.
  const testing::ReceivedRequest& iam = requests[1];
  EXPECT_EQ(iam.target,
            "/iamcredentials/v1/projects/-/serviceAccounts/"
            "uploader%40customer-proj.iam.gserviceaccount.com:generateAccessToken");
  EXPECT_EQ(iam.Header("authorization"), "Bearer ya29.fake-server-1");
  EXPECT_EQ(iam.Header("content-type"), "application/json");
  EXPECT_EQ(iam.body, R"({"scope":["https://www.googleapis.com/auth/devstorage.read_write"],)"
                      R"("lifetime":"3600s"})");

  // The ownership read and the uploads, with the service account's token.
  EXPECT_EQ(requests[2].target,
            "/storage/storage/v1/b/reports/o/webhookd-bucket-owner%2F"
            "webhookd-0a1b2c3d4e5f60718293a4b5c6d7e8f9");
  for (size_t i = 2; i < 5; ++i) {
    EXPECT_EQ(requests[i].Header("authorization"), "Bearer ya29.fake-sa-2");
  }
  EXPECT_THAT((std::vector<std::string>{requests[3].target, requests[4].target}),
              ::testing::UnorderedElementsAre(
                  "/storage/upload/storage/v1/b/reports/o?uploadType=media&name="
                  "exports%2Forg%201%2F2026-03-18%2Fev-1%2Fsales%20report.csv",
                  "/storage/upload/storage/v1/b/reports/o?uploadType=media&name="
                  "exports%2Forg%201%2F2026-03-18%2Fev-1%2Fr.pdf"));
}

TEST_F(GcsStorageTest, KeepsTokensUntilFiveMinutesBeforeTheyExpire) {
  GcsStorage storage(Options(), *curl_, clock_);
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);

  // A second upload makes no token or IAM call.
  ASSERT_OK_AND_ASSIGN(stored, Put(storage, Destination("reports"), {{"b", "text/plain", "2"}}));
  EXPECT_OK(stored[0]);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kToken), 1);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGenerateAccessToken), 1);

  // Another service account is impersonated once, with the same server token.
  ASSERT_OK_AND_ASSIGN(stored,
                       Put(storage, Destination("archive", kArchiver), {{"c", "text/plain", "3"}}));
  EXPECT_OK(stored[0]);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kToken), 1);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGenerateAccessToken), 2);

  // 54 minutes on, both tokens are still kept (the server's expires in 3599 s).
  clock_.Advance(absl::Minutes(54));
  ASSERT_OK_AND_ASSIGN(stored, Put(storage, Destination("reports"), {{"d", "text/plain", "4"}}));
  EXPECT_OK(stored[0]);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kToken), 1);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGenerateAccessToken), 2);

  // Within 5 minutes of expiring, both are renewed.
  clock_.Advance(absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(stored, Put(storage, Destination("reports"), {{"e", "text/plain", "5"}}));
  EXPECT_OK(stored[0]);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kToken), 2);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGenerateAccessToken), 3);
  EXPECT_THAT(gcp_.ListObjects("reports"), ElementsAre("a", "b", "d", "e", OwnershipA()));
  EXPECT_THAT(gcp_.ListObjects("archive"), ElementsAre("c", OwnershipA()));
  // Each bucket's ownership object was read once: it vouches for an hour.
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGetObject), 2);
}

TEST_F(GcsStorageTest, JwtSignedWithAnotherKeyIsRefused) {
  GcsStorage storage(Options(OtherKey().private_key_pem), *curl_, clock_);
  const auto stored = Put(storage, Destination("reports"), {{"a", "text/plain", "1"}});
  EXPECT_THAT(stored, StatusIs(absl::StatusCode::kInvalidArgument,
                               Eq(absl::StrCat("GCP OAuth2 token request to ", gcp_.token_url(),
                                               " failed: HTTP 400 invalid_grant: Invalid JWT "
                                               "Signature."))));
  ASSERT_EQ(gcp_.calls().size(), 1u);
  EXPECT_EQ(gcp_.calls()[0].api, GcpCall::kToken);
  EXPECT_EQ(gcp_.calls()[0].status, 400);
  EXPECT_THAT(gcp_.ListObjects("reports"), ElementsAre(OwnershipA()));
}

// The confused deputy: org B names org A's service account and bucket, which A set up for this
// server. B's ID is not in A's bucket, so nothing is written, and B is told exactly what it
// would be told if A had set up nothing at all.
TEST_F(GcsStorageTest, AnotherOrgCannotWriteToABucketThatDoesNotNameIt) {
  GcsStorage storage(Options(), *curl_, clock_);
  EXPECT_THAT(
      Put(storage, Destination("reports"), {{"b/1", "text/plain", "B's"}}, kOrgB),
      StatusIs(absl::StatusCode::kPermissionDenied, Eq(NotOwned("reports", kUploader, kOrgB))));
  EXPECT_THAT(gcp_.ListObjects("reports"), ElementsAre(OwnershipA()));
  EXPECT_EQ(gcp_.CallCount(GcpCall::kUpload), 0);
  EXPECT_EQ(gcp_.calls().back().api, GcpCall::kGetObject);
  EXPECT_EQ(gcp_.calls().back().status, 404);

  // Nothing of that is kept: it is refused again, while org A, and later B once A creates B's
  // object, may write.
  EXPECT_THAT(Put(storage, Destination("reports"), {{"b/1", "text/plain", "B's"}}, kOrgB),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(storage, Destination("reports"), {{"a/1", "text/plain", "A's"}}));
  EXPECT_OK(stored[0]);
  gcp_.PutObject("reports", GcsOwnershipObject(kOrgB), {});
  ASSERT_OK_AND_ASSIGN(stored,
                       Put(storage, Destination("reports"), {{"b/1", "text/plain", "B's"}}, kOrgB));
  EXPECT_OK(stored[0]);
}

// Whether the service account cannot be impersonated, the bucket does not exist, the account
// may not read it, or the object is missing: one answer, which says what to set up.
TEST_F(GcsStorageTest, EveryRefusalBeforeOwnershipIsReadGivesOneAnswer) {
  GcsStorage storage(Options(), *curl_, clock_);
  EXPECT_THAT(Put(storage, Destination("reports", kStranger), {{"a", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kPermissionDenied, Eq(NotOwned("reports", kStranger))));
  EXPECT_THAT(
      Put(storage, Destination("no-such-bucket"), {{"a", "text/plain", "1"}}),
      StatusIs(absl::StatusCode::kPermissionDenied, Eq(NotOwned("no-such-bucket", kUploader))));
  EXPECT_THAT(Put(storage, Destination("reports", kArchiver), {{"a", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kPermissionDenied, Eq(NotOwned("reports", kArchiver))));
  EXPECT_EQ(gcp_.CallCount(GcpCall::kUpload), 0);
  const std::vector<GcpCall> calls = gcp_.calls();
  std::vector<int> answers;
  for (const GcpCall& call : calls) {
    if (call.api != GcpCall::kToken) answers.push_back(call.status);
  }
  // Impersonation refused; impersonated, bucket missing; impersonated, read refused.
  EXPECT_THAT(answers, ElementsAre(403, 200, 404, 200, 403));
}

TEST_F(GcsStorageTest, OwnershipIsReadAgainAfterItsLifetime) {
  GcpOptions options = Options();
  options.ownership_lifetime = absl::Minutes(10);
  GcsStorage storage(options, *curl_, clock_);
  ASSERT_OK(Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}).status());
  clock_.Advance(absl::Minutes(9));
  ASSERT_OK(Put(storage, Destination("reports"), {{"b", "text/plain", "2"}}).status());
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGetObject), 1);
  clock_.Advance(absl::Minutes(1));
  ASSERT_OK(Put(storage, Destination("reports"), {{"c", "text/plain", "3"}}).status());
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGetObject), 2);
}

TEST_F(GcsStorageTest, BucketTheServiceAccountMayNotWrite) {
  GcsStorage storage(Options(), *curl_, clock_);
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(storage, Destination("archive"), {{"k", "text/plain", "1"}}));
  EXPECT_THAT(stored, ElementsAre(StatusIs(
                          absl::StatusCode::kPermissionDenied,
                          Eq("GCS upload of gs://archive/k failed: HTTP 403: "
                             "uploader@customer-proj.iam.gserviceaccount.com does not have "
                             "storage.objects.create access to the Google Cloud Storage "
                             "object."))));
  EXPECT_THAT(gcp_.ListObjects("archive"), ElementsAre(OwnershipA()));
}

TEST_F(GcsStorageTest, WithoutCredentialsNothingIsSent) {
  GcpOptions options = Options();
  options.client_email.clear();
  options.private_key_pem.clear();
  GcsStorage storage(options, *curl_, clock_);
  EXPECT_THAT(Put(storage, Destination("reports"), {{"k", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       Eq("this server has no GCP service account to impersonate the storage "
                          "service account with (set --gcp_credentials_file)")));

  // As the server starts without --gcp_credentials_file.
  ASSERT_OK_AND_ASSIGN(GcpOptions none, LoadGcpServiceAccount(""));
  EXPECT_EQ(none.client_email, "");
  EXPECT_EQ(none.token_uri, "https://oauth2.googleapis.com/token");
  GcsStorage unconfigured(none, *curl_, clock_);
  EXPECT_THAT(
      Put(unconfigured, Destination("reports"), {}),
      StatusIs(absl::StatusCode::kFailedPrecondition, StartsWith("this server has no GCP")));
  EXPECT_THAT(gcp_.requests(), IsEmpty());
}

TEST_F(GcsStorageTest, RefusesAwsDestinations) {
  GcsStorage storage(Options(), *curl_, clock_);
  v1::StorageDestination destination;
  destination.set_storage_type(v1::AWS_S3);
  destination.mutable_storage_config()->mutable_aws_s3_config()->set_bucket_name("reports");
  EXPECT_THAT(Put(storage, destination, {{"k", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("GcsStorage stores GCP_GCS storage destinations, not AWS_S3")));
  EXPECT_THAT(gcp_.requests(), IsEmpty());
}

TEST_F(GcsStorageTest, RevokedTokensAreDroppedSoTheNextTryGetsNewOnes) {
  GcsStorage storage(Options(), *curl_, clock_);
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);
  gcp_.RevokeTokens();

  // Cloud Storage refuses the kept service-account token: it is dropped.
  ASSERT_OK_AND_ASSIGN(stored, Put(storage, Destination("reports"), {{"b", "text/plain", "2"}}));
  EXPECT_THAT(stored, ElementsAre(StatusIs(absl::StatusCode::kUnavailable,
                                           Eq("GCS upload of gs://reports/b failed: HTTP 401: "
                                              "Invalid Credentials"))));
  // IAM refuses the kept server token: it is dropped.
  EXPECT_THAT(
      Put(storage, Destination("reports"), {{"b", "text/plain", "2"}}),
      StatusIs(absl::StatusCode::kUnavailable,
               Eq("GCP IAM generateAccessToken for uploader@customer-proj.iam.gserviceaccount.com "
                  "failed: HTTP 401 UNAUTHENTICATED: Request had invalid authentication "
                  "credentials. Expected OAuth 2 access token, login cookie or other valid "
                  "authentication credential. See "
                  "https://developers.google.com/identity/sign-in/web/devconsole-project.")));
  // Both are obtained anew.
  ASSERT_OK_AND_ASSIGN(stored, Put(storage, Destination("reports"), {{"b", "text/plain", "2"}}));
  EXPECT_OK(stored[0]);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kToken), 2);
  EXPECT_EQ(gcp_.CallCount(GcpCall::kGenerateAccessToken), 3);
  EXPECT_THAT(gcp_.ListObjects("reports"), ElementsAre("a", "b", OwnershipA()));
}

TEST_F(GcsStorageTest, ThrottlingAndServerErrorsMayPass) {
  GcsStorage storage(Options(), *curl_, clock_);
  testing::ScriptedResponse unavailable;
  unavailable.status = 503;
  unavailable.headers = {{"Content-Type", "application/json; charset=UTF-8"}};
  unavailable.body = R"({"error":{"code":503,"message":"The service is currently unavailable.",)"
                     R"("status":"UNAVAILABLE"}})";
  gcp_.receiver().Enqueue(unavailable);
  EXPECT_THAT(Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kUnavailable,
                       Eq(absl::StrCat("GCP OAuth2 token request to ", gcp_.token_url(),
                                       " failed: HTTP 503 UNAVAILABLE: The service is currently "
                                       "unavailable."))));

  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);

  testing::ScriptedResponse throttled;
  throttled.status = 429;
  throttled.body =
      R"({"error":{"code":429,"message":"The rate of change requests to the object reports/a )"
      R"(exceeds the rate limit.","errors":[{"message":"The rate of change requests to the )"
      R"(object reports/a exceeds the rate limit.","domain":"usageLimits",)"
      R"("reason":"rateLimitExceeded"}]}})";
  gcp_.receiver().Enqueue(throttled);
  ASSERT_OK_AND_ASSIGN(stored, Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}));
  EXPECT_THAT(stored, ElementsAre(StatusIs(absl::StatusCode::kUnavailable,
                                           Eq("GCS upload of gs://reports/a failed: HTTP 429: "
                                              "The rate of change requests to the object "
                                              "reports/a exceeds the rate limit."))));
}

TEST_F(GcsStorageTest, TransportErrorsKeepTheirCode) {
  GcpOptions options = Options();
  options.timeout = absl::Seconds(1);
  GcsStorage storage(options, *curl_, clock_);
  gcp_.receiver().Enqueue(testing::ScriptedResponse::Hang());
  EXPECT_THAT(Put(storage, Destination("reports"), {{"a", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       StartsWith(absl::StrCat("GCP OAuth2 token request to ", gcp_.token_url(),
                                               " failed: "))));
}

TEST_F(GcsStorageTest, MessagesNeverCarryKeysJwtsOrTokens) {
  GcsStorage storage(Options(OtherKey().private_key_pem), *curl_, clock_);
  const auto refused = Put(storage, Destination("reports"), {{"a", "text/plain", "1"}});
  ASSERT_FALSE(refused.ok());
  GcsStorage good(Options(), *curl_, clock_);
  ASSERT_OK(Put(good, Destination("reports"), {{"a", "text/plain", "1"}}).status());
  gcp_.RevokeTokens();
  const auto revoked = Put(good, Destination("reports"), {{"a", "text/plain", "1"}});
  ASSERT_OK(revoked.status());
  for (const std::string& message :
       {std::string(refused.status().message()), std::string((*revoked)[0].message())}) {
    EXPECT_THAT(message, Not(HasSubstr("ya29.")));
    EXPECT_THAT(message, Not(HasSubstr("eyJ")));  // A base64url JSON object: a JWT part.
    EXPECT_THAT(message, Not(HasSubstr("PRIVATE KEY")));
  }
}

// A transport that answers inside Send(), on the caller's thread (as CurlTransport does after
// its destruction began), with Google's default endpoints.
TEST(GcsStorageSynchronousTest, AnswersOnTheCallingThreadAndDefaultEndpoints) {
  testing::FakeClock clock;
  bool token_in_answer = false;
  int upload_status = 200;
  testing::FakeTransport transport([&](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    HttpResponse response;
    response.status = 200;
    if (request.url == "https://oauth2.googleapis.com/token") {
      response.body = token_in_answer
                          ? R"({"access_token":"ya29.s","expires_in":3599,"token_type":"Bearer"})"
                          : R"({"token_type":"Bearer"})";
    } else if (absl::StartsWith(request.url, "https://iamcredentials.googleapis.com/")) {
      response.body = R"({"accessToken":"ya29.c","expireTime":"2100-01-01T00:00:00Z"})";
    } else {
      response.status = upload_status;
      response.body = "<html><title>Unauthorized</title></html>";
    }
    return response;
  });
  GcpOptions options;
  options.client_email = kServerEmail;
  options.private_key_pem = ServerKey().private_key_pem;
  GcsStorage storage(options, transport, clock);

  EXPECT_THAT(PutAndWait(storage, Destination("reports"), {{"a", "text/plain", "1"}}),
              StatusIs(absl::StatusCode::kUnavailable,
                       Eq("GCP OAuth2 token request to https://oauth2.googleapis.com/token "
                          "failed: HTTP 200 without an access_token")));

  token_in_answer = true;
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       PutAndWait(storage, Destination("reports"), {{"a b", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);
  std::vector<HttpRequest> requests = transport.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[2].url,
            "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
            "uploader%40customer-proj.iam.gserviceaccount.com:generateAccessToken");
  EXPECT_EQ(requests[3].url,
            "https://storage.googleapis.com/storage/v1/b/reports/o/webhookd-bucket-owner%2F"
            "webhookd-0a1b2c3d4e5f60718293a4b5c6d7e8f9");
  EXPECT_EQ(requests[4].url,
            "https://storage.googleapis.com/upload/storage/v1/b/reports/o?uploadType=media&"
            "name=a%20b");
  for (const HttpRequest& request : requests) {
    EXPECT_EQ(request.method, &request == &requests[3] ? "GET" : "POST");
    EXPECT_TRUE(request.operator_endpoint) << request.url;
    EXPECT_EQ(request.timeout, absl::Seconds(60)) << request.url;
  }

  // A 401 while the token is kept (the lock is not held while answering from the cache).
  upload_status = 401;
  ASSERT_OK_AND_ASSIGN(stored,
                       PutAndWait(storage, Destination("reports"), {{"a", "text/plain", "1"}}));
  EXPECT_THAT(stored, ElementsAre(StatusIs(absl::StatusCode::kUnavailable,
                                           Eq("GCS upload of gs://reports/a failed: HTTP 401"))));
  upload_status = 200;
  ASSERT_OK_AND_ASSIGN(stored,
                       PutAndWait(storage, Destination("reports"), {{"a", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);
  requests = transport.requests();
  ASSERT_EQ(requests.size(), 8u);
  EXPECT_EQ(requests[6].url, requests[2].url);  // Impersonated again; the server token is kept.
}

class LoadGcpServiceAccountTest : public GcsStorageTest {};

TEST_F(LoadGcpServiceAccountTest, ReadsGooglesKeyFileFormat) {
  const std::string file = WriteFile(
      "key.json",
      testing::ServiceAccountKeyJson(kServerEmail, ServerKey().private_key_pem, gcp_.token_url()));
  ASSERT_OK_AND_ASSIGN(GcpOptions options, LoadGcpServiceAccount(file));
  EXPECT_EQ(options.client_email, kServerEmail);
  EXPECT_EQ(options.private_key_pem, ServerKey().private_key_pem);
  EXPECT_EQ(options.token_uri, gcp_.token_url());
  EXPECT_EQ(options.iam_credentials_endpoint, "https://iamcredentials.googleapis.com");
  EXPECT_EQ(options.storage_endpoint, "https://storage.googleapis.com");

  // And they work.
  options.iam_credentials_endpoint = gcp_.iam_credentials_url();
  options.storage_endpoint = gcp_.storage_url();
  GcsStorage storage(options, *curl_, clock_);
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(storage, Destination("reports"), {{"k", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);
}

TEST_F(LoadGcpServiceAccountTest, TokenUriDefaultsToGoogles) {
  google::protobuf::Struct key;
  ASSERT_OK(FromJson(testing::ServiceAccountKeyJson(kServerEmail, ServerKey().private_key_pem, "x"),
                     &key));
  key.mutable_fields()->erase("token_uri");
  ASSERT_OK_AND_ASSIGN(GcpOptions options,
                       LoadGcpServiceAccount(WriteFile("no-token-uri.json", ToJson(key))));
  EXPECT_EQ(options.token_uri, "https://oauth2.googleapis.com/token");
}

TEST_F(LoadGcpServiceAccountTest, NamesTheFileAndTheMissingField) {
  for (const std::string field : {"client_email", "private_key"}) {
    google::protobuf::Struct key;
    ASSERT_OK(FromJson(testing::ServiceAccountKeyJson(kServerEmail, ServerKey().private_key_pem,
                                                      "https://oauth2.googleapis.com/token"),
                       &key));
    key.mutable_fields()->erase(field);
    const std::string file = WriteFile(absl::StrCat("no-", field, ".json"), ToJson(key));
    const auto loaded = LoadGcpServiceAccount(file);
    EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kInvalidArgument,
                                 Eq(absl::StrCat(file, " has no ", field))));
    EXPECT_THAT(loaded.status().message(), Not(HasSubstr("PRIVATE KEY")));
  }
}

TEST_F(LoadGcpServiceAccountTest, RefusesOtherCredentialTypes) {
  const std::string file = WriteFile(
      "adc.json",
      R"({"type":"authorized_user","client_id":"764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.)"
      R"(apps.googleusercontent.com","client_secret":"d-FL95Q19q7MQmFpd7hHD0Ty",)"
      R"("refresh_token":"1//0gSECRETREFRESHTOKEN"})");
  const auto loaded = LoadGcpServiceAccount(file);
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kInvalidArgument,
                               Eq(absl::StrCat(file,
                                               " is not a GCP service account key: its type is "
                                               "\"authorized_user\", not \"service_account\""))));

  const std::string untyped = WriteFile("untyped.json", R"({"client_email":"a@b.c"})");
  EXPECT_THAT(LoadGcpServiceAccount(untyped),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(absl::StrCat(untyped,
                                       " is not a GCP service account key: its type is missing, "
                                       "not \"service_account\""))));
}

TEST_F(LoadGcpServiceAccountTest, RefusesUnreadableFilesAndKeys) {
  const std::string missing = absl::StrCat(std::getenv("TEST_TMPDIR"), "/missing.json");
  EXPECT_THAT(LoadGcpServiceAccount(missing),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(absl::StrCat("cannot read GCP service account key file ", missing))));

  const std::string not_json =
      WriteFile("not-json.json", absl::StrCat("private_key = ", ServerKey().private_key_pem));
  const auto parsed = LoadGcpServiceAccount(not_json);
  EXPECT_THAT(parsed, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith(absl::StrCat(
                                   not_json, " is not a GCP service account key: invalid JSON"))));
  EXPECT_THAT(parsed.status().message(), Not(HasSubstr("PRIVATE KEY")));

  const std::string bad_key = WriteFile(
      "bad-key.json",
      testing::ServiceAccountKeyJson(
          kServerEmail, "-----BEGIN PRIVATE KEY-----\nTm90QUtleQ==\n-----END PRIVATE KEY-----\n",
          "https://oauth2.googleapis.com/token"));
  const auto loaded = LoadGcpServiceAccount(bad_key);
  EXPECT_THAT(loaded,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq(absl::StrCat(bad_key, ": private_key is not a PEM RSA private key"))));
}

}  // namespace
}  // namespace webhooks
