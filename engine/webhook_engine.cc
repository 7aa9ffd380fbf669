#include "engine/webhook_engine.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/delivery/delivery_service.h"
#include "engine/base/json_codec.h"
#include "engine/redaction.h"
#include "engine/base/status_macros.h"
#include "engine/persistence/state_store.h"
#include "engine/internal/validation.h"

namespace webhooks {
namespace {

using engine_internal::ValidateWebhook;

// Search counts matches of an event_type filter as "all webhooks": every webhook subscribes to
// at least one event type and LIVEBOARD_SCHEDULE is the only one. A second type needs counts.
static_assert(v1::EventType_ARRAYSIZE == 2, "count webhooks per event type");

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
  if (caller.Has(v1::ADMINISTRATION)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("ADMINISTRATION privilege required to ", action,
                   " cluster-level communication channel preferences."));
}

absl::Status CheckEventType(absl::string_view field, int event_type) {
  if (event_type == v1::LIVEBOARD_SCHEDULE) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " must be LIVEBOARD_SCHEDULE"));
}

bool IsEnabled(const v1::Webhook& webhook) {
  return !webhook.has_status() || webhook.status() == v1::ENABLED;  // Unset means enabled.
}

// Where a webhook sorts under one sort field; the id breaks ties so pages are stable.
struct SortKey {
  int64_t number = 0;
  std::string text;                      // The lower-cased name under NAME, else empty.
  const v1::Webhook* webhook = nullptr;  // In the engine's node map, so its address is stable.

  bool operator<(const SortKey& other) const {
    if (number != other.number) return number < other.number;
    if (text != other.text) return text < other.text;
    return webhook->id() < other.webhook->id();
  }
};

constexpr std::array<v1::SortField, 3> kSortFields = {v1::CREATED, v1::MODIFIED, v1::NAME};

SortKey KeyFor(v1::SortField field, const v1::Webhook& webhook) {
  switch (field) {
    case v1::MODIFIED:
      return {webhook.modification_time_in_millis(), "", &webhook};
    case v1::NAME:
      return {0, absl::AsciiStrToLower(webhook.name()), &webhook};
    default:
      return {webhook.creation_time_in_millis(), "", &webhook};
  }
}

v1::Webhook WebhookFromRequest(const v1::CreateWebhookRequest& request) {
  v1::Webhook webhook;
  webhook.set_name(request.name());
  if (request.has_description()) webhook.set_description(request.description());
  webhook.set_url(request.url());
  *webhook.mutable_url_params() = request.url_params();
  *webhook.mutable_events() = request.events();
  if (request.has_authentication()) *webhook.mutable_authentication() = request.authentication();
  if (request.has_signature_verification()) {
    *webhook.mutable_signature_verification() = request.signature_verification();
  }
  *webhook.mutable_additional_headers() = request.additional_headers();
  if (request.has_storage_destination()) {
    *webhook.mutable_storage_destination() = request.storage_destination();
  }
  if (request.has_status()) webhook.set_status(request.status());
  return webhook;
}

absl::Status UrlParamsFromJson(const google::protobuf::Struct& json,
                               google::protobuf::Map<std::string, std::string>* params) {
  params->clear();
  for (const auto& [key, value] : json.fields()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::InvalidArgumentError(absl::StrCat("url_params.", key, " must be a string"));
    }
    (*params)[key] = value.string_value();
  }
  return absl::OkStatus();
}

absl::Status HeadersFromJson(const google::protobuf::ListValue& json,
                             google::protobuf::RepeatedPtrField<v1::KeyValue>* headers) {
  headers->Clear();
  for (int i = 0; i < json.values_size(); ++i) {
    const auto& fields = json.values(i).struct_value().fields();
    const auto key = fields.find("key");
    const auto value = fields.find("value");
    if (fields.size() != 2 || key == fields.end() || value == fields.end() ||
        key->second.kind_case() != google::protobuf::Value::kStringValue ||
        value->second.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::InvalidArgumentError(absl::StrCat(
          "additional_headers[", i, "] must be an object with string fields key and value"));
    }
    v1::KeyValue* header = headers->Add();
    header->set_key(key->second.string_value());
    header->set_value(value->second.string_value());
  }
  return absl::OkStatus();
}

// A secret sent back as "***" (as a search shows it) keeps the stored secret of the same
// configuration; any other "***" is refused by validation.
void RestoreRedactedSecrets(const v1::Webhook& stored, v1::Webhook* updated) {
  auto keep = [](const std::string& old_value, std::string* value) {
    if (*value == kRedacted) *value = old_value;
  };
  const v1::WebhookAuthentication& old_auth = stored.authentication();
  if (updated->has_authentication() && stored.has_authentication() &&
      updated->authentication().kind_case() == old_auth.kind_case()) {
    v1::WebhookAuthentication* auth = updated->mutable_authentication();
    switch (auth->kind_case()) {
      case v1::WebhookAuthentication::kAPIKEY:
        keep(old_auth.api_key().value(), auth->mutable_api_key()->mutable_value());
        break;
      case v1::WebhookAuthentication::kBASICAUTH:
        keep(old_auth.basic_auth().password(), auth->mutable_basic_auth()->mutable_password());
        break;
      case v1::WebhookAuthentication::kBEARERTOKEN:
        keep(old_auth.bearer_token(), auth->mutable_bearer_token());
        break;
      case v1::WebhookAuthentication::kOAUTH2:
        keep(old_auth.oauth2().client_secret(), auth->mutable_oauth2()->mutable_client_secret());
        break;
      case v1::WebhookAuthentication::KIND_NOT_SET:
        break;
    }
  }
  if (updated->has_signature_verification() && stored.has_signature_verification()) {
    keep(stored.signature_verification().secret(),
         updated->mutable_signature_verification()->mutable_secret());
  }
}

// Applies `request` to a copy of `stored`: first reset_options, then every field given.
absl::StatusOr<v1::Webhook> ApplyUpdate(const v1::Webhook& stored,
                                        const v1::UpdateWebhookRequest& request) {
  v1::Webhook updated = stored;
  for (int i = 0; i < request.reset_options_size(); ++i) {
    const std::string field = absl::StrCat("reset_options[", i, "]");
    bool conflict = false;
    switch (request.reset_options(i)) {
      case v1::AUTHENTICATION:
        conflict = request.has_authentication();
        updated.clear_authentication();
        break;
      case v1::SIGNATURE_VERIFICATION:
        conflict = request.has_signature_verification();
        updated.clear_signature_verification();
        break;
      case v1::STORAGE_DESTINATION:
        conflict = request.has_storage_destination();
        updated.clear_storage_destination();
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            field, " must be AUTHENTICATION, SIGNATURE_VERIFICATION or STORAGE_DESTINATION"));
    }
    if (conflict) {
      return absl::InvalidArgumentError(absl::StrCat(field, " removes ",
                                                     v1::ResetOption_Name(request.reset_options(i)),
                                                     ", which the same request also sets"));
    }
  }
  if (request.has_name()) updated.set_name(request.name());
  if (request.has_description()) updated.set_description(request.description());
  if (request.has_url()) updated.set_url(request.url());
  if (request.has_url_params()) {
    RETURN_IF_ERROR(UrlParamsFromJson(request.url_params(), updated.mutable_url_params()));
  }
  if (!request.events().empty()) *updated.mutable_events() = request.events();
  if (request.has_authentication()) *updated.mutable_authentication() = request.authentication();
  if (request.has_signature_verification()) {
    *updated.mutable_signature_verification() = request.signature_verification();
  }
  if (request.has_storage_destination()) {
    *updated.mutable_storage_destination() = request.storage_destination();
  }
  if (request.has_additional_headers()) {
    RETURN_IF_ERROR(
        HeadersFromJson(request.additional_headers(), updated.mutable_additional_headers()));
  }
  if (request.has_status()) updated.set_status(request.status());
  RestoreRedactedSecrets(stored, &updated);
  return updated;
}

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

bool IsPlainText(absl::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// The parts of a published run that the payload and the multipart body rely on.
absl::Status CheckRun(const v1::PublishEventRequest& request, int64_t max_file_bytes) {
  const v1::LiveboardScheduleRun& run = request.run();
  const std::pair<const char*, const std::string*> required[] = {
      {"run.liveboard_id", &run.liveboard_id()},
      {"run.liveboard_name", &run.liveboard_name()},
      {"run.schedule.scheduleId", &run.schedule().scheduleid()},
      {"run.schedule.name", &run.schedule().name()},
  };
  for (const auto& [field, value] : required) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  int64_t total = 0;
  absl::flat_hash_map<absl::string_view, int> names;  // File name -> its first index.
  for (int i = 0; i < request.files_size(); ++i) {
    const v1::EventFile& file = request.files(i);
    const std::string field = absl::StrCat("files[", i, "]");
    if (file.name().empty() || file.name().size() > 255 || !IsPlainText(file.name())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name is required: at most 255 characters, no control characters"));
    }
    if (!file.mime_type().empty() &&
        (!IsPlainText(file.mime_type()) || file.mime_type().find('/') == std::string::npos)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".mime_type must be a MIME type such as application/pdf"));
    }
    if (const auto [first, added] = names.emplace(file.name(), i); !added) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name repeats files[", first->second,
                       "].name: the files of one event need different names (they are stored "
                       "under them)"));
    }
    total += file.content().size();
  }
  if (total > max_file_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("files hold ", total, " bytes; at most ",
                                                   max_file_bytes, " are allowed per event"));
  }
  return absl::OkStatus();
}

// Channel configurations of one scope (the cluster, or one org), by event type.
using Preferences = absl::btree_map<int, v1::EventChannelConfig>;

class EngineImpl final : public WebhookEngine {
 public:
  explicit EngineImpl(const EngineOptions& options)
      : orgs_(*options.orgs),
        own_store_(options.state_store == nullptr ? std::make_unique<NullStateStore>() : nullptr),
        store_(options.state_store != nullptr ? *options.state_store : *own_store_),
        clock_(options.clock != nullptr ? *options.clock : *SystemClock()),
        ids_(options.ids != nullptr ? *options.ids : *RandomUuidGenerator()),
        limits_(options.limits),
        max_event_file_bytes_(options.delivery.max_event_file_bytes),
        aws_account_id_(options.delivery.aws_account_id),
        gcp_service_account_email_(options.delivery.gcp_service_account_email) {
    if (options.delivery.transport != nullptr) {
      delivery_ = std::make_unique<engine_internal::DeliveryService>(
          options.delivery, clock_, ids_, store_,
          [this](const std::string& id) -> absl::StatusOr<v1::Webhook> {
            absl::ReaderMutexLock lock(&mu_);
            const auto it = by_id_.find(id);
            if (it == by_id_.end()) return absl::NotFoundError("the webhook no longer exists");
            return it->second;
          });
    }
  }

  absl::StatusOr<v1::Webhook> CreateWebhook(const Principal& caller,
                                            const v1::CreateWebhookRequest& request) override;
  absl::StatusOr<v1::SearchWebhooksResponse> SearchWebhooks(
      const Principal& caller, const v1::SearchWebhooksRequest& request) override;
  absl::Status UpdateWebhook(const Principal& caller,
                             const v1::UpdateWebhookRequest& request) override;
  absl::StatusOr<v1::DeleteWebhooksResponse> DeleteWebhooks(
      const Principal& caller, const v1::DeleteWebhooksRequest& request) override;
  absl::Status ConfigureChannelPreferences(
      const Principal& caller, const v1::ConfigureChannelPreferencesRequest& request) override;
  absl::StatusOr<v1::SearchChannelPreferencesResponse> SearchChannelPreferences(
      const Principal& caller, const v1::SearchChannelPreferencesRequest& request) override;
  absl::StatusOr<v1::PublishEventResponse> PublishEvent(
      const Principal& caller, const v1::PublishEventRequest& request) override;
  absl::StatusOr<v1::SearchChannelHistoryResponse> SearchChannelHistory(
      const Principal& caller, const v1::SearchChannelHistoryRequest& request) override;
  absl::StatusOr<v1::ValidateCommunicationChannelResponse> ValidateCommunicationChannel(
      const Principal& caller, const v1::ValidateCommunicationChannelRequest& request) override;
  absl::StatusOr<v1::GetStorageConfigResponse> GetStorageConfig(const Principal& caller) override;
  void RunDueDeliveries() override {
    if (delivery_ != nullptr) delivery_->RunDue();
  }

 private:
  // A planned change of one org's preferences, checked before any is applied.
  struct OrgChange {
    std::string org_id;
    Preferences replace;     // REPLACE: these event types' channels.
    std::vector<int> reset;  // RESET: these event types fall back to the cluster's.
  };

  int64_t NowMillis() const { return absl::ToUnixMillis(clock_.Now()); }

  // The one place state changes: at run time and when the store replays.
  void ApplyLocked(const state::StateRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies `batch` and queues it in the store; returns the sequence to make durable.
  uint64_t RecordLocked(const state::StateBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const state::StateRecord& record : batch.records()) ApplyLocked(record);
    return store_.Write(batch);
  }
  // kUnavailable once the store has failed: from then on no change is made at all, so the
  // state in memory never runs further ahead of the disk than the one change that failed.
  absl::Status WritableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return store_.Sync(0); }
  // Waits until the change `sequence` is durable, then snapshots if the journal is long.
  absl::Status MakeDurable(uint64_t sequence);
  // Snapshots if the journal is long and no snapshot is under way. Called after every change
  // made durable, deliveries' too (a publish or a validation syncs its own job): a server
  // that only delivers events must not grow its journal without end. Attempt outcomes are
  // journaled by the dispatcher with no call here; they are few per job and are snapshotted
  // with the next change.
  void SnapshotIfDue();

 public:
  // Rebuilds the state from the store, then snapshots it so start-up stays short.
  absl::Status Restore();

 private:
  absl::Status TakeSnapshot();

  // The org `identifier` names, if `caller` may act on it; kInvalidArgument naming `field`
  // otherwise (another org is reported like an unknown one).
  absl::StatusOr<v1::Org> ResolveOrg(const Principal& caller, absl::string_view field,
                                     absl::string_view identifier) const;

  static bool Visible(const Principal& caller, const v1::Webhook& webhook) {
    return caller.can_act_across_orgs || webhook.org().id() == caller.org.id();
  }

  // The webhooks `caller` may see whose id, or else whose name, is `identifier`.
  std::vector<const v1::Webhook*> FindVisible(const Principal& caller,
                                              absl::string_view identifier) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // The one webhook `identifier` names for `caller`: kNotFound if none, kInvalidArgument if
  // the name is shared by webhooks of several orgs.
  absl::StatusOr<const v1::Webhook*> Resolve(const Principal& caller,
                                             absl::string_view identifier) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  bool WebhookChannelOn(const std::string& org_id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  void Index(const v1::Webhook& webhook) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unindex(const v1::Webhook& webhook) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const OrgDirectory& orgs_;
  std::unique_ptr<StateStore> own_store_;  // Only when EngineOptions.state_store is null.
  StateStore& store_;
  std::atomic<bool> snapshotting_{false};
  const Clock& clock_;
  IdGenerator& ids_;
  const EngineLimits limits_;

  mutable absl::Mutex mu_;
  // Every webhook, secrets in clear. A node map: the indexes below point into it.
  absl::node_hash_map<std::string, v1::Webhook> by_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, const v1::Webhook*> by_org_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::InlinedVector<const v1::Webhook*, 1>> by_name_
      ABSL_GUARDED_BY(mu_);
  // Every webhook in the order of each entry of kSortFields, so a page is read off in order.
  std::array<absl::btree_set<SortKey>, kSortFields.size()> order_ ABSL_GUARDED_BY(mu_);
  int64_t disabled_count_ ABSL_GUARDED_BY(mu_) = 0;
  Preferences cluster_preferences_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Preferences> org_preferences_ ABSL_GUARDED_BY(mu_);

  const int64_t max_event_file_bytes_;
  const std::string aws_account_id_;
  const std::string gcp_service_account_email_;
  // Last, so it stops (and stops looking webhooks up) before the state above goes away.
  std::unique_ptr<engine_internal::DeliveryService> delivery_;
};

absl::StatusOr<v1::Org> EngineImpl::ResolveOrg(const Principal& caller, absl::string_view field,
                                               absl::string_view identifier) const {
  absl::StatusOr<v1::Org> org = orgs_.Find(identifier);
  if (!org.ok() || (!caller.can_act_across_orgs && org->id() != caller.org.id())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " '", identifier, "' does not match a known org"));
  }
  return org;
}

std::vector<const v1::Webhook*> EngineImpl::FindVisible(const Principal& caller,
                                                        absl::string_view identifier) const {
  std::vector<const v1::Webhook*> found;
  if (const auto it = by_id_.find(identifier); it != by_id_.end() && Visible(caller, it->second)) {
    found.push_back(&it->second);
    return found;
  }
  if (const auto it = by_name_.find(identifier); it != by_name_.end()) {
    for (const v1::Webhook* webhook : it->second) {
      if (Visible(caller, *webhook)) found.push_back(webhook);
    }
  }
  return found;
}

absl::StatusOr<const v1::Webhook*> EngineImpl::Resolve(const Principal& caller,
                                                       absl::string_view identifier) const {
  const std::vector<const v1::Webhook*> found = FindVisible(caller, identifier);
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("Webhook with the specified identifier '", identifier, "' was not found."));
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("webhook name '", identifier, "' is used in ",
                                                   found.size(), " orgs; use the id"));
  }
  return found.front();
}

bool EngineImpl::WebhookChannelOn(const std::string& org_id) const {
  const v1::EventChannelConfig* config = nullptr;
  if (const auto org = org_preferences_.find(org_id); org != org_preferences_.end()) {
    if (const auto it = org->second.find(v1::LIVEBOARD_SCHEDULE); it != org->second.end()) {
      config = &it->second;
    }
  }
  if (config == nullptr) {
    const auto it = cluster_preferences_.find(v1::LIVEBOARD_SCHEDULE);
    if (it == cluster_preferences_.end()) return false;
    config = &it->second;
  }
  return std::find(config->channels().begin(), config->channels().end(), v1::WEBHOOK) !=
         config->channels().end();
}

void EngineImpl::Index(const v1::Webhook& webhook) {
  by_org_[webhook.org().id()] = &webhook;
  by_name_[webhook.name()].push_back(&webhook);
  for (size_t i = 0; i < kSortFields.size(); ++i) {
    order_[i].insert(KeyFor(kSortFields[i], webhook));
  }
  if (!IsEnabled(webhook)) ++disabled_count_;
}

void EngineImpl::Unindex(const v1::Webhook& webhook) {
  by_org_.erase(webhook.org().id());
  if (auto it = by_name_.find(webhook.name()); it != by_name_.end()) {
    auto& named = it->second;
    named.erase(std::remove(named.begin(), named.end(), &webhook), named.end());
    if (named.empty()) by_name_.erase(it);
  }
  for (size_t i = 0; i < kSortFields.size(); ++i) {
    order_[i].erase(KeyFor(kSortFields[i], webhook));
  }
  if (!IsEnabled(webhook)) --disabled_count_;
}

absl::StatusOr<v1::Webhook> EngineImpl::CreateWebhook(const Principal& caller,
                                                      const v1::CreateWebhookRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "create"));
  if (caller.org.id().empty()) {
    return absl::FailedPreconditionError("the caller has no org context to create a webhook in");
  }
  v1::Webhook webhook = WebhookFromRequest(request);
  RETURN_IF_ERROR(ValidateWebhook(webhook, limits_));
  webhook.set_id(ids_.NewId());
  *webhook.mutable_org() = caller.org;
  const int64_t now = NowMillis();
  webhook.set_creation_time_in_millis(now);
  webhook.set_modification_time_in_millis(now);
  webhook.mutable_created_by()->set_id(caller.user_id);
  webhook.mutable_created_by()->set_name(caller.user_name);
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    if (!WebhookChannelOn(caller.org.id())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the WEBHOOK communication channel is not enabled for LIVEBOARD_SCHEDULE in org '",
          caller.org.name(), "'; configure it at the cluster level or for the org first"));
    }
    if (const auto it = by_org_.find(caller.org.id()); it != by_org_.end()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "org '", caller.org.name(), "' already has a LIVEBOARD_SCHEDULE webhook (id ",
          it->second->id(), "); only one is allowed per org"));
    }
    state::StateBatch batch;
    *batch.add_records()->mutable_put_webhook() = webhook;
    RETURN_IF_ERROR(WritableLocked());
    sequence = RecordLocked(batch);
  }
  RETURN_IF_ERROR(MakeDurable(sequence));
  RedactSecrets(&webhook);
  return webhook;
}

absl::StatusOr<v1::SearchWebhooksResponse> EngineImpl::SearchWebhooks(
    const Principal& caller, const v1::SearchWebhooksRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "search"));
  const int offset = request.has_record_offset() ? request.record_offset() : 0;
  if (offset < 0) {
    return absl::InvalidArgumentError("record_offset must be a non-negative integer.");
  }
  int size = request.has_record_size() ? request.record_size() : limits_.default_record_size;
  if (size < 1) return absl::InvalidArgumentError("record_size must be a positive integer.");
  size = std::min(size, limits_.max_record_size);
  const v1::SortOptions& sort = request.sort_options();
  const v1::SortField field = sort.has_field_name() ? sort.field_name() : v1::CREATED;
  if (std::find(kSortFields.begin(), kSortFields.end(), field) == kSortFields.end()) {
    return absl::InvalidArgumentError("sort_options.field_name must be CREATED, MODIFIED or NAME");
  }
  const v1::SortOrder order = sort.has_order() ? sort.order() : v1::DESC;
  if (order != v1::ASC && order != v1::DESC) {
    return absl::InvalidArgumentError("sort_options.order must be ASC or DESC");
  }
  if (request.has_event_type()) {
    RETURN_IF_ERROR(CheckEventType("event_type", request.event_type()));
  }
  if (request.has_status() && request.status() != v1::ENABLED && request.status() != v1::DISABLED) {
    return absl::InvalidArgumentError("status must be ENABLED or DISABLED");
  }
  if (request.has_webhook_identifier() && request.webhook_identifier().empty()) {
    return absl::InvalidArgumentError("webhook_identifier must not be empty");
  }
  std::optional<std::string> org_scope;
  if (request.has_org_identifier()) {
    ASSIGN_OR_RETURN(const v1::Org org,
                     ResolveOrg(caller, "org_identifier", request.org_identifier()));
    org_scope = org.id();
  } else if (!caller.can_act_across_orgs) {
    org_scope = caller.org.id();
  }
  const auto matches = [&](const v1::Webhook& webhook) {
    return (!org_scope || webhook.org().id() == *org_scope) &&
           (!request.has_status() || IsEnabled(webhook) == (request.status() == v1::ENABLED)) &&
           (!request.has_event_type() || std::find(webhook.events().begin(), webhook.events().end(),
                                                   request.event_type()) != webhook.events().end());
  };

  v1::SearchWebhooksResponse response;
  const auto add_to_page = [&](const v1::Webhook& webhook) {
    v1::Webhook* out = response.add_webhooks();
    *out = webhook;
    RedactSecrets(out);
  };
  int64_t total = 0;
  absl::ReaderMutexLock lock(&mu_);
  if (request.has_webhook_identifier() || org_scope) {
    // One org holds at most one webhook, and one identifier names at most one per org.
    std::vector<const v1::Webhook*> candidates;
    if (request.has_webhook_identifier()) {
      candidates = FindVisible(caller, request.webhook_identifier());
    } else if (const auto it = by_org_.find(*org_scope); it != by_org_.end()) {
      candidates.push_back(it->second);
    }
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const v1::Webhook* w) { return !matches(*w); }),
                     candidates.end());
    std::sort(candidates.begin(), candidates.end(),
              [&](const v1::Webhook* a, const v1::Webhook* b) {
                return order == v1::ASC ? KeyFor(field, *a) < KeyFor(field, *b)
                                        : KeyFor(field, *b) < KeyFor(field, *a);
              });
    total = candidates.size();
    for (int64_t i = offset; i < total && response.webhooks_size() < size; ++i) {
      add_to_page(*candidates[i]);
    }
  } else {
    // Every org: walk the ordered index and copy only the page.
    const int64_t enabled = static_cast<int64_t>(by_id_.size()) - disabled_count_;
    total = !request.has_status()             ? by_id_.size()
            : request.status() == v1::ENABLED ? enabled
                                              : disabled_count_;
    const auto& index =
        order_[std::find(kSortFields.begin(), kSortFields.end(), field) - kSortFields.begin()];
    int64_t skipped = 0;
    const auto visit = [&](const SortKey& key) {
      const v1::Webhook& webhook = *key.webhook;
      if (!matches(webhook)) return true;
      if (skipped < offset) {
        ++skipped;
        return true;
      }
      add_to_page(webhook);
      return response.webhooks_size() < size;
    };
    if (offset < total) {
      if (order == v1::ASC) {
        for (auto it = index.begin(); it != index.end() && visit(*it); ++it) {
        }
      } else {
        for (auto it = index.rbegin(); it != index.rend() && visit(*it); ++it) {
        }
      }
    }
  }
  v1::Pagination* pagination = response.mutable_pagination();
  pagination->set_record_offset(offset);
  pagination->set_record_size(size);
  pagination->set_total_count(static_cast<int32_t>(total));
  pagination->set_has_more(offset + response.webhooks_size() < total);
  return response;
}

absl::Status EngineImpl::UpdateWebhook(const Principal& caller,
                                       const v1::UpdateWebhookRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "update"));
  if (request.webhook_identifier().empty()) {
    return absl::InvalidArgumentError("webhook_identifier is required");
  }
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const v1::Webhook* stored, Resolve(caller, request.webhook_identifier()));
    ASSIGN_OR_RETURN(v1::Webhook updated, ApplyUpdate(*stored, request));
    RETURN_IF_ERROR(ValidateWebhook(updated, limits_));
    updated.set_modification_time_in_millis(NowMillis());
    updated.mutable_last_modified_by()->set_id(caller.user_id);
    updated.mutable_last_modified_by()->set_name(caller.user_name);
    state::StateBatch batch;
    *batch.add_records()->mutable_put_webhook() = std::move(updated);
    RETURN_IF_ERROR(WritableLocked());
    sequence = RecordLocked(batch);
  }
  return MakeDurable(sequence);
}

absl::StatusOr<v1::DeleteWebhooksResponse> EngineImpl::DeleteWebhooks(
    const Principal& caller, const v1::DeleteWebhooksRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "delete"));
  if (request.webhook_identifiers().empty()) {
    return absl::InvalidArgumentError("webhook_identifiers must contain at least one identifier.");
  }
  v1::DeleteWebhooksResponse response;
  state::StateBatch batch;
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(WritableLocked());
    for (const std::string& identifier : request.webhook_identifiers()) {
      absl::StatusOr<const v1::Webhook*> found =
          identifier.empty() ? absl::InvalidArgumentError("webhook identifier must not be empty")
                             : Resolve(caller, identifier);
      if (!found.ok()) {
        v1::DeleteFailure* failure = response.add_failed_webhooks();
        failure->set_id(identifier);
        failure->set_name(identifier);
        failure->set_error(std::string(found.status().message()));
        continue;
      }
      v1::Webhook* deleted = response.add_deleted_webhooks();
      *deleted = **found;
      RedactSecrets(deleted);
      // Applied at once, so an identifier repeated in the request finds nothing the second time.
      state::StateRecord* record = batch.add_records();
      record->set_delete_webhook(deleted->id());
      ApplyLocked(*record);
    }
    sequence = batch.records().empty() ? 0 : store_.Write(batch);  // 0: nothing to wait for.
  }
  RETURN_IF_ERROR(MakeDurable(sequence));
  response.set_deleted_count(response.deleted_webhooks_size());
  response.set_failed_count(response.failed_webhooks_size());
  return response;
}

absl::Status EngineImpl::ConfigureChannelPreferences(
    const Principal& caller, const v1::ConfigureChannelPreferencesRequest& request) {
  RETURN_IF_ERROR(RequirePreferencePrivileges(caller, "configure"));
  if (!request.cluster_preferences().empty()) {
    RETURN_IF_ERROR(RequireClusterPrivilege(caller, "configure"));
  }
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
                     ResolveOrg(caller, field + ".org_identifier", input.org_identifier()));
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
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(WritableLocked());
    sequence = RecordLocked(batch);
  }
  return MakeDurable(sequence);
}

absl::StatusOr<v1::SearchChannelPreferencesResponse> EngineImpl::SearchChannelPreferences(
    const Principal& caller, const v1::SearchChannelPreferencesRequest& request) {
  RETURN_IF_ERROR(RequirePreferencePrivileges(caller, "search"));
  for (int i = 0; i < request.cluster_preferences_size(); ++i) {
    RETURN_IF_ERROR(CheckEventType(absl::StrCat("cluster_preferences[", i, "]"),
                                   request.cluster_preferences(i)));
  }
  if (!request.cluster_preferences().empty()) {
    RETURN_IF_ERROR(RequireClusterPrivilege(caller, "retrieve"));
  }
  // The orgs to answer for, each with the event types asked (empty: all).
  std::vector<std::pair<v1::Org, std::vector<int>>> queries;
  for (int i = 0; i < request.org_preferences_size(); ++i) {
    const v1::OrgPreferenceQuery& query = request.org_preferences(i);
    const std::string field = absl::StrCat("org_preferences[", i, "]");
    ASSIGN_OR_RETURN(v1::Org org,
                     ResolveOrg(caller, field + ".org_identifier", query.org_identifier()));
    std::vector<int> events;
    for (int j = 0; j < query.event_types_size(); ++j) {
      RETURN_IF_ERROR(
          CheckEventType(absl::StrCat(field, ".event_types[", j, "]"), query.event_types(j)));
      events.push_back(query.event_types(j));
    }
    queries.emplace_back(std::move(org), std::move(events));
  }
  const bool everything =
      request.cluster_preferences().empty() && request.org_preferences().empty();
  if (everything) {
    for (v1::Org& org :
         caller.can_act_across_orgs ? orgs_.List() : std::vector<v1::Org>{caller.org}) {
      queries.emplace_back(std::move(org), std::vector<int>{});
    }
  }

  v1::SearchChannelPreferencesResponse response;
  absl::ReaderMutexLock lock(&mu_);
  if (everything && caller.Has(v1::ADMINISTRATION)) {
    for (const auto& [event, config] : cluster_preferences_) {
      *response.add_cluster_preferences() = config;
    }
  }
  for (const int event : request.cluster_preferences()) {
    if (const auto it = cluster_preferences_.find(event); it != cluster_preferences_.end()) {
      *response.add_cluster_preferences() = it->second;
    }
  }
  for (const auto& [org, events] : queries) {
    v1::OrgChannelConfig* out = response.add_org_preferences();
    *out->mutable_org() = org;
    const auto prefs = org_preferences_.find(org.id());
    if (prefs == org_preferences_.end()) continue;
    for (const auto& [event, config] : prefs->second) {
      if (events.empty() || std::find(events.begin(), events.end(), event) != events.end()) {
        *out->add_preferences() = config;
      }
    }
  }
  return response;
}

void EngineImpl::ApplyLocked(const state::StateRecord& record) {
  switch (record.change_case()) {
    case state::StateRecord::kPutWebhook: {
      const auto [it, inserted] = by_id_.try_emplace(record.put_webhook().id());
      if (!inserted) Unindex(it->second);
      it->second = record.put_webhook();
      Index(it->second);
      break;
    }
    case state::StateRecord::kDeleteWebhook:
      if (const auto it = by_id_.find(record.delete_webhook()); it != by_id_.end()) {
        Unindex(it->second);
        by_id_.erase(it);
      }
      break;
    case state::StateRecord::kPutClusterPreference:
      cluster_preferences_[record.put_cluster_preference().event_type()] =
          record.put_cluster_preference();
      break;
    case state::StateRecord::kPutOrgPreference: {
      const state::OrgPreference& put = record.put_org_preference();
      org_preferences_[put.org_id()][put.config().event_type()] = put.config();
      break;
    }
    case state::StateRecord::kResetOrgPreference: {
      const state::OrgPreferenceReset& reset = record.reset_org_preference();
      if (const auto org = org_preferences_.find(reset.org_id()); org != org_preferences_.end()) {
        org->second.erase(reset.event_type());
        if (org->second.empty()) org_preferences_.erase(org);
      }
      break;
    }
    case state::StateRecord::kPutJob:
    case state::StateRecord::kUpdateJob:
    case state::StateRecord::kUploadedJob:
      // Jobs are the delivery service's; they reach the engine only on replay.
      if (delivery_ != nullptr) delivery_->Restore(record);
      break;
    case state::StateRecord::CHANGE_NOT_SET:
      break;
  }
}

absl::Status EngineImpl::MakeDurable(uint64_t sequence) {
  RETURN_IF_ERROR(store_.Sync(sequence));
  SnapshotIfDue();
  return absl::OkStatus();
}

void EngineImpl::SnapshotIfDue() {
  if (store_.WantsSnapshot() && !snapshotting_.exchange(true)) {
    // The change itself is durable; a failed snapshot only leaves the journal longer.
    TakeSnapshot().IgnoreError();
    snapshotting_ = false;
  }
}

absl::Status EngineImpl::Restore() {
  bool any = false;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(store_.Replay([&](const state::StateBatch& batch) {
      mu_.AssertHeld();
      for (const state::StateRecord& record : batch.records()) ApplyLocked(record);
      any = true;
      return absl::OkStatus();
    }));
  }
  return any ? TakeSnapshot() : absl::OkStatus();
}

absl::Status EngineImpl::TakeSnapshot() {
  constexpr int kRecordsPerBatch = 1000;
  std::vector<state::StateBatch> state;
  const auto add = [&state]() {
    if (state.empty() || state.back().records_size() >= kRecordsPerBatch) state.emplace_back();
    return state.back().add_records();
  };
  uint64_t snapshot = 0;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, webhook] : by_id_) *add()->mutable_put_webhook() = webhook;
    for (const auto& [event, config] : cluster_preferences_) {
      *add()->mutable_put_cluster_preference() = config;
    }
    for (const auto& [org_id, preferences] : org_preferences_) {
      for (const auto& [event, config] : preferences) {
        state::OrgPreference* put = add()->mutable_put_org_preference();
        put->set_org_id(org_id);
        *put->mutable_config() = config;
      }
    }
    const auto start = [&] { snapshot = store_.StartSnapshot(); };
    if (delivery_ != nullptr) {
      delivery_->CollectForSnapshot([&] { return add(); }, start);
    } else {
      start();
    }
  }
  return store_.FinishSnapshot(snapshot, state);
}

absl::StatusOr<v1::PublishEventResponse> EngineImpl::PublishEvent(
    const Principal& caller, const v1::PublishEventRequest& request) {
  if (!caller.Has(v1::ADMINISTRATION)) {
    return absl::PermissionDeniedError(
        "Insufficient privileges to publish events: requires ADMINISTRATION.");
  }
  v1::Org org = caller.org;
  if (request.has_org_identifier()) {
    ASSIGN_OR_RETURN(org, ResolveOrg(caller, "org_identifier", request.org_identifier()));
  }
  RETURN_IF_ERROR(CheckRun(request, max_event_file_bytes_));
  if (delivery_ == nullptr) {
    return absl::FailedPreconditionError(
        "this engine has no HTTP transport (DeliveryOptions.transport), so it delivers nothing");
  }
  v1::PublishEventResponse response;
  v1::Webhook webhook;
  {
    absl::ReaderMutexLock lock(&mu_);
    const auto it = by_org_.find(org.id());
    if (it == by_org_.end()) {
      response.set_outcome(v1::PublishEventResponse::NO_WEBHOOK);
      response.set_reason(absl::StrCat("org '", org.name(), "' has no LIVEBOARD_SCHEDULE webhook"));
      return response;
    }
    webhook = *it->second;
    if (!IsEnabled(webhook)) {
      response.set_outcome(v1::PublishEventResponse::WEBHOOK_DISABLED);
      response.set_reason(absl::StrCat("webhook '", webhook.name(), "' is DISABLED"));
      return response;
    }
    if (!WebhookChannelOn(org.id())) {
      response.set_outcome(v1::PublishEventResponse::CHANNEL_OFF);
      response.set_reason(absl::StrCat(
          "the WEBHOOK channel is not enabled for LIVEBOARD_SCHEDULE in org '", org.name(), "'"));
      return response;
    }
  }
  ASSIGN_OR_RETURN(std::string job_id, delivery_->Enqueue(webhook, request.run(), request.files()));
  SnapshotIfDue();
  response.set_outcome(v1::PublishEventResponse::QUEUED);
  response.set_job_id(std::move(job_id));
  return response;
}

absl::StatusOr<v1::SearchChannelHistoryResponse> EngineImpl::SearchChannelHistory(
    const Principal& caller, const v1::SearchChannelHistoryRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "search the delivery history of"));
  if (request.channel_type() != v1::WEBHOOK) {
    return absl::InvalidArgumentError(
        "channel_type must be specified. Currently only WEBHOOK is supported.");
  }
  for (const auto& [field, size] : {std::pair<const char*, int>{"job_ids", request.job_ids_size()},
                                    {"channel_identifiers", request.channel_identifiers_size()},
                                    {"events", request.events_size()}}) {
    if (size > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " may have at most one element for channel_type WEBHOOK"));
    }
  }
  if (request.job_ids().empty() &&
      (request.channel_identifiers().empty() || request.events().empty())) {
    return absl::InvalidArgumentError(
        "channel_identifiers and events must each have exactly one element when job_ids is "
        "not given");
  }
  if (!request.events().empty()) {
    RETURN_IF_ERROR(CheckEventType("events[0].type", request.events(0).type()));
  }
  v1::SearchChannelHistoryResponse response;
  if (delivery_ == nullptr) return response;
  const auto keep = [&](const engine_internal::JobOwner& owner, const v1::ChannelHistoryJob& job) {
    if (!caller.can_act_across_orgs && owner.org_id != caller.org.id()) return false;
    if (!request.job_ids().empty()) return job.id() == request.job_ids(0);
    const std::string& channel = request.channel_identifiers(0);
    const v1::ChannelHistoryEventInput& event = request.events(0);
    return (owner.webhook_id == channel || owner.webhook_name == channel) &&
           (!event.has_identifier() || job.event().id() == event.identifier() ||
            job.event().name() == event.identifier()) &&
           (!request.has_channel_status() || job.status() == request.channel_status()) &&
           (!request.has_start_epoch_time_in_millis() ||
            job.creation_time_in_millis() >= request.start_epoch_time_in_millis()) &&
           (!request.has_end_epoch_time_in_millis() ||
            job.creation_time_in_millis() < request.end_epoch_time_in_millis());
  };
  for (v1::ChannelHistoryJob& job : delivery_->History(keep)) {
    *response.add_jobs() = std::move(job);
  }
  return response;
}

absl::StatusOr<v1::ValidateCommunicationChannelResponse> EngineImpl::ValidateCommunicationChannel(
    const Principal& caller, const v1::ValidateCommunicationChannelRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "validate"));
  if (request.channel_type() != v1::WEBHOOK) {
    return absl::InvalidArgumentError("channel_type must be WEBHOOK");
  }
  if (request.channel_identifier().empty()) {
    return absl::InvalidArgumentError("channel_identifier is required");
  }
  RETURN_IF_ERROR(CheckEventType("event_type", request.event_type()));
  if (delivery_ == nullptr) {
    return absl::FailedPreconditionError(
        "this engine has no HTTP transport (DeliveryOptions.transport), so it cannot validate");
  }
  v1::Webhook webhook;
  {
    absl::ReaderMutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const v1::Webhook* found, Resolve(caller, request.channel_identifier()));
    webhook = *found;
  }
  v1::ValidateCommunicationChannelResponse response = delivery_->Validate(webhook);
  SnapshotIfDue();
  return response;
}

absl::StatusOr<v1::GetStorageConfigResponse> EngineImpl::GetStorageConfig(const Principal& caller) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "read the storage setup of"));
  const std::string account = aws_account_id_.empty() ? "<AWS_ACCOUNT_ID>" : aws_account_id_;
  v1::GetStorageConfigResponse response;
  v1::WebhookStorageConfigInfo* aws = response.add_configs();
  aws->set_storage_type(v1::WebhookStorageConfigInfo::OBJECT_STORAGE);
  aws->set_provider(v1::AWS_S3);
  v1::WebhookStorageSetupConfig* config = aws->mutable_config();
  config->set_config_type(v1::WebhookStorageSetupConfig::AWS_TO_S3_STORAGE);
  if (!aws_account_id_.empty()) config->set_aws_account_id(aws_account_id_);
  for (const char* step : {
           "Choose an S3 bucket and the region it is in; report files are written under "
           "<path_prefix>/<org id>/<YYYY-MM-DD>/<event id>/<file name>.",
           "Create an IAM role whose trust policy is trust_policy_template, with <EXTERNAL_ID> "
           "replaced by an external ID you choose (case-sensitive; it is shown with the webhook).",
           "Allow the role s3:PutObject on arn:aws:s3:::<bucket>/<path_prefix>/* (nothing "
           "else is needed: files are only written, never read, listed or deleted).",
           "Set the webhook's storage_destination: storage_type AWS_S3 and aws_s3_config with "
           "bucket_name, region, role_arn, external_id and optionally path_prefix.",
           "Check it with POST /api/rest/2.0/system/communication-channels/validate: the "
           "STORAGE_FILE_UPLOAD_CHECK step stores a small test file and reports its key.",
       }) {
    config->add_setup_instructions(step);
  }
  // AWS's cross-account trust policy: this server's account may assume the role, only with
  // the customer's external ID.
  constexpr char kTrustPolicy[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
      R"("Principal":{"AWS":"arn:aws:iam::$ACCOUNT:root"},"Action":"sts:AssumeRole",)"
      R"("Condition":{"StringEquals":{"sts:ExternalId":"<EXTERNAL_ID>"}}}]})";
  const absl::Status parsed = FromJson(absl::StrReplaceAll(kTrustPolicy, {{"$ACCOUNT", account}}),
                                       config->mutable_trust_policy_template());
  if (!parsed.ok()) return parsed;
  if (gcp_service_account_email_.empty()) return response;

  v1::WebhookStorageConfigInfo* gcp = response.add_configs();
  gcp->set_storage_type(v1::WebhookStorageConfigInfo::OBJECT_STORAGE);
  gcp->set_provider(v1::GCP_GCS);
  v1::WebhookStorageSetupConfig* gcs = gcp->mutable_config();
  gcs->set_config_type(v1::WebhookStorageSetupConfig::GCP_TO_GCS_STORAGE);
  gcs->set_service_account_email(gcp_service_account_email_);
  gcs->set_required_role("roles/iam.serviceAccountTokenCreator");
  for (const std::string& step : {
           std::string("Choose a GCS bucket and a service account of yours that may create "
                       "objects in it (roles/storage.objectCreator); report files are written "
                       "under <path_prefix>/<org id>/<YYYY-MM-DD>/<event id>/<file name>."),
           absl::StrCat("Grant ", gcp_service_account_email_,
                        " roles/iam.serviceAccountTokenCreator on that service account, so "
                        "this server can act as it."),
           std::string("Set the webhook's storage_destination: storage_type GCP_GCS and "
                       "gcp_gcs_config with bucket_name, service_account_email and optionally "
                       "path_prefix."),
           std::string("Check it with POST /api/rest/2.0/system/communication-channels/"
                       "validate: the STORAGE_FILE_UPLOAD_CHECK step stores a small test file "
                       "and reports its key."),
       }) {
    gcs->add_setup_instructions(step);
  }
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookEngine>> WebhookEngine::Create(const EngineOptions& options) {
  if (options.orgs == nullptr) {
    return absl::InvalidArgumentError("EngineOptions.orgs is required");
  }
  const EngineLimits& l = options.limits;
  for (const int limit : {l.max_name_length, l.max_description_length, l.max_url_length,
                          l.max_url_params, l.max_additional_headers, l.max_key_length,
                          l.max_value_length, l.default_record_size, l.max_record_size}) {
    if (limit <= 0) return absl::InvalidArgumentError("every EngineLimits value must be positive");
  }
  auto engine = std::make_unique<EngineImpl>(options);
  RETURN_IF_ERROR(engine->Restore());
  return std::unique_ptr<WebhookEngine>(std::move(engine));
}

}  // namespace webhooks
