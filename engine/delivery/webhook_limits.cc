#include "engine/delivery/webhook_limits.h"

#include <algorithm>
#include <climits>

namespace webhooks {
namespace engine_internal {

WebhookLimits::WebhookLimits(int max_in_flight, int per_second)
    : max_in_flight_(max_in_flight),
      per_second_(per_second),
      interval_(per_second > 0 ? absl::Seconds(1) / per_second : absl::ZeroDuration()),
      tolerance_(per_second > 0 ? interval_ * (per_second - 1) : absl::ZeroDuration()) {}

WebhookLimits::Admission WebhookLimits::TryStart(const std::string& webhook_id, absl::Time now) {
  State& state = webhooks_[webhook_id];
  if (max_in_flight_ > 0 && state.in_flight >= max_in_flight_) {
    return {Verdict::kAtInFlightCap, absl::InfinitePast()};
  }
  if (per_second_ > 0) {
    const absl::Time earliest = std::max(state.tat, now) - tolerance_;
    if (earliest > now) {
      state.reserved = std::max(earliest, state.reserved + interval_);
      return {Verdict::kOutOfTokens, state.reserved};
    }
  }
  Take(state, now);
  return {Verdict::kStart, absl::InfinitePast()};
}

void WebhookLimits::StartAnyway(const std::string& webhook_id, absl::Time now) {
  Take(webhooks_[webhook_id], now);
}

void WebhookLimits::Take(State& state, absl::Time now) {
  ++state.in_flight;
  if (per_second_ > 0) state.tat = std::max(state.tat, now) + interval_;
}

int WebhookLimits::End(const std::string& webhook_id, absl::Time now) {
  const auto it = webhooks_.find(webhook_id);
  if (it == webhooks_.end()) return max_in_flight_ > 0 ? max_in_flight_ : INT_MAX;
  State& state = it->second;
  --state.in_flight;
  const int free = max_in_flight_ > 0 ? max_in_flight_ - state.in_flight : INT_MAX;
  if (state.in_flight <= 0 && state.tat <= now && state.reserved <= now) webhooks_.erase(it);
  return free;
}

int WebhookLimits::in_flight(const std::string& webhook_id) const {
  const auto it = webhooks_.find(webhook_id);
  return it == webhooks_.end() ? 0 : it->second.in_flight;
}

}  // namespace engine_internal
}  // namespace webhooks
