// ChannelPreferences: which communication channels each event type uses, at cluster level and
// per org (an org's preference overrides the cluster's; RESET falls back to it).
//
// Changes are planned first (PlanChange checks a whole request and returns its records, or the
// first error) and applied as records (Apply), so a request changes everything or nothing and
// the same records replay from the state store. Not thread-safe: the engine guards it with its
// lock.
#ifndef WEBHOOKS_ENGINE_INTERNAL_CHANNEL_PREFERENCES_H_
#define WEBHOOKS_ENGINE_INTERNAL_CHANNEL_PREFERENCES_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/org_directory.h"
#include "engine/principal.h"
#include "proto/state.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// What a search for preferences asks, checked.
struct PreferenceQuery {
  bool all_cluster = false;         // Every cluster preference.
  std::vector<int> cluster_events;  // These event types' cluster preferences.
  // The orgs to answer for, each with the event types asked (empty: all).
  std::vector<std::pair<v1::Org, std::vector<int>>> orgs;
};

class ChannelPreferences {
 public:
  // The records that carry out `request` for `caller` (privileges are the caller's to check).
  // kInvalidArgument naming the field for a bad entry or an org the caller may not act on.
  static absl::StatusOr<state::StateBatch> PlanChange(
      const OrgDirectory& orgs, const Principal& caller,
      const v1::ConfigureChannelPreferencesRequest& request);

  // The query `request` makes: an empty request asks for every org `caller` may act on and, for
  // a caller with ADMINISTRATION, the cluster preferences. kInvalidArgument naming the field.
  static absl::StatusOr<PreferenceQuery> QueryFromRequest(
      const OrgDirectory& orgs, const Principal& caller,
      const v1::SearchChannelPreferencesRequest& request);

  // Applies a put_cluster_preference, put_org_preference or reset_org_preference record;
  // ignores every other kind.
  void Apply(const state::StateRecord& record);

  // Whether org `org_id`'s effective preference for LIVEBOARD_SCHEDULE includes WEBHOOK.
  bool WebhookChannelOn(absl::string_view org_id) const;

  v1::SearchChannelPreferencesResponse Search(const PreferenceQuery& query) const;

  // Adds a record for every preference to `add()`'s records.
  void AddToSnapshot(const std::function<state::StateRecord*()>& add) const;

 private:
  // Channel configurations of one scope (the cluster, or one org), by event type.
  using Preferences = absl::btree_map<int, v1::EventChannelConfig>;

  Preferences cluster_;
  absl::flat_hash_map<std::string, Preferences> orgs_;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_CHANNEL_PREFERENCES_H_
