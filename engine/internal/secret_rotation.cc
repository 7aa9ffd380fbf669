#include "engine/internal/secret_rotation.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace webhooks {
namespace engine_internal {

std::optional<state::SecretRotation> SecretRotations::Plan(const v1::Webhook& stored,
                                                           const v1::Webhook& updated,
                                                           int64_t now_millis,
                                                           absl::Duration overlap) {
  if (!stored.has_signature_verification() || !updated.has_signature_verification()) {
    return std::nullopt;
  }
  const std::string& previous = stored.signature_verification().secret();
  if (previous == updated.signature_verification().secret()) return std::nullopt;
  state::SecretRotation rotation;
  rotation.set_webhook_id(stored.id());
  if (overlap > absl::ZeroDuration()) {
    rotation.set_previous_secret(previous);
    rotation.set_previous_valid_until_millis(now_millis + absl::ToInt64Milliseconds(overlap));
  }
  return rotation;
}

void SecretRotations::Apply(const state::StateRecord& record) {
  absl::MutexLock lock(&mu_);
  switch (record.change_case()) {
    case state::StateRecord::kSecretRotation:
      if (record.secret_rotation().previous_secret().empty()) {
        by_webhook_.erase(record.secret_rotation().webhook_id());
      } else {
        by_webhook_[record.secret_rotation().webhook_id()] = record.secret_rotation();
      }
      break;
    case state::StateRecord::kDeleteWebhook:
      by_webhook_.erase(record.delete_webhook());
      break;
    case state::StateRecord::kPutWebhook:
      if (!record.put_webhook().has_signature_verification()) {
        by_webhook_.erase(record.put_webhook().id());
      }
      break;
    default:
      break;
  }
}

std::string SecretRotations::PreviousSecret(const std::string& webhook_id,
                                            int64_t now_millis) const {
  absl::MutexLock lock(&mu_);
  const auto it = by_webhook_.find(webhook_id);
  if (it == by_webhook_.end() || now_millis >= it->second.previous_valid_until_millis()) return "";
  return it->second.previous_secret();
}

void SecretRotations::AddToSnapshot(const std::function<state::StateRecord*()>& add,
                                    int64_t now_millis) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, rotation] : by_webhook_) {
    if (now_millis < rotation.previous_valid_until_millis()) {
      *add()->mutable_secret_rotation() = rotation;
    }
  }
}

}  // namespace engine_internal
}  // namespace webhooks
