// The model of the REST property test (grpc_service/rest_property_test.cc): what webhookd
// should hold and answer. It keeps the seed's principals, each webhook's org, name, status,
// times and kinds of credentials, the channel preferences and the delivery jobs; it predicts
// the status of every call from them, the webhooks a search finds in their order, and the
// preferences a search returns; and it changes as the calls it predicted to succeed did.
//
//   Model model(MakePrincipals(seed, rng));            // generators.h
//   const int expected = model.CreateStatus(caller, draft);
//   ... the call answers 200 with `id` ...
//   model.Create(id, caller, draft, now_millis);
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_MODEL_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc_service/rest_property/json.h"
#include "grpcpp/support/status_code_enum.h"
#include "proto/delivery.pb.h"

namespace webhooks {
namespace rest_property {

// The REST paths the test calls.
inline constexpr absl::string_view kCreatePath = "/api/rest/2.0/webhooks/create";
inline constexpr absl::string_view kSearchPath = "/api/rest/2.0/webhooks/search";
inline constexpr absl::string_view kDeletePath = "/api/rest/2.0/webhooks/delete";
inline constexpr absl::string_view kConfigurePath =
    "/api/rest/2.0/system/preferences/communication-channels/configure";
inline constexpr absl::string_view kPreferencesPath =
    "/api/rest/2.0/system/preferences/communication-channels/search";
inline constexpr absl::string_view kValidatePath =
    "/api/rest/2.0/system/communication-channels/validate";
inline constexpr absl::string_view kHistoryPath =
    "/api/rest/2.0/jobs/history/communication-channels/search";

// Every secret the test makes (except kAdminToken) is "SeKr3t<12 hex digits>t3rKeS"; no answer
// or log may hold either end of one.
inline constexpr absl::string_view kMarkerHead = "SeKr3t";
inline constexpr absl::string_view kMarkerTail = "t3rKeS";

// How long the history keeps a delivery job (DeliveryOptions::history_retention).
inline constexpr absl::Duration kRetention = absl::Hours(72);

struct Org {
  std::string id;
  std::string name;
};

// One token of the principals file (or one the server does not know).
struct Caller {
  std::string token;  // Empty: the request carries none.
  std::string description;
  bool known = false;
  std::string org_id;
  bool admin = false;        // ADMINISTRATION.
  bool webhooks = false;     // May manage webhooks and read the history.
  bool preferences = false;  // May configure and search channel preferences.
  bool cross_org = false;    // ADMINISTRATION in the Primary org.
};

// A seed's principals file and what the model reads from it.
struct Principals {
  bool rbac = false;
  std::vector<Org> orgs;        // orgs[0] is Primary ("0").
  std::vector<Caller> callers;  // callers[0] is the root administrator, kAdminToken.
  std::string text;             // The principals file.
};

enum class Auth { kNone, kApiKey, kBasic, kBearer, kOAuth2 };

struct Hook {
  std::string id;
  std::string org_id;
  std::string name;
  std::optional<std::string> status;  // "ENABLED" or "DISABLED" once set.
  int64_t created = 0;
  int64_t modified = 0;
  Auth auth = Auth::kNone;
  bool signature = false;
  bool storage = false;

  bool enabled() const { return !status || *status == "ENABLED"; }
};

struct Job {
  std::string org_id;
  std::string webhook_id;
  std::string webhook_name;  // When the job was made: the history filters by it.
  int64_t created = 0;
};

// The fields a search request filters and sorts by (not the page).
struct SearchFilter {
  std::optional<std::string> org;
  std::optional<std::string> webhook;
  bool event_type = false;
  std::optional<std::string> status;
  std::optional<std::string> sort_field;
  std::optional<std::string> sort_order;

  JsonObject ToJson() const;
};

// What a create or update body sets, and whether the server must accept it.
struct Draft {
  JsonObject json;
  bool parses = true;  // Protobuf's JSON parser accepts it.
  bool valid = true;   // Validation accepts it (given the credentials' "***" rules).
  std::optional<std::string> name;
  std::optional<std::string> status;
  std::optional<Auth> auth;
  bool auth_redacted = false;  // The credential's secret is "***".
  bool signature = false;
  bool signature_redacted = false;
  bool storage = false;
  std::set<std::string> resets;
};

// One org entry of a preferences configure: the org (if it resolves) and its channels
// (REPLACE), or none (RESET).
struct OrgChange {
  const Org* org = nullptr;
  std::optional<std::vector<std::string>> channels;
};

// What a delete removes, one identifier at a time.
struct DeleteOutcome {
  std::vector<std::string> deleted;  // Webhook ids, in order.
  int failed = 0;
};

// A preferences search answer as the test compares it: each org answered for, with the
// channels of its override joined by "," ("-" for none), and the cluster's channels ("none"
// if not in the answer).
struct PreferencesAnswer {
  std::map<std::string, std::string> orgs;
  std::string cluster = "none";
};

// Whether `caller` may see what belongs to org `org_id`.
bool Sees(const Caller& caller, const std::string& org_id);

class Model {
 public:
  explicit Model(Principals principals);

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const Principals& principals() const { return principals_; }
  const std::vector<Org>& orgs() const { return principals_.orgs; }
  const std::vector<Caller>& callers() const { return principals_.callers; }
  const Caller& root() const { return principals_.callers.front(); }
  const std::map<std::string, Hook>& hooks() const { return hooks_; }
  const std::map<std::string, Job>& jobs() const { return jobs_; }
  // Every id and name a webhook ever had, in order, repeats included.
  const std::vector<std::string>& ids_ever() const { return ids_ever_; }
  const std::vector<std::string>& names_ever() const { return names_ever_; }

  // --- Lookups ------------------------------------------------------------------------------

  // The org whose id, or else whose name, is `identifier`; null if none.
  const Org* FindOrg(const std::string& identifier) const;
  // The org `identifier` names if `caller` may act on it (the engine's ResolveOrg).
  const Org* ResolveOrg(const Caller& caller, const std::string& identifier) const;
  // The webhooks `caller` sees whose id, or else whose name, is `identifier`.
  std::vector<const Hook*> FindVisible(const Caller& caller, const std::string& identifier) const;
  const Hook* FindHook(const std::string& id) const;
  const Hook* HookOfOrg(const std::string& org_id) const;
  // Whether org `org_id`'s effective LIVEBOARD_SCHEDULE channels include WEBHOOK.
  bool WebhookChannelOn(const std::string& org_id) const;
  // The webhooks a search by `caller` with `filter` finds, in the order of the answer.
  std::vector<const Hook*> ExpectedSearch(const Caller& caller, const SearchFilter& filter) const;
  // What a preferences search by `caller` for the cluster and/or `org` answers.
  PreferencesAnswer ExpectedPreferences(const Caller& caller, bool cluster,
                                        const std::optional<std::string>& org) const;

  // --- The status of each call --------------------------------------------------------------

  int CreateStatus(const Caller& caller, const Draft& draft) const;
  int UpdateStatus(const Caller& caller, const std::string& identifier, const Draft& draft) const;
  int DeleteStatus(const Caller& caller, const std::vector<std::string>& identifiers) const;
  int SearchStatus(const Caller& caller, const SearchFilter& filter, std::optional<int> offset,
                   std::optional<int> size) const;
  int ConfigureStatus(const Caller& caller, bool cluster, bool valid) const;
  int PreferencesStatus(const Caller& caller, bool cluster,
                        const std::optional<std::string>& org) const;
  int HistoryStatus(const Caller& caller, bool valid) const;
  int ValidateStatus(const Caller& caller, bool typed, const std::string& identifier) const;
  // PublishEvent (gRPC) for org `target` (null if it does not resolve for `caller`).
  grpc::StatusCode PublishStatus(const Caller& caller, const Org* target, bool good_run) const;
  // The outcome of an accepted PublishEvent for org `org_id`.
  v1::PublishEventResponse::Outcome PublishOutcome(const std::string& org_id) const;

  // --- Changes, after a call succeeded as predicted -----------------------------------------

  // The new webhook `id` of `caller`'s org, as `draft` sets it, made at `now_millis`.
  void Create(const std::string& id, const Caller& caller, const Draft& draft, int64_t now_millis);
  // `draft` applied to the one webhook `caller` sees as `identifier`.
  void Update(const Caller& caller, const std::string& identifier, const Draft& draft,
              int64_t now_millis);
  // Deletes one identifier at a time, as the engine does: a repeated identifier finds nothing
  // the second time.
  DeleteOutcome Delete(const Caller& caller, const std::vector<std::string>& identifiers);
  void Configure(const std::optional<std::vector<std::string>>& cluster,
                 const std::vector<OrgChange>& changes);
  void AddJob(const std::string& job_id, Job job);

 private:
  const Principals principals_;
  std::map<std::string, Hook> hooks_;                        // By id.
  std::vector<std::string> cluster_channels_ = {"WEBHOOK"};  // DefaultChannelPreferences().
  std::map<std::string, std::vector<std::string>> org_channels_;
  std::map<std::string, Job> jobs_;  // By job id.
  std::vector<std::string> ids_ever_;
  std::vector<std::string> names_ever_;
};

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_MODEL_H_
