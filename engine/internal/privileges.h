// Who may do what: the privilege checks of every engine method, and the org scoping that makes
// another org's webhook look like an unknown one.
#ifndef WEBHOOKS_ENGINE_INTERNAL_PRIVILEGES_H_
#define WEBHOOKS_ENGINE_INTERNAL_PRIVILEGES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/org_directory.h"
#include "engine/principal.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// Webhooks and their history: ADMINISTRATION or DEVELOPER, or CAN_MANAGE_WEBHOOKS with RBAC.
// kPermissionDenied names `action` ("create", "search", ...).
absl::Status RequireWebhookPrivileges(const Principal& caller, absl::string_view action);

// Channel preferences: ADMINISTRATION or DEVELOPER, or APPLICATION_ADMINISTRATION with RBAC.
absl::Status RequirePreferencePrivileges(const Principal& caller, absl::string_view action);

// A cluster administrator: ADMINISTRATION in a session that may act across orgs. The
// administrator of one org is not one: what is cluster-wide applies to every org.
inline bool IsClusterAdministrator(const Principal& caller) {
  return caller.Has(v1::ADMINISTRATION) && caller.can_act_across_orgs;
}

// Cluster-level channel preferences: a cluster administrator.
absl::Status RequireClusterPrivilege(const Principal& caller, absl::string_view action);

// Publishing events (the host's scheduler): ADMINISTRATION.
absl::Status RequirePublishPrivilege(const Principal& caller);

// Whether `caller` may see and act on what belongs to org `org_id`.
inline bool MayActOn(const Principal& caller, absl::string_view org_id) {
  return caller.can_act_across_orgs || org_id == caller.org.id();
}

// The org `identifier` (id or name) names in `orgs`, if `caller` may act on it;
// kInvalidArgument naming `field` otherwise (another org is reported like an unknown one).
absl::StatusOr<v1::Org> ResolveOrg(const OrgDirectory& orgs, const Principal& caller,
                                   absl::string_view field, absl::string_view identifier);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_PRIVILEGES_H_
