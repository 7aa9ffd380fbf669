// Clock: the one source of the current time in the engine, injected so tests can move time
// by hand (see //testing:fake_clock).
#ifndef WEBHOOKS_ENGINE_BASE_CLOCK_H_
#define WEBHOOKS_ENGINE_BASE_CLOCK_H_

#include "absl/time/time.h"

namespace webhooks {

// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock. Never null; lives for the whole process.
Clock* SystemClock();

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_BASE_CLOCK_H_
