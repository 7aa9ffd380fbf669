#include "engine/org_directory.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace webhooks {

absl::StatusOr<StaticOrgDirectory> StaticOrgDirectory::Create(std::vector<v1::Org> orgs) {
  std::sort(orgs.begin(), orgs.end(),
            [](const v1::Org& a, const v1::Org& b) { return a.id() < b.id(); });
  StaticOrgDirectory directory;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const v1::Org& org = orgs[i];
    if (org.id().empty() || org.name().empty()) {
      return absl::InvalidArgumentError("an org needs a non-empty id and name");
    }
    if (!directory.by_id_.emplace(org.id(), i).second) {
      return absl::InvalidArgumentError(absl::StrCat("org id '", org.id(), "' appears twice"));
    }
    if (!directory.by_name_.emplace(org.name(), i).second) {
      return absl::InvalidArgumentError(absl::StrCat("org name '", org.name(), "' appears twice"));
    }
  }
  directory.orgs_ = std::move(orgs);
  return directory;
}

absl::StatusOr<v1::Org> StaticOrgDirectory::Find(absl::string_view identifier) const {
  if (auto it = by_id_.find(identifier); it != by_id_.end()) return orgs_[it->second];
  if (auto it = by_name_.find(identifier); it != by_name_.end()) return orgs_[it->second];
  return absl::NotFoundError(absl::StrCat("no org has the id or name '", identifier, "'"));
}

}  // namespace webhooks
