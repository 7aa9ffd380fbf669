// The model of webhookd's REST API for the property test; see model.h.
#include "grpc_service/rest_property/model.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace webhooks {
namespace rest_property {

JsonObject SearchFilter::ToJson() const {
  JsonObject json;
  if (org) json.Add("org_identifier", Quote(*org));
  if (webhook) json.Add("webhook_identifier", Quote(*webhook));
  if (event_type) json.Add("event_type", Quote("LIVEBOARD_SCHEDULE"));
  if (status) json.Add("status", Quote(*status));
  if (sort_field || sort_order) {
    JsonObject sort;
    if (sort_field) sort.Add("field_name", Quote(*sort_field));
    if (sort_order) sort.Add("order", Quote(*sort_order));
    json.Add("sort_options", sort.Build());
  }
  return json;
}

bool Sees(const Caller& caller, const std::string& org_id) {
  return caller.cross_org || org_id == caller.org_id;
}

Model::Model(Principals principals) : principals_(std::move(principals)) {}

// --- Lookups ----------------------------------------------------------------------------------

const Org* Model::FindOrg(const std::string& identifier) const {
  for (const Org& org : orgs()) {
    if (org.id == identifier) return &org;
  }
  for (const Org& org : orgs()) {
    if (org.name == identifier) return &org;
  }
  return nullptr;
}

const Org* Model::ResolveOrg(const Caller& caller, const std::string& identifier) const {
  const Org* org = FindOrg(identifier);
  return org != nullptr && Sees(caller, org->id) ? org : nullptr;
}

std::vector<const Hook*> Model::FindVisible(const Caller& caller,
                                            const std::string& identifier) const {
  if (const auto it = hooks_.find(identifier);
      it != hooks_.end() && Sees(caller, it->second.org_id)) {
    return {&it->second};
  }
  std::vector<const Hook*> found;
  for (const auto& [id, hook] : hooks_) {
    if (hook.name == identifier && Sees(caller, hook.org_id)) found.push_back(&hook);
  }
  return found;
}

const Hook* Model::FindHook(const std::string& id) const {
  const auto it = hooks_.find(id);
  return it == hooks_.end() ? nullptr : &it->second;
}

const Hook* Model::HookOfOrg(const std::string& org_id) const {
  for (const auto& [id, hook] : hooks_) {
    if (hook.org_id == org_id) return &hook;
  }
  return nullptr;
}

bool Model::WebhookChannelOn(const std::string& org_id) const {
  const auto it = org_channels_.find(org_id);
  const std::vector<std::string>& channels =
      it != org_channels_.end() ? it->second : cluster_channels_;
  return std::find(channels.begin(), channels.end(), "WEBHOOK") != channels.end();
}

std::vector<const Hook*> Model::ExpectedSearch(const Caller& caller,
                                               const SearchFilter& filter) const {
  std::optional<std::string> org_scope;
  if (filter.org) {
    org_scope = ResolveOrg(caller, *filter.org)->id;
  } else if (!caller.cross_org) {
    org_scope = caller.org_id;
  }
  std::vector<const Hook*> found;
  if (filter.webhook) {
    found = FindVisible(caller, *filter.webhook);
  } else {
    for (const auto& [id, hook] : hooks_) {
      if (Sees(caller, hook.org_id)) found.push_back(&hook);
    }
  }
  found.erase(
      std::remove_if(found.begin(), found.end(),
                     [&](const Hook* hook) {
                       return (org_scope && hook->org_id != *org_scope) ||
                              (filter.status && hook->enabled() != (*filter.status == "ENABLED"));
                     }),
      found.end());
  const std::string field = filter.sort_field.value_or("CREATED");
  const auto key = [&field](const Hook* hook) {
    if (field == "NAME") {
      return std::make_tuple(int64_t{0}, absl::AsciiStrToLower(hook->name), hook->id);
    }
    return std::make_tuple(field == "MODIFIED" ? hook->modified : hook->created, std::string(),
                           hook->id);
  };
  std::sort(found.begin(), found.end(),
            [&](const Hook* a, const Hook* b) { return key(a) < key(b); });
  if (filter.sort_order.value_or("DESC") == "DESC") std::reverse(found.begin(), found.end());
  return found;
}

PreferencesAnswer Model::ExpectedPreferences(const Caller& caller, bool cluster,
                                             const std::optional<std::string>& org) const {
  PreferencesAnswer want;
  const Org* resolved = org ? ResolveOrg(caller, *org) : nullptr;
  std::vector<const Org*> answered;
  if (resolved != nullptr) {
    answered.push_back(resolved);
  } else if (!cluster) {
    for (const Org& each : orgs()) {
      if (Sees(caller, each.id)) answered.push_back(&each);
    }
  }
  for (const Org* each : answered) {
    const auto it = org_channels_.find(each->id);
    want.orgs[each->id] = it == org_channels_.end() ? "-" : absl::StrJoin(it->second, ",");
  }
  // A search for neither the cluster nor an org gives a cluster administrator the cluster's too.
  if (cluster || (!org && caller.cross_org)) want.cluster = absl::StrJoin(cluster_channels_, ",");
  return want;
}

// --- The status of each call ------------------------------------------------------------------

int Model::CreateStatus(const Caller& caller, const Draft& draft) const {
  if (!draft.parses) return 400;
  if (!caller.known) return 401;
  if (!caller.webhooks) return 403;
  if (!draft.valid || HookOfOrg(caller.org_id) != nullptr || !WebhookChannelOn(caller.org_id)) {
    return 400;
  }
  return 200;
}

int Model::UpdateStatus(const Caller& caller, const std::string& identifier,
                        const Draft& draft) const {
  if (identifier.empty()) return 404;  // "/webhooks//update" is no route.
  if (!draft.parses) return 400;
  if (!caller.known) return 401;
  if (!caller.webhooks) return 403;
  const std::vector<const Hook*> found = FindVisible(caller, identifier);
  if (found.size() != 1) return 400;  // Not found, or a name several visible orgs use.
  const Hook& target = *found.front();
  const bool conflict =
      (draft.resets.count("AUTHENTICATION") != 0 && draft.auth && *draft.auth != Auth::kNone) ||
      (draft.resets.count("SIGNATURE_VERIFICATION") != 0 && draft.signature) ||
      (draft.resets.count("STORAGE_DESTINATION") != 0 && draft.storage);
  // "***" keeps the stored secret of the same kind of configuration; else it is refused.
  const bool auth_ok = !draft.auth_redacted || (draft.auth && *draft.auth == target.auth);
  const bool signature_ok = !draft.signature_redacted || target.signature;
  if (conflict || !draft.valid || !auth_ok || !signature_ok) return 400;
  return 204;
}

int Model::DeleteStatus(const Caller& caller, const std::vector<std::string>& identifiers) const {
  if (!caller.known) return 401;
  if (!caller.webhooks) return 403;
  return identifiers.empty() ? 400 : 200;
}

int Model::SearchStatus(const Caller& caller, const SearchFilter& filter, std::optional<int> offset,
                        std::optional<int> size) const {
  if (!caller.known) return 401;
  if (!caller.webhooks) return 403;
  if (offset.value_or(0) < 0 || size.value_or(50) < 1 ||
      (filter.webhook && filter.webhook->empty()) ||
      (filter.org && ResolveOrg(caller, *filter.org) == nullptr)) {
    return 400;
  }
  return 200;
}

int Model::ConfigureStatus(const Caller& caller, bool cluster, bool valid) const {
  if (!caller.known) return 401;
  if (!caller.preferences) return 403;
  if (cluster && !caller.cross_org) return 403;  // A cluster administrator only.
  return valid ? 204 : 400;
}

int Model::PreferencesStatus(const Caller& caller, bool cluster,
                             const std::optional<std::string>& org) const {
  if (!caller.known) return 401;
  if (!caller.preferences) return 403;
  if (cluster && !caller.cross_org) return 403;
  if (org && ResolveOrg(caller, *org) == nullptr) return 400;
  return 200;
}

int Model::HistoryStatus(const Caller& caller, bool valid) const {
  if (!caller.known) return 401;
  if (!caller.webhooks) return 403;
  return valid ? 200 : 400;
}

int Model::ValidateStatus(const Caller& caller, bool typed, const std::string& identifier) const {
  if (!caller.known) return 401;
  if (!caller.webhooks) return 403;
  if (!typed || identifier.empty() || FindVisible(caller, identifier).size() != 1) return 400;
  return 200;
}

grpc::StatusCode Model::PublishStatus(const Caller& caller, const Org* target,
                                      bool good_run) const {
  if (!caller.known) return grpc::StatusCode::UNAUTHENTICATED;
  if (!caller.admin) return grpc::StatusCode::PERMISSION_DENIED;
  if (target == nullptr || !good_run) return grpc::StatusCode::INVALID_ARGUMENT;
  return grpc::StatusCode::OK;
}

v1::PublishEventResponse::Outcome Model::PublishOutcome(const std::string& org_id) const {
  const Hook* hook = HookOfOrg(org_id);
  if (hook == nullptr) return v1::PublishEventResponse::NO_WEBHOOK;
  if (!hook->enabled()) return v1::PublishEventResponse::WEBHOOK_DISABLED;
  if (!WebhookChannelOn(org_id)) return v1::PublishEventResponse::CHANNEL_OFF;
  return v1::PublishEventResponse::QUEUED;
}

// --- Changes ----------------------------------------------------------------------------------

void Model::Create(const std::string& id, const Caller& caller, const Draft& draft,
                   int64_t now_millis) {
  Hook hook;
  hook.id = id;
  hook.org_id = caller.org_id;
  hook.name = *draft.name;
  hook.status = draft.status;
  hook.created = hook.modified = now_millis;
  hook.auth = draft.auth.value_or(Auth::kNone);
  hook.signature = draft.signature;
  hook.storage = draft.storage;
  hooks_[hook.id] = hook;
  ids_ever_.push_back(hook.id);
  names_ever_.push_back(hook.name);
}

void Model::Update(const Caller& caller, const std::string& identifier, const Draft& draft,
                   int64_t now_millis) {
  Hook& hook = hooks_[FindVisible(caller, identifier).front()->id];
  if (draft.name) {
    hook.name = *draft.name;
    names_ever_.push_back(hook.name);
  }
  if (draft.status) hook.status = draft.status;
  if (draft.resets.count("AUTHENTICATION") != 0) hook.auth = Auth::kNone;
  if (draft.resets.count("SIGNATURE_VERIFICATION") != 0) hook.signature = false;
  if (draft.resets.count("STORAGE_DESTINATION") != 0) hook.storage = false;
  if (draft.auth) hook.auth = *draft.auth;
  if (draft.signature) hook.signature = true;
  if (draft.storage) hook.storage = true;
  hook.modified = now_millis;
}

DeleteOutcome Model::Delete(const Caller& caller, const std::vector<std::string>& identifiers) {
  DeleteOutcome outcome;
  for (const std::string& identifier : identifiers) {
    const std::vector<const Hook*> found =
        identifier.empty() ? std::vector<const Hook*>{} : FindVisible(caller, identifier);
    if (found.size() != 1) {
      ++outcome.failed;
      continue;
    }
    outcome.deleted.push_back(found.front()->id);
    hooks_.erase(found.front()->id);
  }
  return outcome;
}

void Model::Configure(const std::optional<std::vector<std::string>>& cluster,
                      const std::vector<OrgChange>& changes) {
  if (cluster) cluster_channels_ = *cluster;
  for (const OrgChange& change : changes) {
    if (change.channels) {
      org_channels_[change.org->id] = *change.channels;
    } else {
      org_channels_.erase(change.org->id);
    }
  }
}

void Model::AddJob(const std::string& job_id, Job job) { jobs_[job_id] = std::move(job); }

}  // namespace rest_property
}  // namespace webhooks
