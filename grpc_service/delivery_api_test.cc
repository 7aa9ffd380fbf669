// Delivery through webhookd's APIs: PublishEvent over gRPC, then the history and validate
// REST paths, with a fake transport standing in for the receiver.
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc_service/rest_types.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/delivery_repair_service.grpc.pb.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/fake_transport.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::RestPost;
using ::webhooks::testing::TestEnvironment;

class DeliveryApiTest : public ::testing::Test {
 protected:
  DeliveryApiTest()
      : transport_([this](const HttpRequest&) {
          HttpResponse response;
          response.status = receiver_status_.load();
          return absl::StatusOr<HttpResponse>(response);
        }),
        env_(TestEnvironment::kInProcess, {}, nullptr, &transport_),
        stub_(v1::WebhookService::NewStub(env_.server().InProcessChannel())) {}

  RestResponse Handle(const RestRequest& request) {
    return env_.server().gateway().Handle(request);
  }

  grpc::Status Publish(absl::string_view token, v1::PublishEventResponse* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    v1::PublishEventRequest request;
    request.set_org_identifier("testOrg1");
    request.mutable_run()->mutable_schedule()->set_scheduleid("sch-1");
    request.mutable_run()->mutable_schedule()->set_name("Daily sales");
    request.mutable_run()->set_liveboard_id("lb-1");
    request.mutable_run()->set_liveboard_name("Sales");
    return stub_->PublishEvent(&context, request, response);
  }

  // testOrg1's webhook "hook", created over REST.
  RestResponse CreateHook() {
    return Handle(RestPost("/api/rest/2.0/webhooks/create",
                           R"({"name":"hook","url":"https://r.example/hook",
                               "events":["LIVEBOARD_SCHEDULE"]})",
                           kUserATestOrg1Token));
  }

  std::atomic<int> receiver_status_{200};
  testing::FakeTransport transport_;
  TestEnvironment env_;
  std::unique_ptr<v1::WebhookService::Stub> stub_;
};

TEST_F(DeliveryApiTest, PublishedEventsShowInTheHistory) {
  ASSERT_EQ(CreateHook().status, 200);
  v1::PublishEventResponse published;
  ASSERT_TRUE(Publish(kAdminToken, &published).ok());
  ASSERT_EQ(published.outcome(), v1::PublishEventResponse::QUEUED);
  env_.engine().RunDueDeliveries();
  ASSERT_EQ(transport_.request_count(), 1u);
  EXPECT_EQ(transport_.requests()[0].url, "https://r.example/hook");

  const RestResponse history =
      Handle(RestPost("/api/rest/2.0/jobs/history/communication-channels/search",
                      R"({"channel_type":"WEBHOOK","channel_identifiers":["hook"],
          "events":[{"type":"LIVEBOARD_SCHEDULE","identifier":"sch-1"}]})",
                      kUserATestOrg1Token));
  EXPECT_EQ(history.status, 200);
  EXPECT_EQ(history.body,
            absl::StrCat(R"({"jobs":[{"id":")", published.job_id(),
                         R"(","status":"SUCCESS","creation_time_in_millis":1773824614455,)"
                         R"("event":{"type":"LIVEBOARD_SCHEDULE","id":"sch-1",)"
                         R"("name":"Daily sales","run_id":null},"recipients":null,)"
                         R"("detail":"","try_count":1}]})"));
}

TEST_F(DeliveryApiTest, PublishingNeedsAdministration) {
  v1::PublishEventResponse published;
  const grpc::Status status = Publish(kUserATestOrg1Token, &published);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "Insufficient privileges to publish events: requires ADMINISTRATION.");
  // With no webhook in the org, nothing is queued and the answer says why.
  ASSERT_TRUE(Publish(kAdminToken, &published).ok());
  EXPECT_EQ(published.outcome(), v1::PublishEventResponse::NO_WEBHOOK);
  EXPECT_EQ(published.reason(), "org 'testOrg1' has no LIVEBOARD_SCHEDULE webhook");
}

TEST_F(DeliveryApiTest, ValidateAnswersThoughtSpotsShape) {
  ASSERT_EQ(CreateHook().status, 200);
  const RestResponse validated = Handle(RestPost(
      "/api/rest/2.0/system/communication-channels/validate",
      R"({"channel_type":"WEBHOOK","channel_identifier":"hook","event_type":"LIVEBOARD_SCHEDULE"})",
      kUserATestOrg1Token));
  EXPECT_EQ(validated.status, 200);
  EXPECT_EQ(validated.Header("content-type"), "application/json");
  EXPECT_EQ(NormalizeUuids(validated.body),
            R"({"channel_type":"WEBHOOK","channel_id":"<uuid>","channel_name":"hook",)"
            R"("event_type":"LIVEBOARD_SCHEDULE","job_id":"n.validation-<uuid>",)"
            R"("result_code":"SUCCESS","details":[{"validation_step":"HTTP_CONNECTION_CHECK",)"
            R"("status":"SUCCESS","http_status":200,"error_message":null,"aws_s3_info":null,)"
            R"("gcp_gcs_info":null}]})");
}

TEST_F(DeliveryApiTest, HistoryOutlivesTheWebhookUntilTheRetentionEnds) {
  const RestResponse created = CreateHook();
  ASSERT_EQ(created.status, 200);
  ASSERT_TRUE(absl::StartsWith(created.body, R"({"id":")"));
  const std::string webhook_id = created.body.substr(7, 36);  // A UUID.
  v1::PublishEventResponse published;
  ASSERT_TRUE(Publish(kAdminToken, &published).ok());
  env_.engine().RunDueDeliveries();
  ASSERT_EQ(Handle(RestPost("/api/rest/2.0/webhooks/delete", R"({"webhook_identifiers":["hook"]})",
                            kUserATestOrg1Token))
                .status,
            200);

  const std::string search =
      absl::StrCat(R"({"channel_type":"WEBHOOK","channel_identifiers":[")", webhook_id,
                   R"("],"events":[{"type":"LIVEBOARD_SCHEDULE"}]})");
  const std::string job =
      absl::StrCat(R"({"id":")", published.job_id(),
                   R"(","status":"SUCCESS","creation_time_in_millis":1773824614455,)"
                   R"("event":{"type":"LIVEBOARD_SCHEDULE","id":"sch-1",)"
                   R"("name":"Daily sales","run_id":null},"recipients":null,)"
                   R"("detail":"","try_count":1})");
  RestResponse history = Handle(RestPost("/api/rest/2.0/jobs/history/communication-channels/search",
                                         search, kUserATestOrg1Token));
  EXPECT_EQ(history.status, 200);
  EXPECT_EQ(history.body, absl::StrCat(R"({"jobs":[)", job, "]}"));

  // Three days after the job, it is gone.
  env_.clock().Advance(absl::Hours(72) + absl::Milliseconds(1));
  history = Handle(RestPost("/api/rest/2.0/jobs/history/communication-channels/search", search,
                            kUserATestOrg1Token));
  EXPECT_EQ(history.status, 200);
  EXPECT_EQ(history.body, R"({"jobs":[]})");
}

TEST_F(DeliveryApiTest, ValidateAndHistoryTakeOnlyTheWebhookChannel) {
  ASSERT_EQ(CreateHook().status, 200);
  const RestResponse validate = Handle(RestPost(
      "/api/rest/2.0/system/communication-channels/validate",
      R"({"channel_type":"EMAIL","channel_identifier":"hook","event_type":"LIVEBOARD_SCHEDULE"})",
      kUserATestOrg1Token));
  EXPECT_EQ(validate.status, 400);
  EXPECT_EQ(NormalizeUuids(validate.body),
            R"({"error":{"message":{"code":10002,"incident_id_guid":"<uuid>",)"
            R"("trace_id_guid":"<uuid>","debug":"channel_type must be WEBHOOK, not EMAIL: only )"
            R"(WEBHOOK is supported"}}})");
  const RestResponse history = Handle(RestPost(
      "/api/rest/2.0/jobs/history/communication-channels/search",
      R"({"channel_type":"EMAIL","channel_identifiers":["hook"],"events":[{"type":"LIVEBOARD_SCHEDULE"}]})",
      kUserATestOrg1Token));
  EXPECT_EQ(history.status, 400);
  EXPECT_EQ(NormalizeUuids(history.body),
            R"({"error":{"message":{"code":10002,"incident_id_guid":"<uuid>",)"
            R"("trace_id_guid":"<uuid>","debug":"channel_type must be WEBHOOK, not EMAIL: only )"
            R"(WEBHOOK is supported"}}})");
  EXPECT_EQ(transport_.request_count(), 0u);  // Nothing was sent.
}

TEST_F(DeliveryApiTest, HistoryErrorsUseThoughtSpotsBody) {
  const RestResponse missing = Handle(RestPost(
      "/api/rest/2.0/jobs/history/communication-channels/search", "{}", kUserATestOrg1Token));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(NormalizeUuids(missing.body),
            R"({"error":{"message":{"code":10002,"incident_id_guid":"<uuid>",)"
            R"("trace_id_guid":"<uuid>","debug":"channel_type must be specified. Currently )"
            R"(only WEBHOOK is supported."}}})");
  const RestResponse unknown = Handle(RestPost(
      "/api/rest/2.0/system/communication-channels/validate",
      R"({"channel_type":"WEBHOOK","channel_identifier":"nope","event_type":"LIVEBOARD_SCHEDULE"})",
      kUserATestOrg1Token));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("'nope' was not found"));
}

// webhookd's extension: redeliver and replay, at /api/webhookd/v1/ and over gRPC.
TEST_F(DeliveryApiTest, RedeliversAndReplaysFailedDeliveries) {
  ASSERT_EQ(CreateHook().status, 200);
  receiver_status_ = 410;
  v1::PublishEventResponse published;
  ASSERT_TRUE(Publish(kAdminToken, &published).ok());
  env_.engine().RunDueDeliveries();
  const std::string job = published.job_id();
  const std::string record_head = absl::StrCat(R"({"id":")", job, R"(","status":")");
  const std::string record_event =
      R"(","creation_time_in_millis":1773824614455,"event":{"type":"LIVEBOARD_SCHEDULE",)"
      R"("id":"sch-1","name":"Daily sales","run_id":null},"recipients":null,"detail":")";

  const RestResponse redelivered = Handle(RestPost(
      absl::StrCat("/api/webhookd/v1/jobs/", job, "/redeliver"), "{}", kUserATestOrg1Token));
  EXPECT_EQ(redelivered.status, 200);
  EXPECT_EQ(redelivered.Header("content-type"), "application/json");
  EXPECT_EQ(redelivered.body,
            absl::StrCat(record_head, "PENDING", record_event,
                         R"(redelivery requested by UserA@example.com","try_count":1})"));
  receiver_status_ = 200;
  env_.engine().RunDueDeliveries();
  ASSERT_EQ(transport_.request_count(), 2u);
  EXPECT_EQ(transport_.requests()[1].body, transport_.requests()[0].body);

  // Delivered: nothing is left to replay, and a second redelivery is refused.
  auto repair = v1::DeliveryRepairService::NewStub(env_.server().InProcessChannel());
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kUserATestOrg1Token));
  v1::ReplayFailedJobsRequest replay;
  replay.set_webhook_identifier("hook");
  v1::ReplayFailedJobsResponse replayed;
  const grpc::Status replay_status = repair->ReplayFailedJobs(&context, replay, &replayed);
  ASSERT_TRUE(replay_status.ok()) << replay_status.error_message();
  EXPECT_EQ(replayed.jobs_size(), 0);
  const RestResponse again = Handle(RestPost(
      absl::StrCat("/api/webhookd/v1/jobs/", job, "/redeliver"), "{}", kUserATestOrg1Token));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(NormalizeUuids(again.body),
            absl::StrCat(R"({"error":{"message":{"code":10002,"incident_id_guid":"<uuid>",)"
                         R"("trace_id_guid":"<uuid>","debug":"job ')",
                         NormalizeUuids(job),
                         R"(' is SUCCESS; only a FAILED delivery can be redelivered"}}})"));
  const RestResponse empty =
      Handle(RestPost("/api/webhookd/v1/webhooks/hook/replay",
                      R"({"start_epoch_time_in_millis":0})", kUserATestOrg1Token));
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, R"({"jobs":[]})");
  EXPECT_EQ(Handle(RestPost("/api/webhookd/v1/webhooks/hook/replay", "{}", "")).status, 401);
}

}  // namespace
}  // namespace webhooks
