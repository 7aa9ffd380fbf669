// Principal: who is calling the engine. The engine trusts it as given; building it from a
// token or a session is the host's job (webhookd uses an Authenticator).
#ifndef WEBHOOKS_ENGINE_PRINCIPAL_H_
#define WEBHOOKS_ENGINE_PRINCIPAL_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "proto/principals.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {

struct Principal {
  std::string user_id;
  std::string user_name;
  v1::Org org;  // The org context of the call: new webhooks belong to it.
  absl::flat_hash_set<v1::Privilege> privileges;
  bool rbac_enabled = false;  // With RBAC, the CAN_MANAGE_* style privileges count.
  // True for a cluster administrator acting in the Primary org: may see and change every
  // org's webhooks and name other orgs in `org_identifier`.
  bool can_act_across_orgs = false;

  bool Has(v1::Privilege privilege) const { return privileges.contains(privilege); }
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PRINCIPAL_H_
