// WebhookLimits: the per-webhook delivery limits (DeliveryOptions'
// max_attempts_in_flight_per_webhook and max_attempts_per_second_per_webhook), so that one slow
// or busy receiver cannot take every delivery slot from the others.
//
//   WebhookLimits limits(/*max_in_flight=*/8, /*per_second=*/50);
//   const WebhookLimits::Admission admission = limits.TryStart(webhook_id, now);
//   if (admission.verdict == WebhookLimits::Verdict::kStart) {
//     ...send, and when the attempt ends:
//     limits.End(webhook_id, clock.Now());
//   }
//
// The rate is a token bucket of `per_second` tokens that refills at `per_second` a second (kept
// as a theoretical arrival time, GCRA): up to `per_second` attempts may start at one instant,
// then one every 1/per_second. Limits are per engine: replicas on one store each apply them.
//
// Not thread-safe: the DeliveryService guards it with its lock.
#ifndef WEBHOOKS_ENGINE_DELIVERY_WEBHOOK_LIMITS_H_
#define WEBHOOKS_ENGINE_DELIVERY_WEBHOOK_LIMITS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace webhooks {
namespace engine_internal {

class WebhookLimits {
 public:
  enum class Verdict {
    kStart,          // Counted in flight and a token taken: start the attempt.
    kAtInFlightCap,  // The webhook has max_in_flight attempts under way: wait for one to end.
    kOutOfTokens,    // No token: try again at `retry_at`.
  };
  struct Admission {
    Verdict verdict;
    absl::Time retry_at;  // For kOutOfTokens only.
  };

  // `max_in_flight` and `per_second` below 1 mean no such limit.
  WebhookLimits(int max_in_flight, int per_second);

  // Whether an attempt to `webhook_id` may start at `now`; if so it counts as started. For
  // kOutOfTokens, `retry_at` is when this attempt's token is due: the attempts refused in turn
  // get successive tokens, so that they do not all come back at the same instant.
  Admission TryStart(const std::string& webhook_id, absl::Time now);
  // Counts an attempt that starts whatever the limits say (a validation): it is in flight and
  // takes a token, even one not yet due, which delays later deliveries.
  void StartAnyway(const std::string& webhook_id, absl::Time now);
  // An attempt started by TryStart or StartAnyway ended. Returns how many more attempts the
  // webhook may have in flight now (INT_MAX without that limit).
  int End(const std::string& webhook_id, absl::Time now);

  // Attempts of `webhook_id` under way.
  int in_flight(const std::string& webhook_id) const;

 private:
  struct State {
    int in_flight = 0;
    absl::Time tat = absl::InfinitePast();       // When the bucket is full again.
    absl::Time reserved = absl::InfinitePast();  // The last retry_at handed out.
  };

  void Take(State& state, absl::Time now);

  const int max_in_flight_;
  const int per_second_;
  const absl::Duration interval_;   // Between tokens: 1 / per_second.
  const absl::Duration tolerance_;  // How far ahead tokens may be taken: the bucket, less one.
  absl::flat_hash_map<std::string, State> webhooks_;  // Webhooks with some state only.
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_WEBHOOK_LIMITS_H_
