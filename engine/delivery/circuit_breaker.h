// CircuitBreaker: which webhooks have failed every delivery attempt for too long, so that the
// engine disables them (DeliveryOptions::disable_after_failing_for).
//
//   CircuitBreaker breaker(absl::Hours(120));
//   if (breaker.Record("w1", /*succeeded=*/false, started)) {
//     detail += breaker.Reason();  // "; webhook disabled: every delivery failed for 120h"
//     ...                          // Disable w1.
//   }
//
// What it knows is in memory only: after a restart every webhook's run of failures starts
// afresh with its next failed attempt.
#ifndef WEBHOOKS_ENGINE_DELIVERY_CIRCUIT_BREAKER_H_
#define WEBHOOKS_ENGINE_DELIVERY_CIRCUIT_BREAKER_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace webhooks {
namespace engine_internal {

// Thread-compatible (DeliveryService guards it with its lock).
class CircuitBreaker {
 public:
  // A webhook trips the breaker once its attempts have all failed for `disable_after`; zero or
  // less: never (nothing is tracked then).
  explicit CircuitBreaker(absl::Duration disable_after) : disable_after_(disable_after) {}

  // Records an attempt to `webhook_id` that began at `started`. A success clears the webhook's
  // run of failures; the first failure after a success (or ever) starts one at `started`.
  // Returns true if this attempt failed and the run started at least `disable_after` before
  // `started`: the breaker trips, and forgets the webhook, so that once enabled again it starts
  // afresh.
  bool Record(const std::string& webhook_id, bool succeeded, absl::Time started);

  // Forgets `webhook_id`'s run of failures (its webhook is gone or disabled).
  void Forget(const std::string& webhook_id) { failing_since_.erase(webhook_id); }

  // The suffix of the history detail of the attempt that tripped the breaker:
  // "; webhook disabled: every delivery failed for <disable_after>" (absl::FormatDuration,
  // e.g. "120h").
  std::string Reason() const;

  // Webhooks in a run of failures.
  size_t failing() const { return failing_since_.size(); }

 private:
  const absl::Duration disable_after_;
  absl::flat_hash_map<std::string, absl::Time> failing_since_;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_CIRCUIT_BREAKER_H_
