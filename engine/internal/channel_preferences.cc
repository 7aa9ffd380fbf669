#include "engine/internal/channel_preferences.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/internal/privileges.h"
#include "engine/internal/validation.h"

namespace webhooks {
namespace engine_internal {
namespace {

// A planned change of one org's preferences, checked before any is applied.
struct OrgChange {
  std::string org_id;
  absl::btree_map<int, v1::EventChannelConfig> replace;  // REPLACE: these event types' channels.
  std::vector<int> reset;  // RESET: these event types fall back to the cluster's.
};

// One event's channels, checked, sorted and without repeats.
absl::StatusOr<v1::EventChannelConfig> NormalizeChannels(absl::string_view field,
                                                         const v1::EventChannelConfig& config) {
  RETURN_IF_ERROR(CheckEventType(absl::StrCat(field, ".event_type"), config.event_type()));
  std::vector<int> channels;
  for (int i = 0; i < config.channels_size(); ++i) {
    const int channel = config.channels(i);
    if (channel != v1::EMAIL && channel != v1::WEBHOOK) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".channels[", i, "] must be EMAIL or WEBHOOK"));
    }
    channels.push_back(channel);
  }
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  v1::EventChannelConfig normalized;
  normalized.set_event_type(config.event_type());
  for (const int channel : channels) normalized.add_channels(static_cast<v1::Channel>(channel));
  return normalized;
}

}  // namespace

absl::StatusOr<state::StateBatch> ChannelPreferences::PlanChange(
    const OrgDirectory& orgs, const Principal& caller,
    const v1::ConfigureChannelPreferencesRequest& request) {
  Preferences cluster;
  for (int i = 0; i < request.cluster_preferences_size(); ++i) {
    const std::string field = absl::StrCat("cluster_preferences[", i, "]");
    ASSIGN_OR_RETURN(v1::EventChannelConfig config,
                     NormalizeChannels(field, request.cluster_preferences(i)));
    if (!cluster.emplace(config.event_type(), config).second) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".event_type repeats an event type"));
    }
  }
  std::vector<OrgChange> changes;
  for (int i = 0; i < request.org_preferences_size(); ++i) {
    const v1::OrgChannelConfigInput& input = request.org_preferences(i);
    const std::string field = absl::StrCat("org_preferences[", i, "]");
    ASSIGN_OR_RETURN(const v1::Org org,
                     ResolveOrg(orgs, caller, field + ".org_identifier", input.org_identifier()));
    OrgChange change{org.id(), {}, {}};
    const v1::PreferenceOperation operation =
        input.has_operation() ? input.operation() : v1::REPLACE;
    if (operation == v1::REPLACE) {
      if (input.preferences().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".preferences is required for the REPLACE operation"));
      }
      if (!input.reset_events().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".reset_events applies only to the RESET operation"));
      }
      for (int j = 0; j < input.preferences_size(); ++j) {
        const std::string entry = absl::StrCat(field, ".preferences[", j, "]");
        ASSIGN_OR_RETURN(v1::EventChannelConfig config,
                         NormalizeChannels(entry, input.preferences(j)));
        if (!change.replace.emplace(config.event_type(), config).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(entry, ".event_type repeats an event type"));
        }
      }
    } else if (operation == v1::RESET) {
      if (input.reset_events().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("RESET operation requires reset_events to be specified (", field, ")."));
      }
      if (!input.preferences().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".preferences applies only to the REPLACE operation"));
      }
      for (int j = 0; j < input.reset_events_size(); ++j) {
        RETURN_IF_ERROR(
            CheckEventType(absl::StrCat(field, ".reset_events[", j, "]"), input.reset_events(j)));
        change.reset.push_back(input.reset_events(j));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(field, ".operation must be REPLACE or RESET"));
    }
    changes.push_back(std::move(change));
  }

  state::StateBatch batch;
  for (auto& [event, config] : cluster) {
    *batch.add_records()->mutable_put_cluster_preference() = std::move(config);
  }
  for (OrgChange& change : changes) {
    for (auto& [event, config] : change.replace) {
      state::OrgPreference* put = batch.add_records()->mutable_put_org_preference();
      put->set_org_id(change.org_id);
      *put->mutable_config() = std::move(config);
    }
    for (const int event : change.reset) {
      state::OrgPreferenceReset* reset = batch.add_records()->mutable_reset_org_preference();
      reset->set_org_id(change.org_id);
      reset->set_event_type(static_cast<v1::EventType>(event));
    }
  }
  return batch;
}

absl::StatusOr<PreferenceQuery> ChannelPreferences::QueryFromRequest(
    const OrgDirectory& orgs, const Principal& caller,
    const v1::SearchChannelPreferencesRequest& request) {
  PreferenceQuery query;
  for (int i = 0; i < request.cluster_preferences_size(); ++i) {
    RETURN_IF_ERROR(CheckEventType(absl::StrCat("cluster_preferences[", i, "]"),
                                   request.cluster_preferences(i)));
    query.cluster_events.push_back(request.cluster_preferences(i));
  }
  if (!request.cluster_preferences().empty()) {
    RETURN_IF_ERROR(RequireClusterPrivilege(caller, "retrieve"));
  }
  for (int i = 0; i < request.org_preferences_size(); ++i) {
    const v1::OrgPreferenceQuery& org_query = request.org_preferences(i);
    const std::string field = absl::StrCat("org_preferences[", i, "]");
    ASSIGN_OR_RETURN(v1::Org org, ResolveOrg(orgs, caller, field + ".org_identifier",
                                             org_query.org_identifier()));
    std::vector<int> events;
    for (int j = 0; j < org_query.event_types_size(); ++j) {
      RETURN_IF_ERROR(
          CheckEventType(absl::StrCat(field, ".event_types[", j, "]"), org_query.event_types(j)));
      events.push_back(org_query.event_types(j));
    }
    query.orgs.emplace_back(std::move(org), std::move(events));
  }
  if (request.cluster_preferences().empty() && request.org_preferences().empty()) {
    query.all_cluster = IsClusterAdministrator(caller);
    for (v1::Org& org :
         caller.can_act_across_orgs ? orgs.List() : std::vector<v1::Org>{caller.org}) {
      query.orgs.emplace_back(std::move(org), std::vector<int>{});
    }
  }
  return query;
}

void ChannelPreferences::Apply(const state::StateRecord& record) {
  switch (record.change_case()) {
    case state::StateRecord::kPutClusterPreference:
      cluster_[record.put_cluster_preference().event_type()] = record.put_cluster_preference();
      break;
    case state::StateRecord::kPutOrgPreference: {
      const state::OrgPreference& put = record.put_org_preference();
      orgs_[put.org_id()][put.config().event_type()] = put.config();
      break;
    }
    case state::StateRecord::kResetOrgPreference: {
      const state::OrgPreferenceReset& reset = record.reset_org_preference();
      if (const auto org = orgs_.find(reset.org_id()); org != orgs_.end()) {
        org->second.erase(reset.event_type());
        if (org->second.empty()) orgs_.erase(org);
      }
      break;
    }
    default:
      break;
  }
}

bool ChannelPreferences::WebhookChannelOn(absl::string_view org_id) const {
  const v1::EventChannelConfig* config = nullptr;
  if (const auto org = orgs_.find(org_id); org != orgs_.end()) {
    if (const auto it = org->second.find(v1::LIVEBOARD_SCHEDULE); it != org->second.end()) {
      config = &it->second;
    }
  }
  if (config == nullptr) {
    const auto it = cluster_.find(v1::LIVEBOARD_SCHEDULE);
    if (it == cluster_.end()) return false;
    config = &it->second;
  }
  return std::find(config->channels().begin(), config->channels().end(), v1::WEBHOOK) !=
         config->channels().end();
}

v1::SearchChannelPreferencesResponse ChannelPreferences::Search(
    const PreferenceQuery& query) const {
  v1::SearchChannelPreferencesResponse response;
  if (query.all_cluster) {
    for (const auto& [event, config] : cluster_) *response.add_cluster_preferences() = config;
  }
  for (const int event : query.cluster_events) {
    if (const auto it = cluster_.find(event); it != cluster_.end()) {
      *response.add_cluster_preferences() = it->second;
    }
  }
  for (const auto& [org, events] : query.orgs) {
    v1::OrgChannelConfig* out = response.add_org_preferences();
    *out->mutable_org() = org;
    const auto prefs = orgs_.find(org.id());
    if (prefs == orgs_.end()) continue;
    for (const auto& [event, config] : prefs->second) {
      if (events.empty() || std::find(events.begin(), events.end(), event) != events.end()) {
        *out->add_preferences() = config;
      }
    }
  }
  return response;
}

void ChannelPreferences::AddToSnapshot(const std::function<state::StateRecord*()>& add) const {
  for (const auto& [event, config] : cluster_) *add()->mutable_put_cluster_preference() = config;
  for (const auto& [org_id, preferences] : orgs_) {
    for (const auto& [event, config] : preferences) {
      state::OrgPreference* put = add()->mutable_put_org_preference();
      put->set_org_id(org_id);
      *put->mutable_config() = config;
    }
  }
}

}  // namespace engine_internal
}  // namespace webhooks
