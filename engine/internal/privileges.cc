#include "engine/internal/privileges.h"

#include "absl/strings/str_cat.h"

namespace webhooks {
namespace engine_internal {

absl::Status RequireWebhookPrivileges(const Principal& caller, absl::string_view action) {
  if (caller.Has(v1::ADMINISTRATION) || caller.Has(v1::DEVELOPER) ||
      (caller.rbac_enabled && caller.Has(v1::CAN_MANAGE_WEBHOOKS))) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "Insufficient privileges to ", action,
      " webhook configurations: requires ADMINISTRATION or DEVELOPER, or CAN_MANAGE_WEBHOOKS "
      "when RBAC is enabled."));
}

absl::Status RequirePreferencePrivileges(const Principal& caller, absl::string_view action) {
  if (caller.Has(v1::ADMINISTRATION) || caller.Has(v1::DEVELOPER) ||
      (caller.rbac_enabled && caller.Has(v1::APPLICATION_ADMINISTRATION))) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("Insufficient privileges to ", action,
                   " communication channel preferences: requires ADMINISTRATION or DEVELOPER, or "
                   "APPLICATION_ADMINISTRATION when RBAC is enabled."));
}

absl::Status RequireClusterPrivilege(const Principal& caller, absl::string_view action) {
  if (IsClusterAdministrator(caller)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("Cluster administrator (ADMINISTRATION across orgs) required to ", action,
                   " cluster-level communication channel preferences."));
}

absl::Status RequirePublishPrivilege(const Principal& caller) {
  if (caller.Has(v1::ADMINISTRATION)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      "Insufficient privileges to publish events: requires ADMINISTRATION.");
}

absl::StatusOr<v1::Org> ResolveOrg(const OrgDirectory& orgs, const Principal& caller,
                                   absl::string_view field, absl::string_view identifier) {
  absl::StatusOr<v1::Org> org = orgs.Find(identifier);
  if (!org.ok() || !MayActOn(caller, org->id())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", identifier, "' does not match a known org"));
  }
  return org;
}

}  // namespace engine_internal
}  // namespace webhooks
