// FakeClock: a Clock that moves only when a test says so.
//
//   webhooks::testing::FakeClock clock(absl::FromUnixMillis(1773824614455));
//   clock.Advance(absl::Seconds(5));
#ifndef WEBHOOKS_TESTING_FAKE_CLOCK_H_
#define WEBHOOKS_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"

namespace webhooks {
namespace testing {

// Where a FakeClock starts unless told otherwise: 2026-03-18T09:03:34.455Z.
inline constexpr absl::Time kFakeClockStart = absl::FromUnixMillis(1773824614455);

// Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = kFakeClockStart) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_FAKE_CLOCK_H_
