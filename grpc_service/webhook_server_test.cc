// WebhookServer's options, each in a server on loopback ports chosen at run time.
#include "grpc_service/webhook_server.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/base/json_codec.h"
#include "gmock/gmock.h"
#include "grpc_service/status_mapping.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::RestPost;
using ::webhooks::testing::StatusIs;
using ::webhooks::testing::TestEnvironment;

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

// Asks reflection for the list of services, as one message on its stream; how the call ends.
grpc::Status ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  grpc::Slice request_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::ByteBuffer reply;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 grpc::StubOptions(), &request, &reply, [&](grpc::Status call_status) {
                   status = std::move(call_status);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

TEST(WebhookServerTest, ReflectionIsOnByDefault) {
  TestEnvironment env(TestEnvironment::kListen);
  EXPECT_EQ(ListServices(ChannelTo(env.server().grpc_port())).error_code(), grpc::StatusCode::OK);
}

TEST(WebhookServerTest, ReflectionCanBeTurnedOff) {
  WebhookServerOptions options;
  options.grpc_reflection = false;
  TestEnvironment env(TestEnvironment::kListen, options);
  EXPECT_EQ(ListServices(ChannelTo(env.server().grpc_port())).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

// A receiver that answers 200 (tests here never run the deliveries they queue).
testing::FakeTransport* Receiver() {
  static auto* const transport = new testing::FakeTransport([](const HttpRequest&) {
    HttpResponse ok;
    ok.status = 200;
    return absl::StatusOr<HttpResponse>(ok);
  });
  return transport;
}

// A run of testOrg1's schedule "sch-1" whose name (and so history record) takes `name_bytes`.
v1::PublishEventRequest ScheduleRun(size_t name_bytes = 10) {
  v1::PublishEventRequest request;
  request.set_org_identifier("testOrg1");
  request.mutable_run()->mutable_schedule()->set_scheduleid("sch-1");
  request.mutable_run()->mutable_schedule()->set_name(std::string(name_bytes, 'n'));
  request.mutable_run()->set_liveboard_id("lb-1");
  request.mutable_run()->set_liveboard_name("Sales");
  return request;
}

// testOrg1's webhook "hook", created over REST.
void CreateHook(TestEnvironment& env) {
  const RestResponse created = env.server().gateway().Handle(
      RestPost("/api/rest/2.0/webhooks/create",
               R"({"name":"hook","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})",
               kUserATestOrg1Token));
  ASSERT_EQ(created.status, 200) << created.body;
}

grpc::Status Publish(const std::shared_ptr<grpc::Channel>& channel,
                     const v1::PublishEventRequest& request, v1::PublishEventResponse* response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
  return v1::WebhookService::NewStub(channel)->PublishEvent(&context, request, response);
}

// The documented most of an event's files, 25 MB, in two files.
v1::PublishEventRequest LargestEvent() {
  v1::PublishEventRequest request = ScheduleRun();
  v1::EventFile* pdf = request.add_files();
  pdf->set_name("sales.pdf");
  pdf->set_mime_type("application/pdf");
  pdf->set_content(std::string(20 * 1000 * 1000, 'p'));
  v1::EventFile* csv = request.add_files();
  csv->set_name("sales.csv");
  csv->set_mime_type("text/csv");
  csv->set_content(std::string(5 * 1000 * 1000, 'c'));
  return request;
}

TEST(WebhookServerTest, TwentyFiveMegabytesOfFilesPassOverGrpc) {
  TestEnvironment env(TestEnvironment::kListen, {}, nullptr, Receiver());
  CreateHook(env);
  v1::PublishEventResponse response;
  const grpc::Status status =
      Publish(ChannelTo(env.server().grpc_port()), LargestEvent(), &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(response.outcome(), v1::PublishEventResponse::QUEUED);
}

TEST(WebhookServerTest, TwentyFiveMegabytesOfFilesPassThroughTheInProcessChannel) {
  TestEnvironment env(TestEnvironment::kInProcess, {}, nullptr, Receiver());
  CreateHook(env);
  v1::PublishEventResponse response;
  const grpc::Status status = Publish(env.server().InProcessChannel(), LargestEvent(), &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(response.outcome(), v1::PublishEventResponse::QUEUED);
}

// 1,100 jobs of about 5 kB each: more than gRPC's default 4 MiB even when cut to the newest
// 1,000, which is what the REST answer holds.
TEST(WebhookServerTest, HistoryOfABusyWebhookIsTheNewestThousandJobs) {
  TestEnvironment env(TestEnvironment::kInProcess, {}, nullptr, Receiver());
  CreateHook(env);
  std::vector<std::string> job_ids;
  for (int i = 0; i < 1100; ++i) {
    env.clock().Advance(absl::Milliseconds(1));
    v1::PublishEventResponse response;
    ASSERT_TRUE(
        Publish(env.server().InProcessChannel(), ScheduleRun(/*name_bytes=*/5000), &response).ok());
    ASSERT_EQ(response.outcome(), v1::PublishEventResponse::QUEUED);
    job_ids.push_back(response.job_id());
  }
  const RestResponse history = env.server().gateway().Handle(
      RestPost("/api/rest/2.0/jobs/history/communication-channels/search",
               R"({"channel_type":"WEBHOOK","channel_identifiers":["hook"],
                   "events":[{"type":"LIVEBOARD_SCHEDULE"}]})",
               kUserATestOrg1Token));
  ASSERT_EQ(history.status, 200) << history.body.substr(0, 300);
  EXPECT_GT(history.body.size(), size_t{4} << 20);
  v1::SearchChannelHistoryResponse jobs;
  ASSERT_OK(FromJson(history.body, &jobs));
  ASSERT_EQ(jobs.jobs_size(), 1000);
  EXPECT_EQ(jobs.jobs(0).id(), job_ids[1099]);
  EXPECT_EQ(jobs.jobs(999).id(), job_ids[100]);
}

// A receiver that holds each request until `release`.
struct HangingReceiver {
  HangingReceiver()
      : transport([this](const HttpRequest&) {
          entered.Notify();
          release.WaitForNotification();
          HttpResponse ok;
          ok.status = 200;
          return absl::StatusOr<HttpResponse>(ok);
        }) {}
  absl::Notification entered;
  absl::Notification release;
  testing::FakeTransport transport;
};

constexpr absl::string_view kValidate = "/api/rest/2.0/system/communication-channels/validate";
constexpr absl::string_view kValidateHook =
    R"({"channel_type":"WEBHOOK","channel_identifier":"hook","event_type":"LIVEBOARD_SCHEDULE"})";

TEST(WebhookServerTest, ValidationsOverTheBoundAre429AndOtherCallsGoOn) {
  HangingReceiver receiver;
  WebhookServerOptions options;
  options.max_concurrent_validations = 1;
  TestEnvironment env(TestEnvironment::kListen, options, nullptr, &receiver.transport);
  CreateHook(env);
  const RestGateway& gateway = env.server().gateway();
  RestResponse first;
  std::thread hanging(
      [&] { first = gateway.Handle(RestPost(kValidate, kValidateHook, kUserATestOrg1Token)); });
  receiver.entered.WaitForNotification();

  const RestResponse refused =
      gateway.Handle(RestPost(kValidate, kValidateHook, kUserATestOrg1Token));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(NormalizeUuids(refused.body),
            R"({"error":{"message":{"code":10002,"incident_id_guid":"<uuid>",)"
            R"("trace_id_guid":"<uuid>","debug":"Too many validations in progress (at most 1); )"
            R"(retry later."}}})");
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kUserATestOrg1Token));
  v1::ValidateCommunicationChannelRequest request;
  ASSERT_OK(FromJson(kValidateHook, &request));
  v1::ValidateCommunicationChannelResponse ignored;
  EXPECT_EQ(v1::WebhookService::NewStub(ChannelTo(env.server().grpc_port()))
                ->ValidateCommunicationChannel(&context, request, &ignored)
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Other calls are served meanwhile.
  EXPECT_EQ(
      gateway.Handle(RestPost("/api/rest/2.0/webhooks/search", "{}", kUserATestOrg1Token)).status,
      200);

  receiver.release.Notify();
  hanging.join();
  EXPECT_EQ(first.status, 200) << first.body;
}

TEST(WebhookServerTest, ValidationStopsWaitingAtTheCallersDeadline) {
  HangingReceiver receiver;
  WebhookServerOptions options;
  options.max_concurrent_validations = 1;
  TestEnvironment env(TestEnvironment::kInProcess, options, nullptr, &receiver.transport);
  CreateHook(env);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kUserATestOrg1Token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  v1::ValidateCommunicationChannelRequest request;
  ASSERT_OK(FromJson(kValidateHook, &request));
  v1::ValidateCommunicationChannelResponse ignored;
  EXPECT_EQ(v1::WebhookService::NewStub(env.server().InProcessChannel())
                ->ValidateCommunicationChannel(&context, request, &ignored)
                .error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  receiver.release.Notify();  // The validation finishes before the server goes away.
}

TEST(WebhookServerTest, RateLimitOverGrpcIsResourceExhausted) {
  testing::FakeClock clock;
  WebhookServerOptions options;
  options.rate_limit = RateLimit{/*per_second=*/1, /*burst=*/1};
  options.clock = &clock;
  TestEnvironment env(TestEnvironment::kListen, options);
  auto stub = v1::WebhookService::NewStub(ChannelTo(env.server().grpc_port()));
  const auto search = [&] {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
    v1::SearchWebhooksResponse ignored;
    return stub->SearchWebhooks(&context, v1::SearchWebhooksRequest(), &ignored);
  };
  EXPECT_TRUE(search().ok());
  const grpc::Status limited = search();
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(limited.error_message(),
            "Rate limit exceeded: at most 1 requests per second per client address (bursts of "
            "1); retry after 1 s.");
  // The REST gateway's in-process calls are not counted (the HTTP server limits REST).
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(env.server()
                  .gateway()
                  .Handle(RestPost("/api/rest/2.0/webhooks/search", "{}", kAdminToken))
                  .status,
              200);
  }
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(search().ok());
}

}  // namespace
}  // namespace webhooks
