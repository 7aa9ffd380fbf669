#include "engine/internal/webhook_index.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/internal/privileges.h"
#include "engine/internal/validation.h"
#include "engine/internal/webhook_json.h"
#include "engine/redaction.h"

namespace webhooks {
namespace engine_internal {

// Search counts matches of an event_type filter as "all webhooks": every webhook subscribes to
// at least one event type and LIVEBOARD_SCHEDULE is the only one. A second type needs counts.
static_assert(v1::EventType_ARRAYSIZE == 2, "count webhooks per event type");

bool IsEnabled(const v1::Webhook& webhook) {
  return !webhook.has_status() || webhook.status() == v1::ENABLED;
}

absl::StatusOr<SearchQuery> SearchQueryFromRequest(const OrgDirectory& orgs,
                                                   const Principal& caller,
                                                   const v1::SearchWebhooksRequest& request,
                                                   const EngineLimits& limits) {
  SearchQuery query;
  query.offset = request.has_record_offset() ? request.record_offset() : 0;
  if (query.offset < 0) {
    return absl::InvalidArgumentError("record_offset must be a non-negative integer.");
  }
  const int size = request.has_record_size() ? request.record_size() : limits.default_record_size;
  if (size < 1) return absl::InvalidArgumentError("record_size must be a positive integer.");
  query.size = std::min(size, limits.max_record_size);
  const v1::SortOptions& sort = request.sort_options();
  query.field = sort.has_field_name() ? sort.field_name() : v1::CREATED;
  if (query.field != v1::CREATED && query.field != v1::MODIFIED && query.field != v1::NAME) {
    return absl::InvalidArgumentError("sort_options.field_name must be CREATED, MODIFIED or NAME");
  }
  query.order = sort.has_order() ? sort.order() : v1::DESC;
  if (query.order != v1::ASC && query.order != v1::DESC) {
    return absl::InvalidArgumentError("sort_options.order must be ASC or DESC");
  }
  if (request.has_event_type()) {
    RETURN_IF_ERROR(CheckEventType("event_type", request.event_type()));
    query.event_type = request.event_type();
  }
  if (request.has_status()) {
    if (request.status() != v1::ENABLED && request.status() != v1::DISABLED) {
      return absl::InvalidArgumentError("status must be ENABLED or DISABLED");
    }
    query.enabled = request.status() == v1::ENABLED;
  }
  if (request.has_webhook_identifier()) {
    if (request.webhook_identifier().empty()) {
      return absl::InvalidArgumentError("webhook_identifier must not be empty");
    }
    query.identifier = request.webhook_identifier();
  }
  if (request.has_org_identifier()) {
    ASSIGN_OR_RETURN(const v1::Org org,
                     ResolveOrg(orgs, caller, "org_identifier", request.org_identifier()));
    query.org_id = org.id();
  } else if (!caller.can_act_across_orgs) {
    query.org_id = caller.org.id();
  }
  return query;
}

bool WebhookIndex::TimeKey::operator<(const TimeKey& other) const {
  if (millis != other.millis) return millis < other.millis;
  return stored->id < other.stored->id;
}

namespace {

// <0, 0 or >0 as `a` comes before, with or after `b` once both are lower-cased (ASCII only),
// comparing bytes as unsigned, as std::string does.
int CompareIgnoringCase(absl::string_view a, absl::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  for (size_t i = 0; i < common; ++i) {
    const auto x = static_cast<unsigned char>(absl::ascii_tolower(a[i]));
    const auto y = static_cast<unsigned char>(absl::ascii_tolower(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

}  // namespace

bool WebhookIndex::NameKey::operator<(const NameKey& other) const {
  const int order = CompareIgnoringCase(stored->name, other.stored->name);
  if (order != 0) return order < 0;
  return stored->id < other.stored->id;
}

WebhookIndex::TimeKey WebhookIndex::CreatedKey(const Stored& stored) {
  return {stored.creation_time_in_millis, &stored};
}

WebhookIndex::TimeKey WebhookIndex::ModifiedKey(const Stored& stored) {
  return {stored.modification_time_in_millis, &stored};
}

WebhookIndex::NameKey WebhookIndex::NameKeyOf(const Stored& stored) { return {&stored}; }

bool WebhookIndex::Before(v1::SortField field, const Stored& a, const Stored& b) {
  switch (field) {
    case v1::MODIFIED:
      return ModifiedKey(a) < ModifiedKey(b);
    case v1::NAME:
      return NameKeyOf(a) < NameKeyOf(b);
    default:
      return CreatedKey(a) < CreatedKey(b);
  }
}

v1::Webhook WebhookIndex::Parsed(const Stored& stored) {
  v1::Webhook webhook;
  if (!webhook.ParseFromString(stored.wire)) std::abort();  // Serialized by Put.
  return webhook;
}

void WebhookIndex::Put(v1::Webhook webhook) {
  auto fresh = std::make_unique<Stored>();
  fresh->secrets = TakeSecrets(&webhook);
  fresh->id = webhook.id();
  fresh->org_id = webhook.org().id();
  fresh->name = webhook.name();
  fresh->creation_time_in_millis = webhook.creation_time_in_millis();
  fresh->modification_time_in_millis = webhook.modification_time_in_millis();
  fresh->enabled = IsEnabled(webhook);
  for (const int event : webhook.events()) {
    if (event >= 0 && event < 32) fresh->events |= 1u << event;  // Only known types validate.
  }
  // Both forms are written once per put; a search only copies them.
  fresh->wire = webhook.SerializeAsString();
  AppendWebhookJson(webhook, &fresh->json);
  fresh->json.shrink_to_fit();
  if (const auto it = by_id_.find(fresh->id);
      it != by_id_.end() && (*it)->org_id == fresh->org_id && (*it)->name == fresh->name &&
      (*it)->creation_time_in_millis == fresh->creation_time_in_millis) {
    // An update that keeps the org, the name and the creation time (any that does not rename):
    // only the MODIFIED order and the count of disabled webhooks can change.
    Stored& stored = **it;
    by_modified_.Erase(ModifiedKey(stored));
    if (!stored.enabled) --disabled_count_;
    stored.modification_time_in_millis = fresh->modification_time_in_millis;
    stored.enabled = fresh->enabled;
    stored.events = fresh->events;
    stored.wire = std::move(fresh->wire);
    stored.json = std::move(fresh->json);
    stored.secrets = std::move(fresh->secrets);
    by_modified_.Insert(ModifiedKey(stored));
    if (!stored.enabled) ++disabled_count_;
    return;
  }
  Delete(fresh->id);
  Index(**by_id_.insert(std::move(fresh)).first);
}

void WebhookIndex::Delete(absl::string_view id) {
  if (const auto it = by_id_.find(id); it != by_id_.end()) {
    Unindex(**it);
    by_id_.erase(it);
  }
}

std::optional<v1::Webhook> WebhookIndex::FindById(absl::string_view id) const {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return Parsed(**it);
}

v1::Webhook WebhookIndex::WithSecrets(v1::Webhook redacted) const {
  RestoreSecrets((*by_id_.find(redacted.id()))->secrets, &redacted);
  return redacted;
}

std::optional<v1::Webhook> WebhookIndex::FindByOrg(absl::string_view org_id) const {
  const auto it = by_org_.find(org_id);
  if (it == by_org_.end()) return std::nullopt;
  return Parsed(*it->second);
}

std::vector<const WebhookIndex::Stored*> WebhookIndex::FindVisible(
    const Principal& caller, absl::string_view identifier) const {
  std::vector<const Stored*> found;
  if (const auto it = by_id_.find(identifier);
      it != by_id_.end() && MayActOn(caller, (*it)->org_id)) {
    found.push_back(it->get());
    return found;
  }
  if (const auto it = by_name_.find(identifier); it != by_name_.end()) {
    for (const Stored* stored : it->second) {
      if (MayActOn(caller, stored->org_id)) found.push_back(stored);
    }
  }
  return found;
}

absl::StatusOr<v1::Webhook> WebhookIndex::Resolve(const Principal& caller,
                                                  absl::string_view identifier) const {
  const std::vector<const Stored*> found = FindVisible(caller, identifier);
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("Webhook with the specified identifier '", identifier, "' was not found."));
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("webhook name '", identifier, "' is used in ",
                                                   found.size(), " orgs; use the id"));
  }
  return Parsed(*found.front());
}

v1::Pagination WebhookIndex::Search(
    const Principal& caller, const SearchQuery& query,
    absl::FunctionRef<void(absl::string_view wire, absl::string_view json)> visit) const {
  const auto matches = [&](const Stored& stored) {
    return (!query.org_id || stored.org_id == *query.org_id) &&
           (!query.enabled || stored.enabled == *query.enabled) &&
           (!query.event_type || (*query.event_type >= 0 && *query.event_type < 32 &&
                                  (stored.events & (1u << *query.event_type)) != 0));
  };
  int page_size = 0;
  const auto add_to_page = [&](const Stored& stored) {
    visit(stored.wire, stored.json);
    ++page_size;
  };
  int64_t total = 0;
  if (query.identifier || query.org_id) {
    // One org holds at most one webhook, and one identifier names at most one per org.
    std::vector<const Stored*> candidates;
    if (query.identifier) {
      candidates = FindVisible(caller, *query.identifier);
    } else if (const auto it = by_org_.find(*query.org_id); it != by_org_.end()) {
      candidates.push_back(it->second);
    }
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const Stored* s) { return !matches(*s); }),
                     candidates.end());
    std::sort(candidates.begin(), candidates.end(), [&](const Stored* a, const Stored* b) {
      return query.order == v1::ASC ? Before(query.field, *a, *b) : Before(query.field, *b, *a);
    });
    total = candidates.size();
    for (int64_t i = query.offset; i < total && page_size < query.size; ++i) {
      add_to_page(*candidates[i]);
    }
  } else {
    // Every org. The sort index ranks every webhook, so when every webhook matches (no status
    // filter, or one every webhook passes) the page starts at rank `offset` and costs the same
    // at any offset. The index does not count enabled and disabled webhooks apart: a status
    // filter that only some pass walks from the start and skips `offset` matches, O(offset).
    const int64_t all = by_id_.size();
    total = !query.enabled ? all : *query.enabled ? all - disabled_count_ : disabled_count_;
    const bool by_rank = total == all;
    const int64_t first = by_rank ? query.offset : 0;  // Rank in the page's order.
    int64_t to_skip = by_rank ? 0 : query.offset;      // Matches before the page.
    const bool ascending = query.order == v1::ASC;
    const auto walk = [&](const auto& order) {
      order.VisitFrom(ascending ? first : all - 1 - first, ascending, [&](const auto& key) {
        if (!matches(*key.stored)) return true;
        if (to_skip > 0) {
          --to_skip;
          return true;
        }
        add_to_page(*key.stored);
        return page_size < query.size;
      });
    };
    if (query.offset < total) {
      switch (query.field) {
        case v1::MODIFIED:
          walk(by_modified_);
          break;
        case v1::NAME:
          walk(by_name_case_blind_);
          break;
        default:
          walk(by_created_);
      }
    }
  }
  v1::Pagination pagination;
  pagination.set_record_offset(query.offset);
  pagination.set_record_size(query.size);
  pagination.set_total_count(static_cast<int32_t>(total));
  pagination.set_has_more(query.offset + page_size < total);
  return pagination;
}

void WebhookIndex::ForEach(const std::function<void(const v1::Webhook&)>& visit) const {
  for (const auto& stored : by_id_) {
    v1::Webhook webhook = Parsed(*stored);
    RestoreSecrets(stored->secrets, &webhook);
    visit(webhook);
  }
}

void WebhookIndex::Index(const Stored& stored) {
  // One webhook per org is the engine's rule; a second one put in the org takes its place here.
  by_org_.erase(stored.org_id);
  by_org_.emplace(stored.org_id, &stored);
  by_name_[stored.name].push_back(&stored);
  by_created_.Insert(CreatedKey(stored));
  by_modified_.Insert(ModifiedKey(stored));
  by_name_case_blind_.Insert(NameKeyOf(stored));
  if (!stored.enabled) ++disabled_count_;
}

void WebhookIndex::Unindex(const Stored& stored) {
  if (const auto it = by_org_.find(stored.org_id); it != by_org_.end() && it->second == &stored) {
    by_org_.erase(it);
  }
  if (const auto it = by_name_.find(stored.name); it != by_name_.end()) {
    auto named = std::move(it->second);
    // Erased and put back, so that the key views the name of a webhook still in the list.
    by_name_.erase(it);
    named.erase(std::remove(named.begin(), named.end(), &stored), named.end());
    if (!named.empty()) by_name_.emplace(named.front()->name, std::move(named));
  }
  by_created_.Erase(CreatedKey(stored));
  by_modified_.Erase(ModifiedKey(stored));
  by_name_case_blind_.Erase(NameKeyOf(stored));
  if (!stored.enabled) --disabled_count_;
}

}  // namespace engine_internal
}  // namespace webhooks
