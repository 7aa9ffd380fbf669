// OrgExternalIds: the AWS external ID this server issues to each org, derived from a server
// key, so that no org can have webhookd assume another org's storage role (the confused
// deputy): a webhook's AWS_S3 destination always carries its own org's ID.
//
// Not thread-safe: the engine guards it with its lock.
#ifndef WEBHOOKS_ENGINE_INTERNAL_ORG_EXTERNAL_IDS_H_
#define WEBHOOKS_ENGINE_INTERNAL_ORG_EXTERNAL_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

class OrgExternalIds {
 public:
  // The server key the IDs are derived from; empty until set.
  const std::string& key() const { return key_; }
  void set_key(std::string key) { key_ = std::move(key); }

  // Org `org_id`'s external ID.
  std::string For(absl::string_view org_id) const;

  // `webhook` as it is delivered: an AWS_S3 destination carries its org's external ID, whatever
  // was stored before this rule (so no stored value can name another org's).
  v1::Webhook Apply(v1::Webhook webhook) const;

  // For a webhook whose AWS_S3 destination a request sets: the external ID given must be the
  // org's (kInvalidArgument naming the field otherwise); none given is filled in.
  absl::Status Settle(v1::Webhook* webhook) const;

 private:
  std::string key_;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_ORG_EXTERNAL_IDS_H_
