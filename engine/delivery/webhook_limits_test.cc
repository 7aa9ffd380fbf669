#include "engine/delivery/webhook_limits.h"

#include <climits>

#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1773824614);

TEST(WebhookLimitsTest, CapsAttemptsInFlightPerWebhook) {
  WebhookLimits limits(/*max_in_flight=*/2, /*per_second=*/0);
  EXPECT_EQ(limits.TryStart("a", kNow).verdict, WebhookLimits::Verdict::kStart);
  EXPECT_EQ(limits.TryStart("a", kNow).verdict, WebhookLimits::Verdict::kStart);
  EXPECT_EQ(limits.TryStart("a", kNow).verdict, WebhookLimits::Verdict::kAtInFlightCap);
  EXPECT_EQ(limits.TryStart("b", kNow).verdict, WebhookLimits::Verdict::kStart);  // Its own slots.
  EXPECT_EQ(limits.in_flight("a"), 2);
  EXPECT_EQ(limits.End("a", kNow), 1);
  EXPECT_EQ(limits.TryStart("a", kNow).verdict, WebhookLimits::Verdict::kStart);
  limits.StartAnyway("a", kNow);  // A validation is never refused.
  EXPECT_EQ(limits.in_flight("a"), 3);
  EXPECT_EQ(limits.End("a", kNow), 0);
  EXPECT_EQ(limits.End("a", kNow), 1);
  EXPECT_EQ(limits.End("a", kNow), 2);
  EXPECT_EQ(limits.in_flight("a"), 0);
}

TEST(WebhookLimitsTest, TokenBucketAllowsABurstThenOneEveryInterval) {
  WebhookLimits limits(/*max_in_flight=*/0, /*per_second=*/4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(limits.TryStart("a", kNow).verdict, WebhookLimits::Verdict::kStart) << i;
  }
  // The refused get successive tokens: 250 ms apart.
  for (int i = 1; i <= 3; ++i) {
    const WebhookLimits::Admission refused = limits.TryStart("a", kNow);
    EXPECT_EQ(refused.verdict, WebhookLimits::Verdict::kOutOfTokens);
    EXPECT_EQ(refused.retry_at, kNow + absl::Milliseconds(250) * i) << i;
  }
  EXPECT_EQ(limits.TryStart("b", kNow).verdict, WebhookLimits::Verdict::kStart);  // Its own bucket.
  EXPECT_EQ(limits.TryStart("a", kNow + absl::Milliseconds(249)).verdict,
            WebhookLimits::Verdict::kOutOfTokens);
  EXPECT_EQ(limits.TryStart("a", kNow + absl::Milliseconds(250)).verdict,
            WebhookLimits::Verdict::kStart);
  EXPECT_EQ(limits.TryStart("a", kNow + absl::Milliseconds(250)).verdict,
            WebhookLimits::Verdict::kOutOfTokens);
  // A full second later the bucket is full again.
  const absl::Time later = kNow + absl::Milliseconds(1250) + absl::Seconds(1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(limits.TryStart("a", later).verdict, WebhookLimits::Verdict::kStart) << i;
  }
  EXPECT_EQ(limits.TryStart("a", later).verdict, WebhookLimits::Verdict::kOutOfTokens);
}

TEST(WebhookLimitsTest, ZeroMeansNoLimit) {
  WebhookLimits limits(0, 0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(limits.TryStart("a", kNow).verdict, WebhookLimits::Verdict::kStart) << i;
  }
  EXPECT_EQ(limits.End("a", kNow), INT_MAX);
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
