// WebhookIndex: every webhook, found by id, by org and by name, and kept in the order of each
// sort field so that a search page is read off in order instead of sorting every webhook.
//
//   WebhookIndex index;
//   index.Put(webhook);
//   ASSIGN_OR_RETURN(SearchQuery query, SearchQueryFromRequest(orgs, caller, request, limits));
//   v1::Pagination pagination = index.Search(
//       caller, query, [&](absl::string_view wire, absl::string_view json) {
//         ...  // Each webhook of the page, in order, redacted: serialized, and as JSON.
//       });
//
// Not thread-safe: the engine guards it with its lock. Each webhook is held redacted, as every
// response shows it, serialized and as JSON, with its secrets apart: a search page copies the
// stored bytes (gRPC) or JSON (REST), and WithSecrets gives a webhook as it was put.
#ifndef WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_INDEX_H_
#define WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/internal/ranked_set.h"
#include "engine/limits.h"
#include "engine/org_directory.h"
#include "engine/principal.h"
#include "engine/redaction.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// Unset status means enabled.
bool IsEnabled(const v1::Webhook& webhook);

// A search, checked: what SearchWebhooks asks of the index.
struct SearchQuery {
  std::optional<std::string> org_id;        // Only this org's webhooks.
  std::optional<std::string> identifier;    // Only the webhooks this id or name names.
  std::optional<bool> enabled;              // Only enabled (true) or disabled (false) ones.
  std::optional<v1::EventType> event_type;  // Only the webhooks subscribed to it.
  v1::SortField field = v1::CREATED;
  v1::SortOrder order = v1::DESC;
  int offset = 0;
  int size = 0;
};

// The query `request` makes for `caller`: defaults filled in, a caller who may not act across
// orgs kept to its org, record_size capped at limits.max_record_size. kInvalidArgument naming
// the field for a bad offset, size, sort, filter, or an org the caller may not act on.
absl::StatusOr<SearchQuery> SearchQueryFromRequest(const OrgDirectory& orgs,
                                                   const Principal& caller,
                                                   const v1::SearchWebhooksRequest& request,
                                                   const EngineLimits& limits);

class WebhookIndex {
 public:
  WebhookIndex() = default;
  WebhookIndex(const WebhookIndex&) = delete;
  WebhookIndex& operator=(const WebhookIndex&) = delete;

  // Adds `webhook` (secrets in clear), replacing the webhook with its id if there is one.
  void Put(v1::Webhook webhook);
  // Removes the webhook with id `id`; nothing if there is none.
  void Delete(absl::string_view id);

  // The finders return the stored webhook, redacted; nullopt or an error if there is none.
  std::optional<v1::Webhook> FindById(absl::string_view id) const;
  // The org's one LIVEBOARD_SCHEDULE webhook, or nullopt.
  std::optional<v1::Webhook> FindByOrg(absl::string_view org_id) const;

  // The one webhook `identifier` (an id, else a name) names among those `caller` may see:
  // kNotFound if none, kInvalidArgument if the name is used in several orgs.
  absl::StatusOr<v1::Webhook> Resolve(const Principal& caller, absl::string_view identifier) const;

  // `redacted`, a webhook this index returned, with its secrets in clear.
  v1::Webhook WithSecrets(v1::Webhook redacted) const;

  // Calls `visit` with each webhook of the page `query` selects among those `caller` may see,
  // in the page's order, redacted, as its serialized bytes and as its JSON (what
  // SerializeAsString and ToJson give for it, kept since it was put), and returns the page's
  // pagination. Costs about the same at any offset for a query of every org, unless it filters
  // by a status that only some webhooks have (then it grows with the offset).
  v1::Pagination Search(
      const Principal& caller, const SearchQuery& query,
      absl::FunctionRef<void(absl::string_view wire, absl::string_view json)> visit) const;

  // Calls `visit` with every webhook, secrets in clear, in no particular order.
  void ForEach(const std::function<void(const v1::Webhook&)>& visit) const;

 private:
  // A webhook as the index keeps it: redacted, in the two forms responses take, its secrets
  // apart, and the fields that searches filter and sort by. No parsed v1::Webhook: the finders
  // parse `wire` again, which keeps memory per webhook below what the parsed message alone
  // took (bench/RESULTS.md).
  struct Stored {
    // Where it sits in by_id_, by_org_, by_name_, by_created_ and by_name_case_blind_: never
    // changed while it is there, as those indexes' keys are these strings, or compare them.
    std::string id;
    std::string org_id;
    std::string name;
    int64_t creation_time_in_millis = 0;
    // The rest, which an update that keeps the fields above replaces in place.
    int64_t modification_time_in_millis = 0;
    bool enabled = true;
    uint32_t events = 0;  // Bit 1 << t for each event type t it subscribes to.
    std::string wire;     // The webhook serialized.
    std::string json;     // The webhook's JSON.
    WebhookSecrets secrets;
  };
  // Hash and equality of by_id_: a stored webhook stands for its id, so an id finds it.
  struct ById {
    using is_transparent = void;
    static absl::string_view Id(absl::string_view id) { return id; }
    static absl::string_view Id(const std::unique_ptr<Stored>& stored) { return stored->id; }
    template <typename T>
    size_t operator()(const T& t) const {
      return absl::Hash<absl::string_view>()(Id(t));
    }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Id(a) == Id(b);
    }
  };
  // Where a webhook sorts under CREATED or MODIFIED, and under NAME (compared ignoring ASCII
  // case, with no lower-cased copy); the id breaks ties, so pages are stable.
  struct TimeKey {
    int64_t millis;
    const Stored* stored;
    bool operator<(const TimeKey& other) const;
  };
  struct NameKey {
    const Stored* stored;
    bool operator<(const NameKey& other) const;
  };
  static TimeKey CreatedKey(const Stored& stored);
  static TimeKey ModifiedKey(const Stored& stored);
  static NameKey NameKeyOf(const Stored& stored);
  // Whether `a` comes before `b` in ascending order of `field`.
  static bool Before(v1::SortField field, const Stored& a, const Stored& b);
  // The webhook `stored` keeps, redacted.
  static v1::Webhook Parsed(const Stored& stored);

  // The webhooks `caller` may see whose id, or else whose name, is `identifier`.
  std::vector<const Stored*> FindVisible(const Principal& caller,
                                         absl::string_view identifier) const;
  void Index(const Stored& stored);
  void Unindex(const Stored& stored);

  // Every webhook, by id; each on its own in the heap, as the indexes below point to them. Their
  // keys view the strings of the webhooks they hold, so they copy no id, org id or name: a
  // name's key views the name of the first webhook in its list.
  absl::flat_hash_set<std::unique_ptr<Stored>, ById, ById> by_id_;
  absl::flat_hash_map<absl::string_view, const Stored*> by_org_;
  absl::flat_hash_map<absl::string_view, absl::InlinedVector<const Stored*, 1>> by_name_;
  // Every webhook in the order of each sort field, found by rank.
  RankedSet<TimeKey> by_created_;
  RankedSet<TimeKey> by_modified_;
  RankedSet<NameKey> by_name_case_blind_;
  int64_t disabled_count_ = 0;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_INDEX_H_
