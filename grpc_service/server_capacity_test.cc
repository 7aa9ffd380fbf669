#include "grpc_service/server_capacity.h"

#include <memory>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace http_internal {
namespace {

TEST(ConnectionCountsTest, LimitsOverallAndPerClientUntilSlotsAreReleased) {
  auto counts = std::make_shared<ConnectionCounts>(/*max_total=*/3, /*max_per_client=*/2);
  std::shared_ptr<void> a1 = counts->TryTake("10.0.0.1");
  std::shared_ptr<void> a2 = counts->TryTake("10.0.0.1");
  ASSERT_NE(a1, nullptr);
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(counts->TryTake("10.0.0.1"), nullptr);  // Its share is taken.
  std::shared_ptr<void> b1 = counts->TryTake("10.0.0.2");
  ASSERT_NE(b1, nullptr);
  EXPECT_EQ(counts->TryTake("10.0.0.3"), nullptr);  // All three are taken.
  a1.reset();
  EXPECT_NE(counts->TryTake("10.0.0.3"), nullptr);
}

TEST(HandlerPoolTest, RefusesTasksBeyondThreadsAndQueue) {
  HandlerPool pool(/*threads=*/1, /*max_queued=*/1);
  absl::Notification started, release;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();
  bool queued_ran = false;
  ASSERT_TRUE(pool.TrySubmit([&] { queued_ran = true; }));
  EXPECT_FALSE(pool.TrySubmit([] {}));  // One running and one waiting: full.
  release.Notify();
  pool.Stop();  // Runs what is queued, then joins.
  EXPECT_TRUE(queued_ran);
  EXPECT_FALSE(pool.TrySubmit([] {}));  // Stopped.
}

}  // namespace
}  // namespace http_internal
}  // namespace webhooks
