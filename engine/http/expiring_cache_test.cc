#include "engine/http/expiring_cache.h"

#include "gtest/gtest.h"
#include "testing/fake_clock.h"

namespace webhooks {
namespace {

TEST(ExpiringCacheTest, KeepsAValueUntilShortlyBeforeItExpires) {
  testing::FakeClock clock(absl::FromUnixSeconds(1000));
  ExpiringCache<std::string> cache(clock, absl::Minutes(5));
  EXPECT_FALSE(cache.Get("k").has_value());
  cache.Put("k", "token", clock.Now() + absl::Hours(1));
  clock.Advance(absl::Minutes(54));
  EXPECT_EQ(cache.Get("k"), "token");
  clock.Advance(absl::Minutes(1));  // 5 minutes before it expires: renew.
  EXPECT_FALSE(cache.Get("k").has_value());
  cache.Put("k", "renewed", clock.Now() + absl::Hours(1));
  EXPECT_EQ(cache.Get("k"), "renewed");
}

TEST(ExpiringCacheTest, DropForgetsOnlyTheRefusedValue) {
  testing::FakeClock clock(absl::FromUnixSeconds(1000));
  ExpiringCache<std::string> cache(clock, absl::ZeroDuration());
  cache.Put("k", "new", clock.Now() + absl::Hours(1));
  cache.Drop("k", [](const std::string& kept) { return kept == "old"; });
  EXPECT_EQ(cache.Get("k"), "new");
  cache.Drop("k");
  EXPECT_FALSE(cache.Get("k").has_value());
  cache.Drop("absent");
}

}  // namespace
}  // namespace webhooks
