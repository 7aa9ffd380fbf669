// The circuit breaker through the engine: a webhook whose deliveries have all failed for
// DeliveryOptions::disable_after_failing_for is set DISABLED (and says why in the history)
// until an administrator enables it again. On a fake clock, with a receiver that answers
// every attempt at once, and the harness's retry delays (1, 5, 15, 60, 120, 240 minutes, no
// jitter).
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/webhook_engine.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::webhooks::testing::kFakeClockStart;
using ::webhooks::testing::MakeOrg;

constexpr char kDisabledDetail[] = "HTTP 500: down; webhook disabled: every delivery failed for 2h";

class CircuitBreakerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.transport().SetResponder([this](const HttpRequest&) {
      HttpResponse response;
      response.status = status_.load();
      response.body = response.status == 500 ? "down" : "";
      return response;
    });
    harness_.options().delivery.disable_after_failing_for = absl::Hours(2);
  }

  // Starts the engine with webhook "a" of org Sales.
  void Start() {
    ASSERT_OK(harness_.StartEngine());
    v1::CreateWebhookRequest request;
    ASSERT_OK(FromJson(R"({"name":"a","url":"https://a.example/hook",
                           "events":["LIVEBOARD_SCHEDULE"]})",
                       &request));
    ASSERT_OK(harness_.engine().CreateWebhook(harness_.AdminOf("Sales"), request).status());
  }

  // Sets the clock to `minutes` after the start and runs the deliveries due then.
  void At(int minutes) {
    harness_.SetClockTo(absl::Minutes(minutes));
    harness_.engine().RunDueDeliveries();
  }

  v1::PublishEventResponse Publish() {
    absl::StatusOr<v1::PublishEventResponse> response = harness_.PublishDailyRun("Sales");
    EXPECT_OK(response.status());
    return response.value_or(v1::PublishEventResponse());
  }

  // Publishes an event that is queued, and returns its job id.
  std::string Queue() {
    const v1::PublishEventResponse response = Publish();
    EXPECT_EQ(response.outcome(), v1::PublishEventResponse::QUEUED) << response.reason();
    return response.job_id();
  }

  v1::Webhook Webhook() {
    v1::SearchWebhooksRequest request;
    request.set_webhook_identifier("a");
    absl::StatusOr<v1::SearchWebhooksResponse> found =
        harness_.engine().SearchWebhooks(harness_.Admin(), request);
    EXPECT_OK(found.status());
    EXPECT_EQ(found->webhooks_size(), 1);
    return found->webhooks_size() == 1 ? found->webhooks(0) : v1::Webhook();
  }

  // Webhook a's status; a webhook created without one is ENABLED.
  v1::WebhookStatus Status() {
    const v1::Webhook webhook = Webhook();
    return webhook.has_status() ? webhook.status() : v1::ENABLED;
  }

  v1::ChannelHistoryJob Job(const std::string& job_id) { return harness_.HistoryJob(job_id); }

  // Keeps the state in a journal from now on; each call after the first is a restart.
  void UseJournal() { ASSERT_OK(harness_.UseJournal("breaker")); }

  std::atomic<int> status_{500};
  testing::EngineHarness harness_{{MakeOrg("0", "Primary"), MakeOrg("7", "Sales")}};
};

TEST_F(CircuitBreakerTest, FiveDaysByDefault) {
  EXPECT_EQ(DeliveryOptions().disable_after_failing_for, absl::Hours(120));
}

TEST_F(CircuitBreakerTest, DisablesAtTheFirstFailureAfterFailingForTheThreshold) {
  Start();
  const std::string first = Queue();  // Tried at 0, 1, 6, 21, 81 and 201 minutes.
  for (int minutes : {0, 1, 6, 21, 81}) At(minutes);
  At(119);
  const std::string second = Queue();  // Tried at 119, then at 120 minutes.
  At(119);
  EXPECT_EQ(Job(second).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(second).detail(), "HTTP 500: down");
  EXPECT_EQ(Status(), v1::ENABLED);  // Failing for 1 h 59 min.
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 0u);

  At(120);
  const v1::Webhook disabled = Webhook();
  EXPECT_EQ(disabled.status(), v1::DISABLED);
  EXPECT_EQ(disabled.modification_time_in_millis(),
            absl::ToUnixMillis(kFakeClockStart + absl::Minutes(120)));
  EXPECT_FALSE(disabled.has_last_modified_by());
  EXPECT_EQ(Job(second).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(second).try_count(), 2);
  EXPECT_EQ(Job(second).detail(), kDisabledDetail);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 1u);
  EXPECT_EQ(Publish().outcome(), v1::PublishEventResponse::WEBHOOK_DISABLED);

  // The job queued before fails at its next attempt, which is not sent.
  const size_t sent = harness_.transport().request_count();
  At(201);
  EXPECT_EQ(harness_.transport().request_count(), sent);
  EXPECT_EQ(Job(first).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(first).detail(), "the webhook is disabled");
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 1u);
}

TEST_F(CircuitBreakerTest, EnabledAgainItQueuesAndStartsAfresh) {
  Start();
  Queue();
  for (int minutes : {0, 1, 6, 21, 81}) At(minutes);
  At(120);
  const std::string tripping = Queue();
  At(120);
  EXPECT_EQ(Job(tripping).detail(), kDisabledDetail);
  ASSERT_EQ(Status(), v1::DISABLED);

  v1::UpdateWebhookRequest enable;
  enable.set_webhook_identifier("a");
  enable.set_status(v1::ENABLED);
  ASSERT_OK(harness_.engine().UpdateWebhook(harness_.AdminOf("Sales"), enable));
  EXPECT_EQ(Status(), v1::ENABLED);

  // Failing again, but only since now.
  const std::string again = Queue();
  At(130);
  EXPECT_EQ(Job(again).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(again).detail(), "HTTP 500: down");
  EXPECT_EQ(Status(), v1::ENABLED);

  status_ = 200;
  At(131);
  EXPECT_EQ(Job(again).status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 1u);
}

TEST_F(CircuitBreakerTest, ASuccessStartsTheRunOfFailuresAgain) {
  Start();
  const std::string first = Queue();  // Fails at 0, 1, 6, 21, 81 and 201 minutes.
  for (int minutes : {0, 1, 6, 21}) At(minutes);
  status_ = 200;
  At(60);
  const std::string delivered = Queue();
  At(60);
  EXPECT_EQ(Job(delivered).status(), v1::ChannelHistoryJob::SUCCESS);
  status_ = 500;
  At(81);  // Failing since 81 minutes.

  At(130);
  const std::string second = Queue();  // Past the old deadline of 120 minutes.
  At(130);
  EXPECT_EQ(Job(second).detail(), "HTTP 500: down");
  At(200);
  EXPECT_EQ(Status(), v1::ENABLED);

  At(201);  // 120 minutes after 81.
  EXPECT_EQ(Status(), v1::DISABLED);
  EXPECT_EQ(Job(first).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(first).try_count(), 6);
  EXPECT_EQ(Job(first).detail(), kDisabledDetail);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 1u);
}

// The run of failures is kept in memory: a restart starts it afresh. The disabling is a
// committed change, there after a restart.
TEST_F(CircuitBreakerTest, ARestartStartsTheRunAfreshButKeepsTheWebhookDisabled) {
  UseJournal();
  Start();
  Queue();  // Fails at 0, 1, 6, 21 and 81 minutes, then (after the restart) at 201.
  for (int minutes : {0, 1, 6, 21, 81}) At(minutes);
  UseJournal();  // Restarted at 81 minutes.
  ASSERT_OK(harness_.StartEngine());

  At(119);
  const std::string second = Queue();  // Fails at 119, 120, 125, 140, 200 and 320 minutes.
  for (int minutes : {120, 125, 140, 200}) At(minutes);
  EXPECT_EQ(Job(second).detail(), "HTTP 500: down");
  At(201);  // The first job fails again: 82 minutes after the run began.
  EXPECT_EQ(Status(), v1::ENABLED);

  At(320);  // 120 minutes after the first failure since the restart.
  EXPECT_EQ(Job(second).detail(), kDisabledDetail);
  EXPECT_EQ(Status(), v1::DISABLED);

  UseJournal();
  ASSERT_OK(harness_.StartEngine());
  EXPECT_EQ(Status(), v1::DISABLED);
  EXPECT_EQ(Job(second).detail(), kDisabledDetail);
  EXPECT_EQ(Publish().outcome(), v1::PublishEventResponse::WEBHOOK_DISABLED);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 0u);  // Since start.
}

TEST_F(CircuitBreakerTest, ZeroNeverDisables) {
  harness_.options().delivery.disable_after_failing_for = absl::ZeroDuration();
  Start();
  const std::string first = Queue();
  for (int minutes : {0, 1, 6, 21, 81, 201, 441}) At(minutes);
  EXPECT_EQ(Job(first).status(), v1::ChannelHistoryJob::FAILED);
  EXPECT_EQ(Job(first).detail(), "HTTP 500: down");
  At(6 * 24 * 60);
  const std::string second = Queue();
  At(6 * 24 * 60);
  EXPECT_EQ(Job(second).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Status(), v1::ENABLED);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().webhooks_disabled_by_breaker, 0u);
}

}  // namespace
}  // namespace webhooks
