// Storage destinations end to end: S3Storage against a real S3-compatible server (s3rver on
// loopback) through a stand-in STS, and the engine delivering an event's files there and the
// manifest to a real receiver. s3rver checks the shape of SigV4 requests (key id, headers,
// payload hash header, clock skew) but not the signature itself; aws_sigv4_test checks that
// against AWS's published vectors.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/base/clock.h"
#include "engine/base/json_codec.h"
#include "engine/cloud_storage/aws_sigv4.h"
#include "engine/cloud_storage/s3_storage.h"
#include "engine/http/curl_transport.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/completion_counter.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/fake_clock.h"
#include "testing/fake_sts.h"
#include "testing/fake_transport.h"
#include "testing/http_receiver.h"
#include "testing/s3_server.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::webhooks::testing::CompletionCounter;
using ::webhooks::testing::StatusIs;

constexpr char kRole[] = "arn:aws:iam::123456789012:role/WebhookDelivery";
// The engines here use kServerKey; kExternalId is org "0"'s OrgExternalId under it.
constexpr char kServerKey[] = "e2e-server-key";
constexpr char kExternalId[] = "webhookd-a5c9a7307c4ce17dc2b3f024cb44e3b1";
constexpr char kServerKeyId[] = "AKIAWEBHOOKDEXAMPLE";

testing::FakeStsOptions StsOptions() {
  testing::FakeStsOptions options;
  options.caller_access_key_id = kServerKeyId;
  options.roles[kRole] = kExternalId;
  // s3rver knows one key pair; the role's temporary credentials are that pair.
  options.credentials.access_key_id = testing::S3Server::access_key_id();
  options.credentials.secret_access_key = testing::S3Server::secret_access_key();
  return options;
}

v1::StorageDestination Destination(const std::string& bucket,
                                   const std::string& external_id = kExternalId) {
  v1::StorageDestination destination;
  destination.set_storage_type(v1::AWS_S3);
  v1::AwsS3Config* s3 = destination.mutable_storage_config()->mutable_aws_s3_config();
  s3->set_bucket_name(bucket);
  s3->set_region("us-west-2");
  s3->set_role_arn(kRole);
  s3->set_external_id(external_id);
  return destination;
}

class StorageEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CurlTransportOptions transport_options;
    transport_options.allow_private_endpoints = true;  // The receiver is on loopback.
    curl_ = CurlTransport::Create(transport_options).value();
    counter_ = std::make_unique<CompletionCounter>(*curl_);
    AwsOptions aws;
    aws.credentials = {kServerKeyId, "server-secret", ""};
    aws.sts_endpoint = sts_.url();
    aws.s3_endpoint = s3_.endpoint();
    aws.path_style = true;
    // s3rver refuses requests signed more than 15 minutes from its clock: sign with the real one.
    storage_ = std::make_unique<S3Storage>(aws, *counter_, *SystemClock());
  }

  // Put() and wait for its answer.
  absl::StatusOr<std::vector<absl::Status>> Put(const v1::StorageDestination& destination,
                                                std::vector<StorageObject> objects,
                                                const std::string& org_external_id = kExternalId) {
    absl::Notification done;
    absl::StatusOr<std::vector<absl::Status>> result;
    storage_->Put(destination, org_external_id, std::move(objects),
                  [&](absl::StatusOr<std::vector<absl::Status>> answer) {
                    result = std::move(answer);
                    done.Notify();
                  });
    done.WaitForNotification();
    return result;
  }

  testing::S3Server s3_{{"reports"}};
  testing::FakeSts sts_{StsOptions()};
  std::unique_ptr<CompletionCounter> counter_;
  std::unique_ptr<S3Storage> storage_;
  // Last, so it is stopped first: its thread may still be inside a callback of the two above.
  std::unique_ptr<CurlTransport> curl_;
};

TEST_F(StorageEndToEndTest, AssumesTheRoleOnceAndStoresEveryObject) {
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(Destination("reports"), {{"org/1/a b.csv", "text/csv", "x,y\n"},
                                                    {"org/1/r.pdf", "application/pdf", "%PDF"}}));
  EXPECT_OK(stored[0]);
  EXPECT_OK(stored[1]);
  EXPECT_THAT(s3_.ListObjects("reports"), ElementsAre("org/1/a b.csv", "org/1/r.pdf"));
  EXPECT_EQ(s3_.ReadObject("reports", "org/1/a b.csv"), "x,y\n");
  EXPECT_EQ(s3_.ReadMetadata("reports", "org/1/r.pdf")->at("content-type"), "application/pdf");

  ASSERT_EQ(sts_.calls().size(), 1u);
  EXPECT_EQ(sts_.calls()[0].at("RoleArn"), kRole);
  EXPECT_EQ(sts_.calls()[0].at("ExternalId"), kExternalId);
  EXPECT_EQ(sts_.calls()[0].at("RoleSessionName"), "webhookd-webhook-delivery");
  EXPECT_EQ(sts_.calls()[0].at("DurationSeconds"), "3600");
  // Neither s3rver nor the stand-in recompute SigV4 signatures (aws_sigv4_test checks the
  // signer against AWS's vectors); this checks that what arrived is what was signed: the same
  // host, headers and body.
  const testing::ReceivedRequest received = sts_.requests()[0];
  HttpRequest resigned;
  resigned.url = sts_.url();
  resigned.body = received.body;
  for (const auto& [name, value] : received.headers) {
    if (name == "content-type" || name == "user-agent") resigned.headers.emplace_back(name, value);
  }
  absl::Time signed_at;
  std::string error;
  const std::string date = received.Header("x-amz-date");  // 20261128T081500Z
  ASSERT_EQ(date.size(), 16u);
  ASSERT_TRUE(absl::ParseTime(
      absl::RFC3339_sec,
      absl::StrCat(date.substr(0, 4), "-", date.substr(4, 2), "-", date.substr(6, 5), ":",
                   date.substr(11, 2), ":", date.substr(13)),
      &signed_at, &error))
      << error;
  engine_internal::SignRequest({kServerKeyId, "server-secret", ""}, "us-west-2", "sts", signed_at,
                               /*s3=*/false, resigned);
  EXPECT_THAT(resigned.headers, Contains(Pair("Authorization", received.Header("authorization"))));

  // The role's credentials are kept: a second upload does not assume it again.
  ASSERT_OK_AND_ASSIGN(stored, Put(Destination("reports"), {{"k", "text/plain", "1"}}));
  EXPECT_OK(stored[0]);
  EXPECT_EQ(sts_.calls().size(), 1u);
}

TEST_F(StorageEndToEndTest, WrongExternalIdIsAccessDenied) {
  EXPECT_THAT(Put(Destination("reports"), {{"k", "text/plain", "1"}}, "not-the-external-id"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("AWS STS AssumeRole of ", kRole,
                                    " failed: HTTP 403 AccessDenied: User: "
                                    "arn:aws:iam::111122223333:user/webhooks is not authorized to "
                                    "perform: sts:AssumeRole on resource: ",
                                    kRole)));
  EXPECT_TRUE(s3_.ListObjects("reports").empty());

  // The org's ID is the one sent, whatever the destination says: another org that copies this
  // org's external ID into its destination still assumes the role with its own.
  EXPECT_THAT(Put(Destination("reports", kExternalId), {{"k", "text/plain", "1"}},
                  "webhookd-another-orgs-id"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_EQ(sts_.calls().back().at("ExternalId"), "webhookd-another-orgs-id");
  EXPECT_TRUE(s3_.ListObjects("reports").empty());
}

TEST_F(StorageEndToEndTest, MissingBucketIsNotFound) {
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(Destination("no-such-bucket"), {{"k", "text/plain", "1"}}));
  EXPECT_THAT(stored[0], StatusIs(absl::StatusCode::kNotFound,
                                  "S3 PutObject of s3://no-such-bucket/k failed: HTTP 404 "
                                  "NoSuchBucket: The specified bucket does not exist"));
}

TEST_F(StorageEndToEndTest, CredentialsTheBucketRefusesAreAccessDenied) {
  testing::TemporaryCredentials unknown;  // A key id s3rver does not know.
  sts_.SetCredentials(unknown);
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> stored,
                       Put(Destination("reports"), {{"k", "text/plain", "1"}}));
  EXPECT_THAT(stored[0], StatusIs(absl::StatusCode::kPermissionDenied,
                                  HasSubstr("S3 PutObject of s3://reports/k failed: HTTP 403 "
                                            "InvalidAccessKeyId")));
}

TEST(S3StorageTest, WithoutServerCredentialsNothingIsTried) {
  testing::FakeClock clock;
  testing::FakeTransport transport;
  S3Storage storage(AwsOptions(), transport, clock);
  absl::StatusOr<std::vector<absl::Status>> result;
  storage.Put(Destination("reports"), kExternalId, {{"k", "text/plain", "1"}},
              [&](absl::StatusOr<std::vector<absl::Status>> answer) { result = answer; });
  EXPECT_EQ(transport.request_count(), 0u);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition,
                               "this server has no AWS credentials to assume the storage role "
                               "with (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                               "--aws_credentials_file)"));
}

TEST(S3StorageTest, ExpiredSessionIsDroppedAndTheRoleAssumedAgain) {
  testing::FakeClock clock;
  int assumed = 0;
  int puts = 0;
  // Answers inside Send(), so a lock held around a callback would deadlock here. The first
  // PutObject succeeds; the next one finds the session expired.
  testing::FakeTransport transport([&](const HttpRequest& request) {
    HttpResponse response;
    if (request.method == "POST") {
      ++assumed;
      response.status = 200;
      response.body =
          "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
          "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
          "<Expiration>2100-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult>"
          "</AssumeRoleResponse>";
    } else if (++puts == 1) {
      response.status = 200;
    } else {
      response.status = 400;
      response.body =
          "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message>"
          "</Error>";
    }
    return absl::StatusOr<HttpResponse>(response);
  });
  AwsOptions aws;
  aws.credentials = {kServerKeyId, "server-secret", ""};
  S3Storage storage(aws, transport, clock);
  absl::StatusOr<std::vector<absl::Status>> result;
  const auto keep = [&](absl::StatusOr<std::vector<absl::Status>> answer) { result = answer; };
  storage.Put(Destination("reports"), kExternalId, {{"k", "text/plain", "1"}}, keep);
  ASSERT_OK(result.status());
  EXPECT_OK((*result)[0]);
  storage.Put(Destination("reports"), kExternalId, {{"k", "text/plain", "1"}},
              keep);  // The cached session.
  ASSERT_OK(result.status());
  EXPECT_EQ(assumed, 1);
  EXPECT_THAT((*result)[0], StatusIs(absl::StatusCode::kUnavailable,
                                     "S3 PutObject of s3://reports/k failed: HTTP 400 "
                                     "ExpiredToken: The provided token has expired."));
  storage.Put(Destination("reports"), kExternalId, {{"k", "text/plain", "1"}}, keep);
  EXPECT_EQ(assumed, 2);
  EXPECT_EQ(transport.requests()[0].url, "https://sts.us-west-2.amazonaws.com/");
  EXPECT_EQ(transport.requests()[1].url, "https://reports.s3.us-west-2.amazonaws.com/k");
}

TEST(LoadAwsCredentialsTest, EnvironmentFirstThenTheFilesProfile) {
  const std::string file = absl::StrCat(::testing::TempDir(), "/aws-credentials");
  std::ofstream(file) << "[default]\naws_access_key_id = AKIADEFAULT\n"
                         "aws_secret_access_key = default-secret\n\n"
                         "[deliveries]\naws_access_key_id=AKIADELIVERIES\n"
                         "aws_secret_access_key=deliveries-secret\naws_session_token=token\n"
                         "[broken]\naws_access_key_id=AKIAONLY\n";
  unsetenv("AWS_ACCESS_KEY_ID");
  ASSERT_OK_AND_ASSIGN(engine_internal::AwsCredentials loaded,
                       LoadAwsCredentials(file, "deliveries"));
  EXPECT_EQ(loaded.access_key_id, "AKIADELIVERIES");
  EXPECT_EQ(loaded.secret_access_key, "deliveries-secret");
  EXPECT_EQ(loaded.session_token, "token");
  EXPECT_THAT(LoadAwsCredentials(file, "missing"),
              StatusIs(absl::StatusCode::kInvalidArgument, file + " has no [missing] profile"));
  EXPECT_THAT(LoadAwsCredentials(file, "broken"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       file + " [broken] needs aws_access_key_id and aws_secret_access_key"));
  ASSERT_OK_AND_ASSIGN(loaded, LoadAwsCredentials("", "default"));
  EXPECT_TRUE(loaded.access_key_id.empty());

  setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  ASSERT_OK_AND_ASSIGN(loaded, LoadAwsCredentials(file, "deliveries"));
  EXPECT_EQ(loaded.access_key_id, "AKIAENV");
  EXPECT_EQ(loaded.secret_access_key, "env-secret");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_THAT(LoadAwsCredentials(file, "deliveries"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
  unsetenv("AWS_ACCESS_KEY_ID");
}

// The engine: publish, upload, POST the manifest; validate both steps.
class StorageDeliveryTest : public StorageEndToEndTest {
 protected:
  void SetUp() override {
    StorageEndToEndTest::SetUp();
    harness_.options().delivery.transport = counter_.get();
    harness_.options().delivery.storage = storage_.get();
    harness_.options().delivery.storage_identity_key = kServerKey;
    ASSERT_OK(harness_.StartEngine());
  }

  // The external ID is left out: the engine fills in the org's.
  void CreateWebhook(const std::string& bucket = "reports") {
    v1::CreateWebhookRequest request;
    ASSERT_OK(FromJson(absl::StrCat(R"({"name":"w","url":")", receiver_.url("/hook"),
                                    R"(","events":["LIVEBOARD_SCHEDULE"],
        "storage_destination":{"storage_type":"AWS_S3","storage_config":{"aws_s3_config":{
            "bucket_name":")",
                                    bucket, R"(","region":"us-west-2","role_arn":")", kRole,
                                    R"(","path_prefix":"webhook-deliveries/"}}}})"),
                       &request));
    ASSERT_OK(harness_.engine().CreateWebhook(admin_, request).status());
  }

  v1::ValidateCommunicationChannelResponse Validate() {
    v1::ValidateCommunicationChannelRequest request;
    request.set_channel_type(v1::WEBHOOK);
    request.set_channel_identifier("w");
    request.set_event_type(v1::LIVEBOARD_SCHEDULE);
    return harness_.engine().ValidateCommunicationChannel(admin_, request).value();
  }

  testing::HttpReceiver receiver_;
  // A member of the derived fixture, so the engine is destroyed before the base's transports
  // and storage, which it uses.
  testing::EngineHarness harness_{{testing::MakeOrg("0", "Primary")},
                                  absl::FromUnixSeconds(1773824614)};  // 2026-03-18T09:03:34Z.
  const Principal admin_ = harness_.AdminOf("Primary");
};

TEST_F(StorageDeliveryTest, FilesLandInTheBucketAndTheReceiverGetsTheirKeys) {
  CreateWebhook();
  v1::PublishEventRequest event;
  ASSERT_OK(FromJson(R"({"run":{"schedule":{"scheduleId":"sch-1","name":"Daily"},
      "liveboard_id":"lb-1","liveboard_name":"Sales"},
      "files":[{"name":"sales.pdf","mime_type":"application/pdf","content":"JVBERi0xLjQK"},
               {"name":"sales.csv","mime_type":"text/csv","content":"YSxiCg=="}]})",
                     &event));
  ASSERT_OK_AND_ASSIGN(v1::PublishEventResponse published,
                       harness_.engine().PublishEvent(admin_, event));
  const std::string& job_id = published.job_id();
  harness_.engine().RunDueDeliveries();
  ASSERT_TRUE(counter_->WaitFor(4));  // AssumeRole, two PutObjects, the POST.

  const std::string prefix = absl::StrCat("webhook-deliveries/0/2026-03-18/", job_id, "/");
  EXPECT_THAT(s3_.ListObjects("reports"), ElementsAre(prefix + "sales.csv", prefix + "sales.pdf"));
  EXPECT_EQ(s3_.ReadObject("reports", prefix + "sales.pdf"), "%PDF-1.4\n");
  ASSERT_EQ(receiver_.requests().size(), 1u);
  const std::string body = receiver_.requests()[0].body;
  EXPECT_THAT(body, Not(HasSubstr("%PDF-1.4")));
  EXPECT_THAT(body, HasSubstr(absl::StrCat(
                        R"({"files":[{"filename":"sales.pdf","contentType":"application/pdf",)",
                        R"("size":9,"provider":"AWS_S3","bucketName":"reports",)",
                        R"("region":"us-west-2","objectKey":")", prefix,
                        R"(sales.pdf","uploadStatus":"SUCCESS"},)",
                        R"({"filename":"sales.csv","contentType":"text/csv","size":4,)",
                        R"("provider":"AWS_S3","bucketName":"reports","region":"us-west-2",)",
                        R"("objectKey":")", prefix, R"(sales.csv","uploadStatus":"SUCCESS"}]})")));

  v1::SearchChannelHistoryRequest history;
  history.set_channel_type(v1::WEBHOOK);
  history.add_job_ids(job_id);
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelHistoryResponse found,
                       harness_.engine().SearchChannelHistory(admin_, history));
  ASSERT_EQ(found.jobs_size(), 1);
  EXPECT_EQ(found.jobs(0).status(), v1::ChannelHistoryJob::SUCCESS);
  const DeliveryStats stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.aws_s3_uploads.succeeded, 2u);
  EXPECT_EQ(stats.aws_s3_uploads.failed, 0u);
  EXPECT_EQ(stats.gcp_gcs_uploads.succeeded + stats.gcp_gcs_uploads.failed, 0u);
}

TEST_F(StorageDeliveryTest, MissingBucketFailsTheDeliveryWithTheReason) {
  CreateWebhook("no-such-bucket");
  v1::PublishEventRequest event;
  ASSERT_OK(FromJson(R"({"run":{"schedule":{"scheduleId":"sch-1","name":"Daily"},
      "liveboard_id":"lb-1","liveboard_name":"Sales"},
      "files":[{"name":"sales.csv","mime_type":"text/csv","content":"YSxiCg=="}]})",
                     &event));
  ASSERT_OK_AND_ASSIGN(v1::PublishEventResponse published,
                       harness_.engine().PublishEvent(admin_, event));
  harness_.engine().RunDueDeliveries();
  ASSERT_TRUE(counter_->WaitFor(3));  // AssumeRole, the PutObject, the POST of the manifest.

  v1::SearchChannelHistoryRequest history;
  history.set_channel_type(v1::WEBHOOK);
  history.add_job_ids(published.job_id());
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelHistoryResponse found,
                       harness_.engine().SearchChannelHistory(admin_, history));
  ASSERT_EQ(found.jobs_size(), 1);
  EXPECT_EQ(found.jobs(0).status(), v1::ChannelHistoryJob::FAILED);
  const std::string refusal = absl::StrCat(
      "S3 PutObject of s3://no-such-bucket/webhook-deliveries/0/2026-03-18/", published.job_id(),
      "/sales.csv failed: HTTP 404 NoSuchBucket: The specified bucket does not exist");
  const std::string error = absl::StrCat("all file uploads failed (1 files): ", refusal);
  EXPECT_EQ(found.jobs(0).detail(), error);
  // The receiver learns of it from the manifest.
  ASSERT_EQ(receiver_.requests().size(), 1u);
  EXPECT_THAT(receiver_.requests()[0].body,
              HasSubstr(absl::StrCat(
                  R"({"files":[{"filename":"sales.csv","contentType":"text/csv","size":4,)",
                  R"("provider":"AWS_S3","uploadStatus":"FAILED","errorMessage":")", refusal,
                  R"("}],"error":")", error, R"("})")));
  const DeliveryStats stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.aws_s3_uploads.succeeded, 0u);
  EXPECT_EQ(stats.aws_s3_uploads.failed, 1u);
}

TEST_F(StorageDeliveryTest, ValidateReportsBothSteps) {
  CreateWebhook();
  const v1::ValidateCommunicationChannelResponse response = Validate();
  EXPECT_EQ(response.result_code(), v1::ValidateCommunicationChannelResponse::SUCCESS);
  ASSERT_EQ(response.details_size(), 2);
  EXPECT_EQ(response.details(0).status(), v1::ChannelValidationDetail::SUCCESS);
  const v1::ChannelValidationDetail& storage = response.details(1);
  EXPECT_EQ(storage.validation_step(), v1::ChannelValidationDetail::STORAGE_FILE_UPLOAD_CHECK);
  EXPECT_EQ(storage.status(), v1::ChannelValidationDetail::SUCCESS);
  EXPECT_EQ(storage.aws_s3_info().bucket_name(), "reports");
  EXPECT_EQ(storage.aws_s3_info().file_name(), "validation_dummy_20260318_090334.pdf");
  const std::string key = absl::StrCat("webhook-deliveries/0/2026-03-18/", response.job_id(),
                                       "/validation_dummy_20260318_090334.pdf");
  EXPECT_EQ(storage.aws_s3_info().object_key(), key);
  EXPECT_THAT(s3_.ListObjects("reports"), ElementsAre(key));
  EXPECT_EQ(harness_.engine().GetDeliveryStats().aws_s3_uploads.succeeded, 1u);
}

TEST_F(StorageDeliveryTest, ValidateAgainstARoleForAnotherExternalIdIsPartialSuccess) {
  // The role trusts kExternalId; a server with another key derives another ID for the org, as
  // it would for another org: AWS refuses the AssumeRole.
  harness_.options().delivery.storage_identity_key = "another-server-key";
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook();
  const v1::ValidateCommunicationChannelResponse response = Validate();
  EXPECT_EQ(response.result_code(), v1::ValidateCommunicationChannelResponse::PARTIAL_SUCCESS);
  ASSERT_EQ(response.details_size(), 2);
  EXPECT_EQ(response.details(1).status(), v1::ChannelValidationDetail::FAILED);
  EXPECT_THAT(
      response.details(1).error_message(),
      HasSubstr(absl::StrCat("AWS STS AssumeRole of ", kRole, " failed: HTTP 403 AccessDenied")));
  EXPECT_TRUE(s3_.ListObjects("reports").empty());
  // The role could not be assumed, so no upload started: the file counts as failed.
  const DeliveryStats stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.aws_s3_uploads.succeeded, 0u);
  EXPECT_EQ(stats.aws_s3_uploads.failed, 1u);
}

}  // namespace
}  // namespace webhooks
