// Per-webhook delivery limits through the engine: attempts in flight and attempts per second
// to one webhook, which must not hold up other webhooks' deliveries; and the delivery figures
// that /metrics shows (GetDeliveryStats). On a fake clock with a fake transport that keeps each
// request until the test answers it.
#include <iterator>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "engine/webhook_engine.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::webhooks::testing::MakeOrg;

constexpr char kUrlA[] = "https://a.example/hook";
constexpr char kUrlB[] = "https://b.example/hook";

HttpResponse Ok() {
  HttpResponse response;
  response.status = 200;
  return response;
}

class DeliveryLimitsTest : public ::testing::Test {
 protected:
  // Starts an engine with the options set so far, and webhook "a" in org Sales (to kUrlA) and
  // "b" in org Other (to kUrlB).
  void StartWithWebhooks() {
    ASSERT_OK(harness_.StartEngine());
    CreateWebhook("Sales", "a", kUrlA);
    CreateWebhook("Other", "b", kUrlB);
  }

  void CreateWebhook(const std::string& org, const std::string& name, const std::string& url) {
    v1::CreateWebhookRequest request;
    ASSERT_OK(FromJson(absl::StrCat(R"({"name":")", name, R"(","url":")", url,
                                    R"(","events":["LIVEBOARD_SCHEDULE"]})"),
                       &request));
    ASSERT_OK(harness_.engine().CreateWebhook(harness_.AdminOf(org), request).status());
  }

  // Publishes `count` events for `org`'s webhook.
  void Publish(const std::string& org, int count) {
    v1::PublishEventRequest request;
    ASSERT_OK(FromJson(absl::StrCat(R"({"org_identifier":")", org, R"(",
        "run":{"schedule":{"scheduleId":"sch-1","name":"Daily"},
               "liveboard_id":"lb-1","liveboard_name":"Sales"}})"),
                       &request));
    for (int i = 0; i < count; ++i) {
      ASSERT_OK_AND_ASSIGN(v1::PublishEventResponse response,
                           harness_.engine().PublishEvent(harness_.Admin(), request));
      ASSERT_EQ(response.outcome(), v1::PublishEventResponse::QUEUED) << response.reason();
    }
  }

  // Requests sent so far to `url`.
  int SentTo(const std::string& url) {
    int sent = 0;
    for (const HttpRequest& request : harness_.transport().requests()) {
      sent += absl::StartsWith(request.url, url) ? 1 : 0;
    }
    return sent;
  }

  // Answers every request not answered yet with 200, so that the engine can stop.
  void TearDown() override {
    for (size_t i = 0; i < harness_.transport().request_count(); ++i) {
      harness_.transport().Respond(i, Ok()).IgnoreError();  // Answered already: fine.
    }
  }

  testing::EngineHarness harness_{
      {MakeOrg("0", "Primary"), MakeOrg("7", "Sales"), MakeOrg("9", "Other")}};
};

TEST_F(DeliveryLimitsTest, ASlowWebhookKeepsOnlyItsOwnSlots) {
  // 12 slots in all: without the per-webhook cap, a's 20 due deliveries would take them all.
  harness_.options().delivery.max_concurrent_attempts = 12;
  harness_.options().delivery.max_attempts_in_flight_per_webhook = 8;
  StartWithWebhooks();
  Publish("Sales", 20);  // a's receiver never answers (until the test does).
  Publish("Other", 3);

  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 8);
  EXPECT_EQ(SentTo(kUrlB), 3);  // All of b's, in the same round.
  EXPECT_EQ(harness_.transport().pending_count(), 11u);
  DeliveryStats stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.in_flight, 11);
  EXPECT_EQ(stats.deferred_in_flight_limit, 12u);
  EXPECT_EQ(stats.deferred_rate_limit, 0u);

  harness_.engine().RunDueDeliveries();  // Nothing of a's ended: nothing more for a.
  EXPECT_EQ(SentTo(kUrlA), 8);

  // One of a's attempts ends: exactly one more of a's is sent on the next round.
  ASSERT_OK(harness_.transport().Respond(0, Ok()));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 9);
  EXPECT_EQ(harness_.transport().pending_count(), 11u);
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 9);

  // b's answers free no slot of a's.
  for (size_t i = 0; i < harness_.transport().request_count(); ++i) {
    if (absl::StartsWith(harness_.transport().requests()[i].url, kUrlB)) {
      ASSERT_OK(harness_.transport().Respond(i, Ok()));
    }
  }
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 9);
  stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.in_flight, 8);
  EXPECT_EQ(stats.pending, 19);  // a's 20 less the one delivered.
}

TEST_F(DeliveryLimitsTest, ValidationCountsInFlightButIsNotRefused) {
  harness_.options().delivery.max_attempts_in_flight_per_webhook = 1;
  StartWithWebhooks();
  Publish("Sales", 2);
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 1);  // The second waits for a slot.

  harness_.transport().SetResponder([](const HttpRequest&) { return Ok(); });
  v1::ValidateCommunicationChannelRequest request;
  ASSERT_OK(FromJson(R"({"channel_type":"WEBHOOK","channel_identifier":"a",
                         "event_type":"LIVEBOARD_SCHEDULE"})",
                     &request));
  ASSERT_OK_AND_ASSIGN(v1::ValidateCommunicationChannelResponse validated,
                       harness_.engine().ValidateCommunicationChannel(harness_.Admin(), request));
  EXPECT_EQ(validated.result_code(), v1::ValidateCommunicationChannelResponse::SUCCESS);
  EXPECT_EQ(SentTo(kUrlA), 2);  // Sent although a was at its cap.

  harness_.engine().RunDueDeliveries();  // a's first delivery is still in flight.
  EXPECT_EQ(SentTo(kUrlA), 2);
  ASSERT_OK(harness_.transport().Respond(0, Ok()));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 3);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().pending, 0);
}

TEST_F(DeliveryLimitsTest, AWebhookGetsItsRatePerSecondAndOthersTheirs) {
  harness_.options().delivery.max_attempts_per_second_per_webhook = 4;  // One every 250 ms.
  StartWithWebhooks();
  harness_.transport().SetResponder([](const HttpRequest&) { return Ok(); });
  Publish("Sales", 10);
  Publish("Other", 2);

  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 4);  // The bucket's 4 tokens, at one instant.
  EXPECT_EQ(SentTo(kUrlB), 2);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().deferred_rate_limit, 6u);
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 4);

  harness_.clock().Advance(absl::Milliseconds(249));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 4);
  harness_.clock().Advance(absl::Milliseconds(1));  // 1/4 s: one token more.
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 5);
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 5);
  harness_.clock().Advance(absl::Milliseconds(250));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 6);
  harness_.clock().Advance(absl::Seconds(1));  // The 4 left, each at its own token.
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(SentTo(kUrlA), 10);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().pending, 0);
}

TEST_F(DeliveryLimitsTest, StatsShowTheOldestPendingAgeAndHowLongAttemptsTook) {
  StartWithWebhooks();
  EXPECT_EQ(harness_.engine().GetDeliveryStats().oldest_pending_age, absl::ZeroDuration());
  Publish("Sales", 1);
  harness_.clock().Advance(absl::Seconds(3));
  Publish("Other", 1);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().oldest_pending_age, absl::Seconds(3));

  harness_.engine().RunDueDeliveries();
  harness_.clock().Advance(absl::Milliseconds(20));
  ASSERT_OK(harness_.transport().Respond(0, Ok()));  // 20 ms: the 0.025 bucket.
  harness_.clock().Advance(absl::Seconds(2));
  ASSERT_OK(harness_.transport().Respond(1, Ok()));  // 2.02 s: the 2.5 bucket.
  const DeliveryStats stats = harness_.engine().GetDeliveryStats();
  EXPECT_EQ(stats.oldest_pending_age, absl::ZeroDuration());
  EXPECT_EQ(stats.attempts_succeeded, 2u);
  for (size_t i = 0; i < std::size(DeliveryStats::kAttemptSecondsBounds); ++i) {
    const double bound = DeliveryStats::kAttemptSecondsBounds[i];
    EXPECT_EQ(stats.attempt_seconds_buckets[i], bound == 0.025 || bound == 2.5 ? 1u : 0u)
        << "bucket " << bound;
  }
  EXPECT_DOUBLE_EQ(stats.attempt_seconds_sum, 2.04);
}

}  // namespace
}  // namespace webhooks
