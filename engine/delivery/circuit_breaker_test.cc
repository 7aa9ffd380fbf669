#include "engine/delivery/circuit_breaker.h"

#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

TEST(CircuitBreakerTest, TripsOnTheFirstFailureAtTheThreshold) {
  CircuitBreaker breaker(absl::Hours(2));
  EXPECT_FALSE(breaker.Record("w1", false, kStart));
  EXPECT_FALSE(breaker.Record("w1", false, kStart + absl::Hours(2) - absl::Seconds(1)));
  EXPECT_FALSE(breaker.Record("w2", false, kStart + absl::Hours(1)));  // Its own run.
  EXPECT_TRUE(breaker.Record("w1", false, kStart + absl::Hours(2)));
  EXPECT_EQ(breaker.failing(), 1u);                                    // w1 is forgotten.
  EXPECT_FALSE(breaker.Record("w1", false, kStart + absl::Hours(3)));  // A new run.
  EXPECT_EQ(breaker.Reason(), "; webhook disabled: every delivery failed for 2h");
}

TEST(CircuitBreakerTest, ASuccessStartsAfresh) {
  CircuitBreaker breaker(absl::Hours(2));
  EXPECT_FALSE(breaker.Record("w1", false, kStart));
  EXPECT_FALSE(breaker.Record("w1", true, kStart + absl::Hours(1)));
  EXPECT_EQ(breaker.failing(), 0u);
  EXPECT_FALSE(breaker.Record("w1", false, kStart + absl::Minutes(90)));
  EXPECT_FALSE(breaker.Record("w1", false, kStart + absl::Hours(3)));
  EXPECT_TRUE(breaker.Record("w1", false, kStart + absl::Minutes(210)));
}

TEST(CircuitBreakerTest, ZeroNeverTripsNorTracks) {
  CircuitBreaker breaker(absl::ZeroDuration());
  EXPECT_FALSE(breaker.Record("w1", false, kStart));
  EXPECT_FALSE(breaker.Record("w1", false, kStart + absl::Hours(24 * 365)));
  EXPECT_EQ(breaker.failing(), 0u);
}

TEST(CircuitBreakerTest, ForgetStartsAfresh) {
  CircuitBreaker breaker(absl::Hours(2));
  EXPECT_FALSE(breaker.Record("w1", false, kStart));
  breaker.Forget("w1");
  EXPECT_FALSE(breaker.Record("w1", false, kStart + absl::Hours(2)));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
