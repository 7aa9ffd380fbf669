#include "engine/delivery/circuit_breaker.h"

#include "absl/strings/str_cat.h"

namespace webhooks {
namespace engine_internal {

bool CircuitBreaker::Record(const std::string& webhook_id, bool succeeded, absl::Time started) {
  if (disable_after_ <= absl::ZeroDuration()) return false;
  if (succeeded) {
    failing_since_.erase(webhook_id);
    return false;
  }
  const absl::Time since = failing_since_.try_emplace(webhook_id, started).first->second;
  if (started - since < disable_after_) return false;
  failing_since_.erase(webhook_id);
  return true;
}

std::string CircuitBreaker::Reason() const {
  return absl::StrCat("; webhook disabled: every delivery failed for ",
                      absl::FormatDuration(disable_after_));
}

}  // namespace engine_internal
}  // namespace webhooks
