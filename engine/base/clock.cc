#include "engine/base/clock.h"

#include "absl/time/clock.h"

namespace webhooks {
namespace {

class WallClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock* SystemClock() {
  static WallClock* const clock = new WallClock();
  return clock;
}

}  // namespace webhooks
