// OrgDirectory: the orgs the host knows, so the engine can resolve `org_identifier` (an id or
// a name) and list orgs. StaticOrgDirectory is a fixed list, for webhookd and tests.
#ifndef WEBHOOKS_ENGINE_ORG_DIRECTORY_H_
#define WEBHOOKS_ENGINE_ORG_DIRECTORY_H_

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/webhook.pb.h"

namespace webhooks {

// Implementations are thread-safe.
class OrgDirectory {
 public:
  virtual ~OrgDirectory() = default;

  // The org whose id, or else whose name, is `identifier`; kNotFound if there is none.
  virtual absl::StatusOr<v1::Org> Find(absl::string_view identifier) const = 0;

  // Every org, ordered by id.
  virtual std::vector<v1::Org> List() const = 0;
};

class StaticOrgDirectory final : public OrgDirectory {
 public:
  // kInvalidArgument if an id or a name is empty or appears twice.
  static absl::StatusOr<StaticOrgDirectory> Create(std::vector<v1::Org> orgs);

  absl::StatusOr<v1::Org> Find(absl::string_view identifier) const override;
  std::vector<v1::Org> List() const override { return orgs_; }

 private:
  StaticOrgDirectory() = default;

  std::vector<v1::Org> orgs_;                       // Ordered by id.
  absl::flat_hash_map<std::string, size_t> by_id_;  // Index into orgs_.
  absl::flat_hash_map<std::string, size_t> by_name_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_ORG_DIRECTORY_H_
