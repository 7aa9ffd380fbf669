// Delivery through the engine: publishing, attempts, retries, history and validation, on a
// fake clock with a fake transport.
#include <deque>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/json_codec.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/fake_object_storage.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;

constexpr int64_t kStartMillis = 1773824614455;

HttpResponse Reply(int status, std::vector<std::pair<std::string, std::string>> headers = {},
                   std::string body = "") {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = std::move(body);
  return response;
}

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.transport().SetResponder([this](const HttpRequest&) { return NextReply(); });
    harness_.options().delivery.product.instance_id = "instance-1";
    ASSERT_OK(harness_.StartEngine());
  }

  // Creates the sales org's webhook from `json`, which must have name, url and events.
  v1::Webhook CreateWebhook(const std::string& json) {
    v1::CreateWebhookRequest request;
    EXPECT_OK(FromJson(json, &request));
    absl::StatusOr<v1::Webhook> webhook = harness_.engine().CreateWebhook(sales_admin_, request);
    EXPECT_OK(webhook.status());
    return webhook.value_or(v1::Webhook());
  }

  v1::PublishEventRequest Event() {
    v1::PublishEventRequest request;
    EXPECT_OK(FromJson(R"({"org_identifier":"Sales",
        "run":{"schedule":{"scheduleId":"sch-1","name":"Daily sales"},
               "liveboard_id":"lb-1","liveboard_name":"Sales","run_id":"run-1",
               "recipients":[{"type":"EXTERNAL_EMAIL","email":"x@example.com"}]},
        "files":[{"name":"sales.csv","mime_type":"text/csv","content":"YSxiCjEsMgo="}]})",
                       &request));
    return request;
  }

  std::string Publish() {
    absl::StatusOr<v1::PublishEventResponse> response =
        harness_.engine().PublishEvent(admin_, Event());
    EXPECT_OK(response.status());
    EXPECT_EQ(response->outcome(), v1::PublishEventResponse::QUEUED) << response->reason();
    return response->job_id();
  }

  // The history of webhook `name`'s LIVEBOARD_SCHEDULE deliveries, as admin_ sees it.
  absl::StatusOr<v1::SearchChannelHistoryResponse> HistoryOf(const std::string& name) {
    v1::SearchChannelHistoryRequest request;
    request.set_channel_type(v1::WEBHOOK);
    request.add_channel_identifiers(name);
    request.add_events()->set_type(v1::LIVEBOARD_SCHEDULE);
    return harness_.engine().SearchChannelHistory(admin_, request);
  }

  v1::ChannelHistoryJob Job(const std::string& job_id) {
    v1::SearchChannelHistoryRequest request;
    request.set_channel_type(v1::WEBHOOK);
    request.add_job_ids(job_id);
    absl::StatusOr<v1::SearchChannelHistoryResponse> response =
        harness_.engine().SearchChannelHistory(admin_, request);
    EXPECT_OK(response.status());
    EXPECT_EQ(response->jobs_size(), 1);
    return response->jobs_size() == 1 ? response->jobs(0) : v1::ChannelHistoryJob();
  }

  void Script(std::vector<absl::StatusOr<HttpResponse>> replies) {
    absl::MutexLock lock(&mu_);
    replies_.assign(replies.begin(), replies.end());
  }

  absl::StatusOr<HttpResponse> NextReply() {
    absl::MutexLock lock(&mu_);
    if (replies_.empty()) return Reply(200);
    absl::StatusOr<HttpResponse> reply = replies_.front();
    replies_.pop_front();
    return reply;
  }

  absl::Mutex mu_;
  std::deque<absl::StatusOr<HttpResponse>> replies_ ABSL_GUARDED_BY(mu_);
  // After the replies: its transport answers from them until the engine stops.
  testing::EngineHarness harness_{
      {MakeOrg("0", "Primary"), MakeOrg("7", "Sales"), MakeOrg("9", "Other")}};
  const Principal admin_ = harness_.Admin();
  const Principal sales_admin_ = harness_.AdminOf("Sales");
};

TEST_F(DeliveryTest, PublishRecordsPendingThenDeliversOnce) {
  const v1::Webhook webhook = CreateWebhook(R"({"name":"w","url":"https://r.example/hook",
      "events":["LIVEBOARD_SCHEDULE"],"url_params":{"v":"1"},
      "authentication":{"BEARER_TOKEN":"Bearer t0k"}})");
  const std::string job_id = Publish();
  EXPECT_EQ(job_id, "n.00000000-0000-4000-8000-000000000002");
  EXPECT_EQ(ToJson(Job(job_id)),
            R"({"id":"n.00000000-0000-4000-8000-000000000002","status":"PENDING",)"
            R"("creation_time_in_millis":1773824614455,"event":{"type":"LIVEBOARD_SCHEDULE",)"
            R"("id":"sch-1","name":"Daily sales","run_id":"run-1"},)"
            R"("recipients":[{"type":"EXTERNAL","id":null,"name":null,"email":"x@example.com"}],)"
            R"("detail":"","try_count":0})");
  EXPECT_EQ(harness_.transport().request_count(), 0u);  // Nothing is sent by Publish itself.

  harness_.engine().RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 1u);
  const HttpRequest sent = harness_.transport().requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://r.example/hook?v=1");
  EXPECT_EQ(sent.timeout, absl::Seconds(5));
  const std::string boundary = "webhookd-00000000000040008000000000000003";
  EXPECT_THAT(sent.headers,
              Contains(Pair("Content-Type", "multipart/form-data; boundary=" + boundary)));
  EXPECT_THAT(sent.headers, Contains(Pair("Authorization", "Bearer t0k")));
  EXPECT_THAT(sent.headers, Contains(Pair("Idempotency-Key", job_id)));
  EXPECT_THAT(sent.body, HasSubstr(R"("eventId":"n.00000000-0000-4000-8000-000000000002")"));
  EXPECT_THAT(sent.body, HasSubstr(absl::StrCat(R"("channelID":")", webhook.id(), R"(")")));
  EXPECT_THAT(sent.body, HasSubstr("filename=\"sales.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                                   "a,b\n1,2\n\r\n--" +
                                   boundary + "--\r\n"));

  const v1::ChannelHistoryJob done = Job(job_id);
  EXPECT_EQ(done.status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(done.try_count(), 1);
  EXPECT_EQ(done.detail(), "");
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 1u);
}

TEST_F(DeliveryTest, DispatcherThreadSendsWhatIsDue) {
  harness_.options().delivery.run_dispatcher = true;
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  Publish();
  ASSERT_TRUE(harness_.transport().WaitForRequests(1));
  harness_.StopEngine();  // Stops the dispatcher after the attempt in flight.
  EXPECT_EQ(harness_.transport().request_count(), 1u);
}

TEST_F(DeliveryTest, AttemptsInFlightAreCapped) {
  harness_.options().delivery.max_concurrent_attempts = 2;
  ASSERT_OK(harness_.StartEngine());
  harness_.transport().SetResponder(nullptr);  // Answers wait for Respond().
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  for (int i = 0; i < 3; ++i) Publish();
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 2u);  // The third waits for a free slot.
  HttpResponse ok;
  ok.status = 200;
  ASSERT_OK(harness_.transport().Respond(0, ok));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 3u);
  ASSERT_OK(harness_.transport().Respond(1, ok));
  ASSERT_OK(harness_.transport().Respond(2, ok));
}

TEST_F(DeliveryTest, RetriesOnTheScheduleThenSucceeds) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  Script(
      {Reply(500, {}, "oops"), absl::DeadlineExceededError("timed out after 5000 ms"), Reply(200)});
  const std::string job_id = Publish();
  harness_.engine().RunDueDeliveries();
  v1::ChannelHistoryJob job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(job.try_count(), 1);
  EXPECT_EQ(job.detail(), "HTTP 500: oops");

  harness_.clock().Advance(absl::Seconds(59));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 1u);  // The first retry waits a minute.
  harness_.clock().Advance(absl::Seconds(1));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 2u);
  job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(job.detail(), "timed out after 5000 ms");

  harness_.clock().Advance(absl::Minutes(5));
  harness_.engine().RunDueDeliveries();
  job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(job.try_count(), 3);
  EXPECT_EQ(job.detail(), "");
  // Every attempt carried the same event id.
  for (const HttpRequest& request : harness_.transport().requests()) {
    EXPECT_THAT(request.headers, Contains(Pair("Idempotency-Key", job_id)));
  }
}

TEST_F(DeliveryTest, HonoursRetryAfterWithinBounds) {
  harness_.options().delivery.max_retry_after = absl::Minutes(10);
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  Script({Reply(429, {{"retry-after", "120"}}), Reply(503, {{"retry-after", "86400"}})});
  Publish();
  harness_.engine().RunDueDeliveries();
  harness_.clock().Advance(absl::Seconds(119));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 1u);
  harness_.clock().Advance(absl::Seconds(1));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 2u);
  harness_.clock().Advance(absl::Minutes(10));  // A day is capped at max_retry_after.
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 3u);
}

TEST_F(DeliveryTest, StopsOnGoneRefusalAndLastAttempt) {
  harness_.options().delivery.retry_delays = {absl::Minutes(1)};
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");

  Script({Reply(410)});
  const std::string gone = Publish();
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(gone).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(gone).detail(), "HTTP 410");

  Script({absl::PermissionDeniedError("destination address 127.0.0.1 is loopback; refused")});
  const std::string refused = Publish();
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(refused).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(refused).detail(), "destination address 127.0.0.1 is loopback; refused");

  Script({Reply(302, {{"location", "https://elsewhere.example/"}}), Reply(500)});
  const std::string exhausted = Publish();
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(exhausted).detail(), "HTTP 302: redirects are not followed");
  harness_.clock().Advance(absl::Minutes(1));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(exhausted).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(exhausted).try_count(), 2);
}

TEST_F(DeliveryTest, DeletedWebhookFailsItsPendingDelivery) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  const std::string job_id = Publish();
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("w");
  ASSERT_OK(harness_.engine().DeleteWebhooks(admin_, remove).status());
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 0u);
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(job_id).detail(), "the webhook no longer exists");
}

TEST_F(DeliveryTest, SaysWhyNothingWasQueued) {
  ASSERT_OK_AND_ASSIGN(v1::PublishEventResponse response,
                       harness_.engine().PublishEvent(admin_, Event()));
  EXPECT_EQ(ToJson(response), R"({"outcome":"NO_WEBHOOK","job_id":null,)"
                              R"("reason":"org 'Sales' has no LIVEBOARD_SCHEDULE webhook"})");

  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"],
                    "status":"DISABLED"})");
  ASSERT_OK_AND_ASSIGN(response, harness_.engine().PublishEvent(admin_, Event()));
  EXPECT_EQ(response.outcome(), v1::PublishEventResponse::WEBHOOK_DISABLED);
  EXPECT_EQ(response.reason(), "webhook 'w' is DISABLED");

  v1::UpdateWebhookRequest enable;
  enable.set_webhook_identifier("w");
  enable.set_status(v1::ENABLED);
  ASSERT_OK(harness_.engine().UpdateWebhook(admin_, enable));
  v1::ConfigureChannelPreferencesRequest email_only;
  ASSERT_OK(FromJson(R"({"org_preferences":[{"org_identifier":"7","preferences":[
      {"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL"]}]}]})",
                     &email_only));
  ASSERT_OK(harness_.engine().ConfigureChannelPreferences(admin_, email_only));
  ASSERT_OK_AND_ASSIGN(response, harness_.engine().PublishEvent(admin_, Event()));
  EXPECT_EQ(response.outcome(), v1::PublishEventResponse::CHANNEL_OFF);
  EXPECT_EQ(response.reason(),
            "the WEBHOOK channel is not enabled for LIVEBOARD_SCHEDULE in org 'Sales'");
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 0u);
}

TEST_F(DeliveryTest, RefusesBadEventsAndAFullQueue) {
  harness_.options().delivery.max_pending_jobs = 1;
  harness_.options().delivery.max_event_file_bytes = 8;
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  EXPECT_THAT(harness_.engine().PublishEvent(sales_admin_, v1::PublishEventRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument, "run.liveboard_id is required"));
  v1::PublishEventRequest big = Event();
  big.mutable_files(0)->set_content("123456789");
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, big),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "files hold 9 bytes; at most 8 are allowed per event"));
  v1::PublishEventRequest bad_type = Event();
  bad_type.mutable_files(0)->set_mime_type("text/csv\r\nX-Injected: 1");
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, bad_type),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "files[0].mime_type must be a MIME type such as application/pdf"));
  Publish();
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, Event()),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "the delivery queue is full (1 deliveries pending); try again later"));
  harness_.engine().RunDueDeliveries();
  EXPECT_OK(harness_.engine().PublishEvent(admin_, Event()).status());  // Room again.
}

TEST_F(DeliveryTest, EachOrgGetsItsShareOfTheQueue) {
  // Three orgs share 6 places evenly: 2 each, however busy the others are.
  harness_.options().delivery.max_pending_jobs = 6;
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  v1::CreateWebhookRequest other_hook;
  ASSERT_OK(FromJson(R"({"name":"o","url":"https://o.example/hook",
      "events":["LIVEBOARD_SCHEDULE"]})",
                     &other_hook));
  ASSERT_OK(harness_.engine().CreateWebhook(harness_.AdminOf("Other"), other_hook).status());
  Publish();
  Publish();
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, Event()),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "org 'Sales' has its share of the delivery queue (2 deliveries pending); "
                       "try again later"));
  v1::PublishEventRequest other = Event();
  other.set_org_identifier("Other");
  ASSERT_OK_AND_ASSIGN(v1::PublishEventResponse response,
                       harness_.engine().PublishEvent(admin_, other));
  EXPECT_EQ(response.outcome(), v1::PublishEventResponse::QUEUED);
  harness_.engine().RunDueDeliveries();
  Publish();  // Sales' deliveries are done: room again.
}

TEST_F(DeliveryTest, AConfiguredOrgShareReplacesTheEvenOne) {
  harness_.options().delivery.max_pending_jobs_per_org = 1;
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  Publish();
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, Event()),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "org 'Sales' has its share of the delivery queue (1 deliveries pending); "
                       "try again later"));
}

TEST_F(DeliveryTest, HistoryKeepsTheConfiguredNumberOfFinishedDeliveriesPerOrg) {
  harness_.options().delivery.max_finished_jobs_per_org = 2;
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  std::vector<std::string> jobs;
  for (int i = 0; i < 3; ++i) {
    jobs.push_back(Publish());
    harness_.clock().Advance(absl::Seconds(1));
    harness_.engine().RunDueDeliveries();
  }
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelHistoryResponse found, HistoryOf("w"));
  ASSERT_EQ(found.jobs_size(), 2);
  EXPECT_EQ(found.jobs(0).id(), jobs[2]);
  EXPECT_EQ(found.jobs(1).id(), jobs[1]);
}

TEST_F(DeliveryTest, StatsCountPendingJobsAndAttemptsByOutcome) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  const auto stats = [&] {
    const DeliveryStats s = harness_.engine().GetDeliveryStats();
    return std::vector<int64_t>{s.pending, s.in_flight, static_cast<int64_t>(s.attempts_succeeded),
                                static_cast<int64_t>(s.attempts_retried),
                                static_cast<int64_t>(s.attempts_failed)};
  };
  EXPECT_THAT(stats(), ElementsAre(0, 0, 0, 0, 0));
  Script({Reply(503), Reply(200), Reply(410)});
  Publish();
  EXPECT_THAT(stats(), ElementsAre(1, 0, 0, 0, 0));
  harness_.engine().RunDueDeliveries();  // 503: to be tried again.
  EXPECT_THAT(stats(), ElementsAre(1, 0, 0, 1, 0));
  harness_.clock().Advance(absl::Hours(1));
  harness_.engine().RunDueDeliveries();  // 200.
  EXPECT_THAT(stats(), ElementsAre(0, 0, 1, 1, 0));
  Publish();
  harness_.engine().RunDueDeliveries();  // 410: failed for good.
  EXPECT_THAT(stats(), ElementsAre(0, 0, 1, 1, 1));
}

TEST_F(DeliveryTest, PublishingNeedsAdministrationAndATransport) {
  Principal developer = sales_admin_;
  developer.privileges = {v1::DEVELOPER};
  EXPECT_THAT(harness_.engine().PublishEvent(developer, Event()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Insufficient privileges to publish events: requires ADMINISTRATION."));
  harness_.options().delivery.transport = nullptr;
  ASSERT_OK(harness_.StartEngine());
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, Event()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no HTTP transport")));
}

TEST_F(DeliveryTest, OAuth2TokenIsFetchedCachedAndRenewedAfter401) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"],
      "authentication":{"OAUTH2":{"authorization_url":"https://auth.example/token",
                                  "client_id":"cid","client_secret":"csecret"}}})");
  Script({Reply(200, {}, R"({"access_token":"at-1","token_type":"Bearer","expires_in":3600})"),
          Reply(200), Reply(401), Reply(200, {}, R"({"access_token":"at-2","expires_in":3600})"),
          Reply(200)});
  Publish();
  harness_.engine().RunDueDeliveries();
  std::vector<HttpRequest> sent = harness_.transport().requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].url, "https://auth.example/token");
  EXPECT_EQ(sent[0].body, "grant_type=client_credentials");
  EXPECT_THAT(sent[0].headers, Contains(Pair("Authorization", "Basic Y2lkOmNzZWNyZXQ=")));
  EXPECT_THAT(sent[0].headers, Contains(Pair("Content-Type", "application/x-www-form-urlencoded")));
  EXPECT_THAT(sent[1].headers, Contains(Pair("Authorization", "Bearer at-1")));

  const std::string second = Publish();  // The cached token serves it; the receiver says 401.
  harness_.engine().RunDueDeliveries();
  sent = harness_.transport().requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_THAT(sent[2].headers, Contains(Pair("Authorization", "Bearer at-1")));
  EXPECT_EQ(Job(second).status(), v1::ChannelHistoryJob::RETRY);

  harness_.clock().Advance(absl::Minutes(1));
  harness_.engine().RunDueDeliveries();  // A new token, then the retry.
  sent = harness_.transport().requests();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[3].url, "https://auth.example/token");
  EXPECT_THAT(sent[4].headers, Contains(Pair("Authorization", "Bearer at-2")));
  EXPECT_EQ(Job(second).status(), v1::ChannelHistoryJob::SUCCESS);
}

TEST_F(DeliveryTest, OAuth2FailureIsRetried) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"],
      "authentication":{"OAUTH2":{"authorization_url":"https://auth.example/token?x=secret",
                                  "client_id":"cid","client_secret":"csecret"}}})");
  Script({Reply(400, {}, R"({"error":"invalid_client"})")});
  const std::string job_id = Publish();
  harness_.engine().RunDueDeliveries();
  const v1::ChannelHistoryJob job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(job.detail(),
            "OAuth2 token request to https://auth.example/token failed: HTTP 400 without an "
            "access_token");
}

TEST_F(DeliveryTest, HistorySearchFollowsThoughtSpotRules) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"]})");
  const std::string first = Publish();
  harness_.clock().Advance(absl::Seconds(1));
  const std::string second = Publish();
  harness_.engine().RunDueDeliveries();

  const auto search = [&](const Principal& caller, const std::string& json) {
    v1::SearchChannelHistoryRequest request;
    EXPECT_OK(FromJson(json, &request));
    return harness_.engine().SearchChannelHistory(caller, request);
  };
  EXPECT_THAT(search(admin_, "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "channel_type must be specified. Currently only WEBHOOK is supported."));
  EXPECT_THAT(search(admin_, R"({"channel_type":"WEBHOOK","channel_identifiers":["w"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "channel_identifiers and events must each have exactly one element when "
                       "job_ids is not given"));
  EXPECT_THAT(search(admin_, R"({"channel_type":"WEBHOOK","job_ids":["a","b"]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "job_ids may have at most one element for channel_type WEBHOOK"));

  ASSERT_OK_AND_ASSIGN(v1::SearchChannelHistoryResponse found,
                       search(admin_, R"({"channel_type":"WEBHOOK","channel_identifiers":["w"],
                         "events":[{"type":"LIVEBOARD_SCHEDULE","identifier":"Daily sales"}]})"));
  ASSERT_EQ(found.jobs_size(), 2);
  EXPECT_EQ(found.jobs(0).id(), second);  // Newest first.
  EXPECT_EQ(found.jobs(1).id(), first);
  ASSERT_OK_AND_ASSIGN(
      found, search(admin_, absl::StrCat(R"({"channel_type":"WEBHOOK","channel_identifiers":["w"],
          "events":[{"type":"LIVEBOARD_SCHEDULE"}],"start_epoch_time_in_millis":)",
                                         kStartMillis + 1, "}")));
  ASSERT_EQ(found.jobs_size(), 1);
  EXPECT_EQ(found.jobs(0).id(), second);
  ASSERT_OK_AND_ASSIGN(found,
                       search(admin_, R"({"channel_type":"WEBHOOK","channel_identifiers":["w"],
          "events":[{"type":"LIVEBOARD_SCHEDULE"}],"channel_status":"PENDING"})"));
  EXPECT_EQ(found.jobs_size(), 0);

  // Another org's admin sees none of it.
  const Principal other = harness_.AdminOf("Other");
  ASSERT_OK_AND_ASSIGN(found, search(other, absl::StrCat(R"({"channel_type":"WEBHOOK",
      "job_ids":[")",
                                                         first, R"("]})")));
  EXPECT_EQ(found.jobs_size(), 0);

  // Records older than three days are gone.
  harness_.clock().Advance(absl::Hours(72) + absl::Milliseconds(1));
  ASSERT_OK_AND_ASSIGN(found, search(admin_, absl::StrCat(R"({"channel_type":"WEBHOOK",
      "job_ids":[")",
                                                          second, R"("]})")));
  EXPECT_EQ(found.jobs_size(), 0);
}

TEST_F(DeliveryTest, ValidateReportsAndRecordsTheCheck) {
  const v1::Webhook webhook = CreateWebhook(R"({"name":"w","url":"https://r.example/hook",
                        "events":["LIVEBOARD_SCHEDULE"]})");
  v1::ValidateCommunicationChannelRequest request;
  ASSERT_OK(FromJson(R"({"channel_type":"WEBHOOK","channel_identifier":"w",
                         "event_type":"LIVEBOARD_SCHEDULE"})",
                     &request));
  ASSERT_OK_AND_ASSIGN(v1::ValidateCommunicationChannelResponse ok,
                       harness_.engine().ValidateCommunicationChannel(admin_, request));
  EXPECT_EQ(ToJson(ok),
            absl::StrCat(R"({"channel_type":"WEBHOOK","channel_id":")", webhook.id(),
                         R"(","channel_name":"w","event_type":"LIVEBOARD_SCHEDULE",)",
                         R"("job_id":"n.validation-00000000-0000-4000-8000-000000000002",)",
                         R"("result_code":"SUCCESS","details":[{"validation_step":)",
                         R"("HTTP_CONNECTION_CHECK","status":"SUCCESS","http_status":200,)",
                         R"("error_message":null,"aws_s3_info":null,"gcp_gcs_info":null}]})"));

  Script({absl::UnavailableError("connection refused")});
  ASSERT_OK_AND_ASSIGN(v1::ValidateCommunicationChannelResponse failed,
                       harness_.engine().ValidateCommunicationChannel(admin_, request));
  EXPECT_EQ(failed.result_code(), v1::ValidateCommunicationChannelResponse::FAILED);
  EXPECT_EQ(failed.details(0).error_message(), "connection refused");
  EXPECT_FALSE(failed.details(0).has_http_status());

  // Both checks are in the history, newest first.
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelHistoryResponse found, HistoryOf("w"));
  ASSERT_EQ(found.jobs_size(), 2);
  EXPECT_EQ(found.jobs(0).id(), failed.job_id());
  EXPECT_EQ(found.jobs(0).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(found.jobs(0).detail(), "HTTP_CONNECTION_CHECK: connection refused");
  EXPECT_EQ(found.jobs(0).event().id(), absl::StrCat("validation-", webhook.id()));
  EXPECT_EQ(found.jobs(1).status(), v1::ChannelHistoryJob::SUCCESS);

  request.set_channel_identifier("nope");
  EXPECT_THAT(harness_.engine().ValidateCommunicationChannel(admin_, request),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("'nope'")));
}

// ---- Storage destinations ----

constexpr char kS3Webhook[] = R"({"name":"w","url":"https://r.example/hook",
    "events":["LIVEBOARD_SCHEDULE"],
    "storage_destination":{"storage_type":"AWS_S3","storage_config":{"aws_s3_config":{
        "bucket_name":"sales-reports","region":"us-west-2",
        "role_arn":"arn:aws:iam::123456789012:role/WebhookDelivery",
        "path_prefix":"webhooks/"}}}})";

// The event of Event(): its file's key under kS3Webhook's prefix, and its manifest entry.
constexpr char kSalesKey[] =
    "webhooks/7/2026-03-18/n.00000000-0000-4000-8000-000000000002/sales.csv";

// The manifest entry of the stored file of Event().
std::string StoredEntry() {
  return absl::StrCat(R"({"filename":"sales.csv","contentType":"text/csv","size":8,)",
                      R"("provider":"AWS_S3","bucketName":"sales-reports","region":"us-west-2",)",
                      R"("objectKey":")", kSalesKey, R"(","uploadStatus":"SUCCESS"})");
}

// The multipart part that carries the manifest JSON `files` (and `error_json`, if any).
std::string ManifestPart(const std::string& files, const std::string& error_json = "") {
  return absl::StrCat(
      "Content-Disposition: form-data; name=\"file\"; filename=\"storage-manifest.json\"\r\n"
      "Content-Type: application/json\r\n\r\n",
      R"({"files":[)", files, "]", error_json.empty() ? "" : ",\"error\":", error_json, "}\r\n");
}

TEST_F(DeliveryTest, StorageDestinationGetsTheFilesAndThePostTheManifest) {
  CreateWebhook(kS3Webhook);
  const std::string job_id = Publish();
  EXPECT_TRUE(harness_.storage().puts().empty());  // Nothing happens before the job is due.
  harness_.engine().RunDueDeliveries();

  const std::vector<testing::FakeObjectStorage::PutCall> puts = harness_.storage().puts();
  ASSERT_EQ(puts.size(), 1);
  EXPECT_EQ(puts[0].destination.storage_config().aws_s3_config().role_arn(),
            "arn:aws:iam::123456789012:role/WebhookDelivery");
  ASSERT_EQ(puts[0].objects.size(), 1);
  EXPECT_EQ(puts[0].objects[0].key, kSalesKey);
  EXPECT_EQ(puts[0].objects[0].content_type, "text/csv");
  EXPECT_EQ(puts[0].objects[0].content, "a,b\n1,2\n");

  ASSERT_EQ(harness_.transport().request_count(), 1);
  const std::string body = harness_.transport().requests()[0].body;
  EXPECT_THAT(body, HasSubstr(ManifestPart(StoredEntry())));
  EXPECT_THAT(body, HasSubstr(R"("eventId":")" + job_id));
  EXPECT_THAT(body, Not(HasSubstr("a,b\n1,2\n")));  // The file itself is not attached.
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::SUCCESS);
}

TEST_F(DeliveryTest, SomeUploadsFailedIsStillPosted) {
  CreateWebhook(kS3Webhook);
  v1::PublishEventRequest event = Event();
  v1::EventFile* pdf = event.add_files();
  pdf->set_name("sales.pdf");
  pdf->set_content("%PDF");
  harness_.storage().SetResponder(
      [](const v1::StorageDestination&,
         const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return std::vector<absl::Status>{absl::OkStatus(),
                                         absl::UnavailableError("S3 PutObject failed: HTTP 503")};
      });
  ASSERT_OK_AND_ASSIGN(v1::PublishEventResponse published,
                       harness_.engine().PublishEvent(admin_, event));
  harness_.engine().RunDueDeliveries();

  ASSERT_EQ(harness_.transport().request_count(), 1);
  EXPECT_THAT(harness_.transport().requests()[0].body,
              HasSubstr(ManifestPart(absl::StrCat(
                  StoredEntry(), ",",
                  R"({"filename":"sales.pdf","contentType":"application/octet-stream","size":4,)",
                  R"("provider":"AWS_S3",)",
                  R"("uploadStatus":"FAILED","errorMessage":"S3 PutObject failed: HTTP 503"})"))));
  EXPECT_EQ(Job(published.job_id()).status(), v1::ChannelHistoryJob::SUCCESS);
}

TEST_F(DeliveryTest, EveryUploadRefusedFailsTheDeliveryAndPostsTheManifestWithTheError) {
  CreateWebhook(kS3Webhook);
  const std::string refusal =
      "S3 PutObject of s3://sales-reports/x failed: HTTP 404 NoSuchBucket: gone";
  harness_.storage().SetResponder(
      [&](const v1::StorageDestination&,
          const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return std::vector<absl::Status>{absl::NotFoundError(refusal)};
      });
  const std::string job_id = Publish();
  harness_.engine().RunDueDeliveries();
  const std::string error = absl::StrCat("all file uploads failed (1 files): ", refusal);
  ASSERT_EQ(harness_.transport().request_count(), 1);
  const std::string body = harness_.transport().requests()[0].body;
  EXPECT_THAT(body, HasSubstr(ManifestPart(
                        absl::StrCat(R"({"filename":"sales.csv","contentType":"text/csv",)",
                                     R"("size":8,"provider":"AWS_S3","uploadStatus":"FAILED",)",
                                     R"("errorMessage":")", refusal, R"("})"),
                        absl::StrCat("\"", error, "\""))));
  EXPECT_THAT(body, HasSubstr(R"("eventId":")" + job_id));
  const v1::ChannelHistoryJob job = Job(job_id);
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(job.detail(), error);
}

TEST_F(DeliveryTest, RoleThatCannotBeAssumedFailsTheDelivery) {
  CreateWebhook(kS3Webhook);
  const std::string denied =
      "AWS STS AssumeRole of arn:aws:iam::123456789012:role/WebhookDelivery failed: HTTP 403 "
      "AccessDenied: not authorized";
  harness_.storage().SetResponder(
      [&](const v1::StorageDestination&,
          const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return absl::PermissionDeniedError(denied);
      });
  const std::string job_id = Publish();
  harness_.engine().RunDueDeliveries();
  // The receiver hears of it, even though no file could be stored.
  ASSERT_EQ(harness_.transport().request_count(), 1);
  EXPECT_THAT(
      harness_.transport().requests()[0].body,
      HasSubstr(ManifestPart("", absl::StrCat("\"cloud storage upload failed: ", denied, "\""))));
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(job_id).detail(), denied);
}

TEST_F(DeliveryTest, UploadsThatMayPassAreRetriedAndUploadedOnlyOnce) {
  CreateWebhook(kS3Webhook);
  harness_.storage().SetResponder(
      [](const v1::StorageDestination&,
         const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return std::vector<absl::Status>{absl::UnavailableError("HTTP 503 SlowDown")};
      });
  const std::string job_id = Publish();
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(job_id).detail(), "all file uploads failed (1 files): HTTP 503 SlowDown");
  EXPECT_EQ(harness_.transport().request_count(), 0);  // Nothing is POSTed before the end.

  // The second try stores the file but the POST fails; the third POSTs the same manifest
  // without uploading again.
  harness_.storage().SetResponder(nullptr);
  Script({Reply(500)});
  harness_.clock().Advance(absl::Minutes(1));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.storage().puts().size(), 2);
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::RETRY);
  harness_.clock().Advance(absl::Minutes(5));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.storage().puts().size(), 2);
  ASSERT_EQ(harness_.transport().request_count(), 2);
  EXPECT_EQ(harness_.transport().requests()[1].body, harness_.transport().requests()[0].body);
  EXPECT_THAT(harness_.transport().requests()[1].body, HasSubstr(ManifestPart(StoredEntry())));
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(Job(job_id).try_count(), 3);
}

TEST_F(DeliveryTest, DestinationRemovedBeforeTheAttemptAttachesTheFiles) {
  CreateWebhook(kS3Webhook);
  const std::string job_id = Publish();
  v1::UpdateWebhookRequest update;
  ASSERT_OK(
      FromJson(R"({"webhook_identifier":"w","reset_options":["STORAGE_DESTINATION"]})", &update));
  ASSERT_OK(harness_.engine().UpdateWebhook(sales_admin_, update));
  harness_.engine().RunDueDeliveries();
  EXPECT_TRUE(harness_.storage().puts().empty());
  ASSERT_EQ(harness_.transport().request_count(), 1);
  EXPECT_THAT(harness_.transport().requests()[0].body,
              HasSubstr("filename=\"sales.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n"));
  EXPECT_EQ(Job(job_id).status(), v1::ChannelHistoryJob::SUCCESS);
}

TEST_F(DeliveryTest, FilesOfOneEventNeedDifferentNames) {
  CreateWebhook(kS3Webhook);
  v1::PublishEventRequest event = Event();
  *event.add_files() = event.files(0);
  EXPECT_THAT(harness_.engine().PublishEvent(admin_, event),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "files[1].name repeats files[0].name: the files of one event need "
                       "different names (they are stored under them)"));
}

TEST_F(DeliveryTest, ValidateStoresATestFile) {
  const v1::Webhook webhook = CreateWebhook(kS3Webhook);
  v1::ValidateCommunicationChannelRequest request;
  ASSERT_OK(FromJson(R"({"channel_type":"WEBHOOK","channel_identifier":"w",
                         "event_type":"LIVEBOARD_SCHEDULE"})",
                     &request));
  ASSERT_OK_AND_ASSIGN(v1::ValidateCommunicationChannelResponse response,
                       harness_.engine().ValidateCommunicationChannel(admin_, request));
  const std::string job_id = "n.validation-00000000-0000-4000-8000-000000000002";
  const std::string key =
      absl::StrCat("webhooks/7/2026-03-18/", job_id, "/validation_dummy_20260318_090334.pdf");
  EXPECT_EQ(ToJson(response),
            absl::StrCat(R"({"channel_type":"WEBHOOK","channel_id":")", webhook.id(),
                         R"(","channel_name":"w","event_type":"LIVEBOARD_SCHEDULE","job_id":")",
                         job_id, R"(","result_code":"SUCCESS","details":[)",
                         R"({"validation_step":"HTTP_CONNECTION_CHECK","status":"SUCCESS",)",
                         R"("http_status":200,"error_message":null,"aws_s3_info":null,)",
                         R"("gcp_gcs_info":null},)",
                         R"({"validation_step":"STORAGE_FILE_UPLOAD_CHECK","status":"SUCCESS",)",
                         R"("http_status":null,"error_message":null,"aws_s3_info":)",
                         R"({"bucket_name":"sales-reports",)",
                         R"("file_name":"validation_dummy_20260318_090334.pdf","object_key":")",
                         key, R"("},"gcp_gcs_info":null}]})"));
  const std::vector<testing::FakeObjectStorage::PutCall> puts = harness_.storage().puts();
  ASSERT_EQ(puts.size(), 1);
  EXPECT_EQ(puts[0].objects[0].key, key);
  EXPECT_EQ(puts[0].objects[0].content_type, "application/pdf");

  // Stored nowhere: the HTTP check passes, the storage check fails.
  harness_.storage().SetResponder(
      [](const v1::StorageDestination&,
         const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return absl::PermissionDeniedError("AWS STS AssumeRole failed: HTTP 403 AccessDenied");
      });
  ASSERT_OK_AND_ASSIGN(response, harness_.engine().ValidateCommunicationChannel(admin_, request));
  EXPECT_EQ(response.result_code(), v1::ValidateCommunicationChannelResponse::PARTIAL_SUCCESS);
  ASSERT_EQ(response.details_size(), 2);
  EXPECT_EQ(response.details(1).status(), v1::ChannelValidationDetail::FAILED);
  EXPECT_EQ(response.details(1).error_message(),
            "AWS STS AssumeRole failed: HTTP 403 AccessDenied");
  const v1::ChannelHistoryJob recorded = Job(response.job_id());
  EXPECT_EQ(recorded.status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(recorded.detail(),
            "STORAGE_FILE_UPLOAD_CHECK (bucket: sales-reports): AWS STS AssumeRole failed: HTTP "
            "403 AccessDenied");
}

// The trust policy's external ID in `caller`'s storage-config answer.
std::string ExternalIdOf(WebhookEngine& engine, const Principal& caller) {
  absl::StatusOr<v1::GetStorageConfigResponse> config = engine.GetStorageConfig(caller);
  EXPECT_OK(config.status());
  if (!config.ok() || config->configs_size() == 0) return "";
  const auto& policy = config->configs(0).config().trust_policy_template().fields();
  return policy.at("Statement")
      .list_value()
      .values(0)
      .struct_value()
      .fields()
      .at("Condition")
      .struct_value()
      .fields()
      .at("StringEquals")
      .struct_value()
      .fields()
      .at("sts:ExternalId")
      .string_value();
}

TEST_F(DeliveryTest, EachOrgHasItsOwnExternalIdAndCannotUseAnothers) {
  const Principal other_admin = harness_.AdminOf("Other");
  const std::string sales_id = ExternalIdOf(harness_.engine(), sales_admin_);
  const std::string other_id = ExternalIdOf(harness_.engine(), other_admin);
  EXPECT_THAT(sales_id, ::testing::MatchesRegex("webhookd-[0-9a-f]{32}"));
  EXPECT_THAT(other_id, ::testing::MatchesRegex("webhookd-[0-9a-f]{32}"));
  EXPECT_NE(sales_id, other_id);
  ASSERT_OK_AND_ASSIGN(v1::GetStorageConfigResponse config,
                       harness_.engine().GetStorageConfig(sales_admin_));
  EXPECT_THAT(config.configs(0).config().setup_instructions(1), HasSubstr(sales_id));

  // Org Other names Sales' role and external ID: refused, and the answer says nothing of Sales.
  const std::string sales_role = "arn:aws:iam::123456789012:role/WebhookDelivery";
  v1::CreateWebhookRequest stolen;
  ASSERT_OK(FromJson(absl::StrCat(R"({"name":"o","url":"https://o.example/hook",
      "events":["LIVEBOARD_SCHEDULE"],
      "storage_destination":{"storage_type":"AWS_S3","storage_config":{"aws_s3_config":{
          "bucket_name":"sales-reports","region":"us-west-2","role_arn":")",
                                  sales_role, R"(","external_id":")", sales_id, R"("}}}})"),
                     &stolen));
  EXPECT_THAT(harness_.engine().CreateWebhook(other_admin, stolen),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "storage_destination.storage_config.aws_s3_config.external_id must be "
                       "this org's external ID, as GET /api/rest/2.0/webhooks/storage-config "
                       "shows it, or be left out"));

  // Without an external ID, Other's own is filled in, and it is what reaches AWS: Sales' role,
  // which requires Sales' ID, will not be assumed for Other.
  stolen.mutable_storage_destination()
      ->mutable_storage_config()
      ->mutable_aws_s3_config()
      ->clear_external_id();
  ASSERT_OK_AND_ASSIGN(v1::Webhook created, harness_.engine().CreateWebhook(other_admin, stolen));
  EXPECT_EQ(created.storage_destination().storage_config().aws_s3_config().external_id(), other_id);
  v1::PublishEventRequest event = Event();
  event.set_org_identifier("Other");
  ASSERT_OK(harness_.engine().PublishEvent(admin_, event).status());
  harness_.engine().RunDueDeliveries();
  const std::vector<testing::FakeObjectStorage::PutCall> puts = harness_.storage().puts();
  ASSERT_EQ(puts.size(), 1);
  EXPECT_EQ(puts[0].destination.storage_config().aws_s3_config().external_id(), other_id);
  EXPECT_EQ(puts[0].org_external_id, other_id);

  // Nor can an update give Other's webhook Sales' ID; Sales' own works for Sales.
  v1::UpdateWebhookRequest update;
  ASSERT_OK(FromJson(absl::StrCat(R"({"webhook_identifier":"o",
      "storage_destination":{"storage_type":"AWS_S3","storage_config":{"aws_s3_config":{
          "bucket_name":"sales-reports","region":"us-west-2","role_arn":")",
                                  sales_role, R"(","external_id":")", sales_id, R"("}}}})"),
                     &update));
  EXPECT_THAT(harness_.engine().UpdateWebhook(other_admin, update),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("aws_s3_config.external_id must be this org's external ID")));
  v1::CreateWebhookRequest own = stolen;
  own.mutable_storage_destination()
      ->mutable_storage_config()
      ->mutable_aws_s3_config()
      ->set_external_id(sales_id);
  EXPECT_OK(harness_.engine().CreateWebhook(sales_admin_, own).status());
}

TEST_F(DeliveryTest, StorageConfigOffersGcsWhenTheServerHasAServiceAccount) {
  ASSERT_OK_AND_ASSIGN(v1::GetStorageConfigResponse config,
                       harness_.engine().GetStorageConfig(admin_));
  ASSERT_EQ(config.configs_size(), 1);
  EXPECT_EQ(config.configs(0).provider(), v1::AWS_S3);

  harness_.options().delivery.gcp_service_account_email = "webhookd@ops-1.iam.gserviceaccount.com";
  ASSERT_OK(harness_.StartEngine());
  ASSERT_OK_AND_ASSIGN(config, harness_.engine().GetStorageConfig(admin_));
  ASSERT_EQ(config.configs_size(), 2);
  const std::string external_id = ExternalIdOf(harness_.engine(), admin_);
  EXPECT_EQ(
      ToJson(config.configs(1)),
      R"({"storage_type":"OBJECT_STORAGE","provider":"GCP_GCS","config":{)"
      R"("config_type":"GCP_TO_GCS_STORAGE","setup_instructions":[)"
      R"("Choose a GCS bucket and a service account of yours that may create objects in it )"
      R"((roles/storage.objectCreator); report files are written under <path_prefix>/<org id>/)"
      R"(<YYYY-MM-DD>/<event id>/<file name>.",)"
      R"("Grant webhookd@ops-1.iam.gserviceaccount.com roles/iam.serviceAccountTokenCreator on )"
      R"(that service account, so this server can act as it.",)"
      R"("Show that the bucket allows your org: create the object webhookd-bucket-owner/)" +
          external_id +
          R"( in it (any content; your org's external ID is issued to your org alone) and let )"
          R"(the service account read it (roles/storage.objectViewer). This server reads it )"
          R"(before the first upload and hourly after, never writes it, and stores nothing )"
          R"(without it.",)"
          R"("Set the webhook's storage_destination: storage_type GCP_GCS and gcp_gcs_config with )"
          R"(bucket_name, service_account_email and optionally path_prefix.",)"
          R"("Check it with POST /api/rest/2.0/system/communication-channels/validate: the )"
          R"(STORAGE_FILE_UPLOAD_CHECK step stores a small test file and reports its key."],)"
          R"("aws_account_id":null,"gcp_service_account_id":null,"oidc_provider":null,)"
          R"("trust_policy_template":null,)"
          R"("service_account_email":"webhookd@ops-1.iam.gserviceaccount.com",)"
          R"("required_role":"roles/iam.serviceAccountTokenCreator"}})");
}

TEST_F(DeliveryTest, GcsDestinationsAreReportedAsGcs) {
  CreateWebhook(R"({"name":"w","url":"https://r.example/hook","events":["LIVEBOARD_SCHEDULE"],
      "storage_destination":{"storage_type":"GCP_GCS","storage_config":{"gcp_gcs_config":{
          "bucket_name":"team_reports",
          "service_account_email":"writer@p-1.iam.gserviceaccount.com"}}}})");
  const std::string job_id = Publish();
  harness_.engine().RunDueDeliveries();
  // GcsStorage checks with the org's ID that the bucket allows the org.
  ASSERT_EQ(harness_.storage().puts().size(), 1);
  EXPECT_EQ(harness_.storage().puts()[0].org_external_id,
            ExternalIdOf(harness_.engine(), sales_admin_));
  ASSERT_EQ(harness_.transport().request_count(), 1);
  EXPECT_THAT(
      harness_.transport().requests()[0].body,
      HasSubstr(absl::StrCat(R"({"files":[{"filename":"sales.csv","contentType":)",
                             R"("text/csv","size":8,"provider":"GCP_GCS",)",
                             R"("bucketName":"team_reports","objectKey":"7/)", "2026-03-18/",
                             job_id, R"(/sales.csv","uploadStatus":)", R"("SUCCESS"}]})")));

  v1::ValidateCommunicationChannelRequest request;
  request.set_channel_type(v1::WEBHOOK);
  request.set_channel_identifier("w");
  request.set_event_type(v1::LIVEBOARD_SCHEDULE);
  ASSERT_OK_AND_ASSIGN(v1::ValidateCommunicationChannelResponse response,
                       harness_.engine().ValidateCommunicationChannel(admin_, request));
  ASSERT_EQ(response.details_size(), 2);
  EXPECT_FALSE(response.details(1).has_aws_s3_info());
  EXPECT_EQ(response.details(1).gcp_gcs_info().bucket_name(), "team_reports");
  EXPECT_EQ(
      response.details(1).gcp_gcs_info().object_key(),
      absl::StrCat("7/2026-03-18/", response.job_id(), "/validation_dummy_20260318_090334.pdf"));
}

TEST(StorageRouterTest, SendsEachDestinationToItsProvider) {
  testing::FakeObjectStorage s3;
  StorageRouter router(&s3, /*gcp_gcs=*/nullptr);
  v1::StorageDestination destination;
  destination.set_storage_type(v1::AWS_S3);
  absl::StatusOr<std::vector<absl::Status>> result;
  const auto keep = [&](absl::StatusOr<std::vector<absl::Status>> answer) { result = answer; };
  router.Put(destination, "webhookd-org", {{"k", "text/plain", "1"}}, keep);
  ASSERT_OK(result.status());
  EXPECT_EQ(s3.puts().size(), 1u);
  destination.set_storage_type(v1::GCP_GCS);
  router.Put(destination, "webhookd-org", {{"k", "text/plain", "1"}}, keep);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition,
                               "this server stores no files in GCP_GCS storage destinations"));
  EXPECT_EQ(s3.puts().size(), 1u);
}

TEST_F(DeliveryTest, WithoutObjectStorageTheStorageCheckFails) {
  harness_.options().delivery.storage = nullptr;
  ASSERT_OK(harness_.StartEngine());
  CreateWebhook(kS3Webhook);
  v1::ValidateCommunicationChannelRequest request;
  request.set_channel_type(v1::WEBHOOK);
  request.set_channel_identifier("w");
  request.set_event_type(v1::LIVEBOARD_SCHEDULE);
  ASSERT_OK_AND_ASSIGN(v1::ValidateCommunicationChannelResponse response,
                       harness_.engine().ValidateCommunicationChannel(admin_, request));
  EXPECT_EQ(response.result_code(), v1::ValidateCommunicationChannelResponse::PARTIAL_SUCCESS);
  ASSERT_EQ(response.details_size(), 2);
  EXPECT_EQ(response.details(1).validation_step(),
            v1::ChannelValidationDetail::STORAGE_FILE_UPLOAD_CHECK);
  EXPECT_EQ(response.details(1).error_message(),
            "this server stores no report files: it was started without object storage");
}

}  // namespace
}  // namespace webhooks
