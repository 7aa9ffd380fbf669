// SecretRotations: the signing secret each webhook's current one replaced, kept valid for a
// while after an update changed it (DeliveryOptions::secret_rotation_overlap), so receivers
// can move to the new secret without refusing deliveries meanwhile: until then every delivery
// carries a Standard Webhooks signature with each secret (see delivery_request.h).
//
// The old secret is state like any other, in state records (state::SecretRotation), so it
// survives restarts and reaches every replica; it never leaves the engine otherwise (no
// response or log shows it). One per webhook at most: a second rotation replaces it with the
// secret that rotation replaced. An entry that has run out stays until the webhook changes or a
// snapshot leaves it out: at most one per webhook.
//
// Thread-safe, with a lock of its own that is never held while calling out: the engine applies
// records under its lock, deliveries read it without.
#ifndef WEBHOOKS_ENGINE_INTERNAL_SECRET_ROTATION_H_
#define WEBHOOKS_ENGINE_INTERNAL_SECRET_ROTATION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/state.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

class SecretRotations {
 public:
  // The record an update from `stored` to `updated` (the same webhook) adds, at `now_millis`: if
  // both sign and the secret changed, `stored`'s secret valid for `overlap`, or with a zero
  // overlap a record that drops any earlier one (a secret rotated twice must not keep the first).
  // Nothing otherwise: an unchanged secret keeps what is kept, and an update that drops signing
  // drops the old secret with it (see Apply).
  static std::optional<state::SecretRotation> Plan(const v1::Webhook& stored,
                                                   const v1::Webhook& updated, int64_t now_millis,
                                                   absl::Duration overlap);

  // Follows a state record: a secret_rotation is kept (one with no secret drops the webhook's);
  // a delete_webhook, or a put_webhook without signature_verification, drops it. Others are
  // ignored.
  void Apply(const state::StateRecord& record) ABSL_LOCKS_EXCLUDED(mu_);

  // The secret webhook `webhook_id`'s current one replaced, if it is still valid at
  // `now_millis`; empty otherwise.
  std::string PreviousSecret(const std::string& webhook_id, int64_t now_millis) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Adds a secret_rotation record for each old secret still valid at `now_millis`.
  void AddToSnapshot(const std::function<state::StateRecord*()>& add, int64_t now_millis) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, state::SecretRotation> by_webhook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_SECRET_ROTATION_H_
