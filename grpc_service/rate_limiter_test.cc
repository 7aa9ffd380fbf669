#include "grpc_service/rate_limiter.h"

#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::webhooks::testing::FakeClock;
using ::webhooks::testing::StatusIs;

TEST(RateLimiterTest, ABurstThenTheSteadyRate) {
  FakeClock clock;
  RateLimiter limiter({/*per_second=*/100, /*burst=*/10}, clock);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.Acquire("10.0.0.1"), absl::ZeroDuration()) << i;
  EXPECT_EQ(limiter.Acquire("10.0.0.1"), absl::Milliseconds(10));
  EXPECT_EQ(limiter.Acquire("10.0.0.2"), absl::ZeroDuration());  // Each address on its own.
  clock.Advance(absl::Milliseconds(10));
  EXPECT_EQ(limiter.Acquire("10.0.0.1"), absl::ZeroDuration());
  EXPECT_GT(limiter.Acquire("10.0.0.1"), absl::ZeroDuration());
  clock.Advance(absl::Seconds(60));  // Refills to the burst, no further.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.Acquire("10.0.0.1"), absl::ZeroDuration()) << i;
  EXPECT_GT(limiter.Acquire("10.0.0.1"), absl::ZeroDuration());
}

TEST(RateLimiterTest, ManyClientsStayBounded) {
  FakeClock clock;
  RateLimiter limiter({/*per_second=*/100, /*burst=*/10}, clock);
  for (int i = 0; i < 5000; ++i) {
    clock.Advance(absl::Milliseconds(1));
    EXPECT_EQ(limiter.Acquire(std::to_string(i)), absl::ZeroDuration());
  }
  // 5,000 clients, one every millisecond: buckets full after 100 ms are dropped on each sweep.
  EXPECT_LE(limiter.clients(), 2048u);
  // Old buckets were dropped as full; a client seen again starts with a full burst.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.Acquire("0"), absl::ZeroDuration());
}

TEST(RateLimiterTest, ErrorAndRetryAfter) {
  FakeClock clock;
  RateLimiter limiter({/*per_second=*/100, /*burst=*/10}, clock);
  EXPECT_THAT(limiter.ExceededError(absl::Milliseconds(10)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "Rate limit exceeded: at most 100 requests per second per client address "
                       "(bursts of 10); retry after 1 s."));
  EXPECT_EQ(RetryAfterSeconds(absl::Milliseconds(10)), 1);
  EXPECT_EQ(RetryAfterSeconds(absl::Seconds(2)), 2);
  EXPECT_EQ(RetryAfterSeconds(absl::Milliseconds(2001)), 3);
}

}  // namespace
}  // namespace webhooks
