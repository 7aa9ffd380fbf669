#include "grpc_service/slow_call_runner.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::webhooks::testing::StatusIs;

TEST(SlowCallRunnerTest, ReturnsTheResult) {
  SlowCallRunner runner(2, "validations");
  const absl::StatusOr<int> seven =
      runner.Run<int>(absl::InfiniteFuture(), [] { return absl::StatusOr<int>(7); });
  ASSERT_OK(seven);
  EXPECT_EQ(*seven, 7);
  EXPECT_THAT(runner.Run<int>(absl::InfiniteFuture(),
                              [] { return absl::StatusOr<int>(absl::NotFoundError("gone")); }),
              StatusIs(absl::StatusCode::kNotFound, "gone"));
}

TEST(SlowCallRunnerTest, RefusesCallsOverTheBound) {
  SlowCallRunner runner(1, "validations");
  absl::Notification entered;
  absl::Notification release;
  absl::StatusOr<int> first;
  std::thread caller([&] {
    first = runner.Run<int>(absl::InfiniteFuture(), [&] {
      entered.Notify();
      release.WaitForNotification();
      return absl::StatusOr<int>(1);
    });
  });
  entered.WaitForNotification();
  EXPECT_THAT(runner.Run<int>(absl::InfiniteFuture(), [] { return absl::StatusOr<int>(2); }),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "Too many validations in progress (at most 1); retry later."));
  release.Notify();
  caller.join();
  ASSERT_OK(first);
  EXPECT_EQ(*first, 1);
}

TEST(SlowCallRunnerTest, StopsWaitingAtTheDeadlineButKeepsTheSlotUntilTheWorkEnds) {
  SlowCallRunner runner(1, "validations");
  absl::Notification release;
  absl::Notification finished;
  EXPECT_THAT(runner.Run<int>(absl::Now() + absl::Milliseconds(20),
                              [&] {
                                release.WaitForNotification();
                                finished.Notify();
                                return absl::StatusOr<int>(1);
                              }),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "the caller's deadline passed before the validations finished"));
  EXPECT_EQ(runner.running(), 1);
  EXPECT_THAT(runner.Run<int>(absl::InfiniteFuture(), [] { return absl::StatusOr<int>(2); }),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  release.Notify();
  finished.WaitForNotification();
  // The slot is freed just after the work returns; the next call waits for nothing else.
  while (runner.running() != 0) std::this_thread::yield();
  EXPECT_OK(runner.Run<int>(absl::InfiniteFuture(), [] { return absl::StatusOr<int>(3); }));
}

TEST(SlowCallRunnerTest, APassedDeadlineRunsNothing) {
  SlowCallRunner runner(1, "validations");
  bool ran = false;
  EXPECT_THAT(runner.Run<int>(absl::Now() - absl::Seconds(1),
                              [&] {
                                ran = true;
                                return absl::StatusOr<int>(1);
                              }),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace webhooks
