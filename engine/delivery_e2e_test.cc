// Deliveries end to end: the engine, the libcurl transport and a real HTTP receiver on
// loopback. Time is a fake clock; the test waits for each attempt's completion, never sleeps.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/json_codec.h"
#include "engine/delivery/signing.h"
#include "engine/http/curl_transport.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/completion_counter.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/http_receiver.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::webhooks::testing::CompletionCounter;
using ::webhooks::testing::HttpReceiver;
using ::webhooks::testing::ScriptedResponse;

ScriptedResponse Status(int status) {
  ScriptedResponse response;
  response.status = status;
  return response;
}

class DeliveryEndToEndTest : public ::testing::Test {
 protected:
  void Start(bool allow_private) {
    CurlTransportOptions transport_options;
    transport_options.allow_private_endpoints = allow_private;
    curl_ = CurlTransport::Create(transport_options).value();
    counter_ = std::make_unique<CompletionCounter>(*curl_);
    harness_.options().delivery.transport = counter_.get();
    ASSERT_OK(harness_.StartEngine());
  }

  void Create(const std::string& json) {
    v1::CreateWebhookRequest request;
    ASSERT_OK(FromJson(json, &request));
    ASSERT_OK(harness_.engine().CreateWebhook(admin_, request).status());
  }

  std::string Publish() {
    v1::PublishEventRequest request;
    EXPECT_OK(FromJson(R"({"run":{"schedule":{"scheduleId":"sch-1","name":"Daily"},
        "liveboard_id":"lb-1","liveboard_name":"Sales"},
        "files":[{"name":"report.pdf","mime_type":"application/pdf","content":"JVBERi0xLjQK"}]})",
                       &request));
    absl::StatusOr<v1::PublishEventResponse> response =
        harness_.engine().PublishEvent(admin_, request);
    EXPECT_OK(response.status());
    return response.ok() ? response->job_id() : "";
  }

  v1::ChannelHistoryJob Job(const std::string& id) {
    v1::SearchChannelHistoryRequest request;
    request.set_channel_type(v1::WEBHOOK);
    request.add_job_ids(id);
    absl::StatusOr<v1::SearchChannelHistoryResponse> found =
        harness_.engine().SearchChannelHistory(admin_, request);
    return found.ok() && found->jobs_size() == 1 ? found->jobs(0) : v1::ChannelHistoryJob();
  }

  // Runs what is due and waits for `n` attempts in all to have completed.
  void RunAndWait(int n) {
    harness_.engine().RunDueDeliveries();
    ASSERT_TRUE(counter_->WaitFor(n));
  }

  HttpReceiver receiver_;
  std::unique_ptr<CompletionCounter> counter_;
  // After the counter, so it is stopped first: its thread may still be in a counter callback.
  std::unique_ptr<CurlTransport> curl_;
  // After the transports, so that the engine is destroyed first.
  testing::EngineHarness harness_{{testing::MakeOrg("0", "Primary")},
                                  absl::FromUnixSeconds(1773824614)};
  const Principal admin_ = harness_.AdminOf("Primary");
};

TEST_F(DeliveryEndToEndTest, ReceiverGetsASignedMultipartPost) {
  Start(/*allow_private=*/true);
  Create(absl::StrCat(R"({"name":"w","url":")", receiver_.url("/hook"), R"(",
      "events":["LIVEBOARD_SCHEDULE"],"url_params":{"team":"a b"},
      "authentication":{"BASIC_AUTH":{"username":"svc","password":"pa55"}},
      "additional_headers":[{"key":"X-Team","value":"analytics"}],
      "signature_verification":{"type":"HMAC_SHA256","header":"X-Webhook-Signature",
                                "algorithm":"SHA256","secret":"whsec_c2VjcmV0LWtleQ=="}})"));
  const std::string job_id = Publish();
  RunAndWait(1);

  ASSERT_EQ(receiver_.requests().size(), 1u);
  const testing::ReceivedRequest request = receiver_.requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hook?team=a%20b");
  EXPECT_EQ(request.Header("authorization"), "Basic c3ZjOnBhNTU=");
  EXPECT_EQ(request.Header("x-team"), "analytics");
  EXPECT_EQ(request.Header("user-agent"), "webhookd/1.0 (Liveboard schedule webhooks)");
  EXPECT_EQ(request.Header("idempotency-key"), job_id);
  EXPECT_EQ(request.Header("webhook-id"), job_id);
  EXPECT_EQ(request.Header("webhook-timestamp"), "1773824614");
  const std::string content_type = request.Header("content-type");
  ASSERT_THAT(content_type, StartsWith("multipart/form-data; boundary="));
  const std::string boundary = content_type.substr(content_type.find('=') + 1);

  // The body: the payload part, the file part, the closing boundary.
  const std::vector<std::string> parts = absl::StrSplit(request.body, absl::StrCat("--", boundary));
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "");
  EXPECT_THAT(parts[1], StartsWith("\r\nContent-Disposition: form-data; name=\"payload\"\r\n"
                                   "Content-Type: application/json\r\n\r\n{\"eventId\":\"" +
                                   job_id + "\""));
  EXPECT_EQ(parts[2],
            "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n\r\n");
  EXPECT_EQ(parts[3], "--\r\n");

  // Both signatures verify with the receiver's copy of the secret, and fail with another.
  VerifyOptions verify;
  verify.secrets = {"whsec_c2VjcmV0LWtleQ=="};
  verify.signature_header = "X-Webhook-Signature";
  EXPECT_OK(VerifySignature(verify, request.headers, request.body, harness_.clock().Now()));
  verify.secrets = {"whsec_b3RoZXI="};
  EXPECT_THAT(VerifySignature(verify, request.headers, request.body, harness_.clock().Now()),
              testing::StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::SUCCESS);
}

TEST_F(DeliveryEndToEndTest, TwoFailuresThenSuccessIsRetryThenSuccessAfterThreeTries) {
  absl::Mutex mu;
  std::vector<std::string> told;  // The failed attempts the host is told of.
  harness_.options().delivery.on_failed_attempt =
      [&](const DeliveryOptions::FailedAttempt& attempt) {
        absl::MutexLock lock(&mu);
        told.push_back(absl::StrCat(attempt.org_id, " ", attempt.webhook_id.empty(), " ",
                                    attempt.job_id, " ", attempt.try_count, " ", attempt.final, " ",
                                    attempt.detail));
      };
  Start(/*allow_private=*/true);
  Create(absl::StrCat(R"({"name":"w","url":")", receiver_.url("/hook"),
                      R"(","events":["LIVEBOARD_SCHEDULE"]})"));
  receiver_.Enqueue(Status(500));
  receiver_.Enqueue(Status(503));
  const std::string job_id = Publish();
  RunAndWait(1);
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(job_id).detail(), "HTTP 500");
  harness_.clock().Advance(absl::Minutes(1));
  RunAndWait(2);
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(job_id).detail(), "HTTP 503");
  harness_.clock().Advance(absl::Minutes(5));
  RunAndWait(3);
  const v1::ChannelHistoryJob job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(job.try_count(), 3);
  ASSERT_EQ(receiver_.requests().size(), 3u);
  for (const auto& request : receiver_.requests()) {
    EXPECT_EQ(request.Header("idempotency-key"), job_id);
  }
  absl::MutexLock lock(&mu);
  EXPECT_THAT(told, ::testing::ElementsAre(absl::StrCat("0 0 ", job_id, " 1 0 HTTP 500"),
                                           absl::StrCat("0 0 ", job_id, " 2 0 HTTP 503")));
}

TEST_F(DeliveryEndToEndTest, OAuth2TokenFromALocalEndpoint) {
  Start(/*allow_private=*/true);
  HttpReceiver token_endpoint;
  ScriptedResponse token;
  token.headers = {{"Content-Type", "application/json"}};
  token.body = R"({"access_token":"local-at","token_type":"Bearer","expires_in":600})";
  token_endpoint.Enqueue(token);
  Create(absl::StrCat(R"({"name":"w","url":")", receiver_.url("/hook"), R"(",
      "events":["LIVEBOARD_SCHEDULE"],"authentication":{"OAUTH2":{
      "authorization_url":")",
                      token_endpoint.url("/oauth/token"), R"(",
      "client_id":"cid","client_secret":"cs"}}})"));
  Publish();
  RunAndWait(2);  // The token request, then the delivery.
  ASSERT_EQ(token_endpoint.requests().size(), 1u);
  EXPECT_EQ(token_endpoint.requests()[0].body, "grant_type=client_credentials");
  EXPECT_EQ(token_endpoint.requests()[0].Header("authorization"), "Basic Y2lkOmNz");
  ASSERT_EQ(receiver_.requests().size(), 1u);
  EXPECT_EQ(receiver_.requests()[0].Header("authorization"), "Bearer local-at");
  const DeliveryStats stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.oauth2_fetches_succeeded, 1u);
  EXPECT_EQ(stats.oauth2_fetches_failed, 0u);
}

TEST_F(DeliveryEndToEndTest, PrivateDestinationsAreRefusedByDefault) {
  Start(/*allow_private=*/false);
  Create(absl::StrCat(R"({"name":"w","url":"http://localhost:)", receiver_.port(),
                      R"(/hook","events":["LIVEBOARD_SCHEDULE"]})"));
  const std::string job_id = Publish();
  RunAndWait(1);
  const v1::ChannelHistoryJob job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_THAT(job.detail(), HasSubstr("loopback"));
  EXPECT_EQ(receiver_.requests().size(), 0u);
}

}  // namespace
}  // namespace webhooks
