#include "engine/webhook_engine.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/release_free_memory.h"
#include "engine/base/status_macros.h"
#include "engine/cloud_storage/storage_setup.h"
#include "engine/engine_impl.h"
#include "engine/internal/privileges.h"
#include "engine/internal/validation.h"
#include "engine/internal/webhook_update.h"
#include "engine/redaction.h"

namespace webhooks {
namespace engine_internal {
EngineImpl::EngineImpl(const EngineOptions& options)
    : orgs_(*options.orgs),
      own_store_(options.state_store == nullptr ? std::make_unique<NullStateStore>() : nullptr),
      store_(options.state_store != nullptr ? *options.state_store : *own_store_),
      clock_(options.clock != nullptr ? *options.clock : *SystemClock()),
      ids_(options.ids != nullptr ? *options.ids : *RandomUuidGenerator()),
      limits_(options.limits),
      delivery_options_(options.delivery) {
  if (options.delivery.transport != nullptr) {
    delivery_ = std::make_unique<DeliveryService>(
        options.delivery, clock_, ids_, store_,
        [this](const std::string& id) -> absl::StatusOr<v1::Webhook> {
          absl::ReaderMutexLock lock(&mu_);
          std::optional<v1::Webhook> webhook = webhooks_.FindById(id);
          if (!webhook) return absl::NotFoundError("the webhook no longer exists");
          return external_ids_.Apply(webhooks_.WithSecrets(*std::move(webhook)));
        },
        [this](const std::string& id, absl::Time now) {
          return rotations_.PreviousSecret(id, absl::ToUnixMillis(now));
        },
        [this](const std::string& org_id) {
          absl::ReaderMutexLock lock(&mu_);
          return external_ids_.For(org_id);
        },
        [this](const std::string& id) {  // Every delivery failed for too long.
          return Commit([&]() -> absl::StatusOr<state::StateBatch> {
            mu_.AssertHeld();
            std::optional<v1::Webhook> stored = webhooks_.FindById(id);
            if (!stored) return DisableFailingWebhook(nullptr, NowMillis());
            const v1::Webhook webhook = webhooks_.WithSecrets(*std::move(stored));
            return DisableFailingWebhook(&webhook, NowMillis());
          });
        });
  }
}

absl::Status EngineImpl::Commit(const Plan& plan) {
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(store_.Sync(0));  // kUnavailable once the store has failed.
    state::StateBatch planned;
    ASSIGN_OR_RETURN(sequence, store_.WritePlanned(
                                   [&](const state::StateBatch& batch) {
                                     mu_.AssertHeld();
                                     ApplyBatchLocked(batch);
                                     return absl::OkStatus();
                                   },
                                   [&]() -> absl::StatusOr<state::StateBatch> {
                                     mu_.AssertHeld();
                                     ASSIGN_OR_RETURN(planned, plan());
                                     return planned;
                                   }));
    ApplyBatchLocked(std::move(planned));
  }
  RETURN_IF_ERROR(store_.Sync(sequence));
  SnapshotIfDue();
  return absl::OkStatus();
}

void EngineImpl::ApplyBatchLocked(state::StateBatch batch) {
  for (state::StateRecord& record : *batch.mutable_records()) ApplyLocked(std::move(record));
}

absl::Status EngineImpl::CatchUp() {
  if (!store_.shared()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  return store_.CatchUp([&](const state::StateBatch& batch) {
    mu_.AssertHeld();
    ApplyBatchLocked(batch);
    return absl::OkStatus();
  });
}

void EngineImpl::FollowOthers() {
  // A notification wakes it at once; without one it reads every kPollEvery waits anyway, so a
  // lost notification costs only latency.
  constexpr absl::Duration kWait = absl::Milliseconds(250);
  constexpr int kPollEvery = 8;
  for (int waits = 1; !stopping_.load(); ++waits) {
    if (store_.WaitForOthers(kWait) || waits % kPollEvery == 0) CatchUp().IgnoreError();
  }
}

void EngineImpl::ApplyLocked(state::StateRecord record) {
  rotations_.Apply(record);  // It follows put_webhook and delete_webhook too.
  switch (record.change_case()) {
    case state::StateRecord::kPutWebhook:
      webhooks_.Put(std::move(*record.mutable_put_webhook()));
      break;
    case state::StateRecord::kDeleteWebhook:
      webhooks_.Delete(record.delete_webhook());
      break;
    case state::StateRecord::kPutClusterPreference:
    case state::StateRecord::kPutOrgPreference:
    case state::StateRecord::kResetOrgPreference:
      preferences_.Apply(record);
      break;
    case state::StateRecord::kPutJob:
    case state::StateRecord::kUpdateJob:
    case state::StateRecord::kUploadedJob:
    case state::StateRecord::kRedeliverJob:
      // Jobs are the delivery service's; they reach the engine only on replay.
      if (delivery_ != nullptr) delivery_->Restore(record);
      break;
    case state::StateRecord::kStorageIdentityKey:
      external_ids_.set_key(record.storage_identity_key());
      break;
    case state::StateRecord::kSecretRotation:  // rotations_ has it.
    case state::StateRecord::CHANGE_NOT_SET:
      break;
  }
}

void EngineImpl::SnapshotIfDue() {
  if (store_.WantsSnapshot() && !snapshotting_.exchange(true)) {
    // The change itself is durable; a failed snapshot only leaves the journal longer.
    TakeSnapshot().IgnoreError();
    ReleaseFreeMemory();
    snapshotting_ = false;
  }
}

absl::Status EngineImpl::Restore() {
  bool any = false;
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(store_.Replay([&](const state::StateBatch& batch) {
      mu_.AssertHeld();
      ApplyBatchLocked(batch);
      any = true;
      return absl::OkStatus();
    }));
  }
  // Replicas that share the store snapshot as they append, not each time one starts.
  if (any && !store_.shared()) RETURN_IF_ERROR(TakeSnapshot());
  RETURN_IF_ERROR(SettleStorageKey());
  // A host that drives deliveries itself (no dispatcher) catches up through its calls.
  if (store_.shared() && delivery_options_.run_dispatcher) {
    follower_ = std::thread([this] { FollowOthers(); });
  }
  return absl::OkStatus();
}

absl::Status EngineImpl::SettleStorageKey() {
  if (!delivery_options_.storage_identity_key.empty()) {
    absl::MutexLock lock(&mu_);
    external_ids_.set_key(delivery_options_.storage_identity_key);
    return absl::OkStatus();
  }
  return Commit([&]() -> absl::StatusOr<state::StateBatch> {
    mu_.AssertHeld();
    state::StateBatch batch;
    if (external_ids_.key().empty()) batch.add_records()->set_storage_identity_key(NewServerKey());
    return batch;
  });
}

absl::Status EngineImpl::TakeSnapshot() {
  constexpr int kRecordsPerBatch = 1000;
  std::vector<state::StateBatch> state;
  const auto add = [&state]() {
    if (state.empty() || state.back().records_size() >= kRecordsPerBatch) state.emplace_back();
    return state.back().add_records();
  };
  uint64_t snapshot = 0;
  std::vector<Job> jobs;
  {
    absl::MutexLock lock(&mu_);
    webhooks_.ForEach([&](const v1::Webhook& webhook) { *add()->mutable_put_webhook() = webhook; });
    preferences_.AddToSnapshot(add);
    rotations_.AddToSnapshot(add, NowMillis());
    if (delivery_options_.storage_identity_key.empty() && !external_ids_.key().empty()) {
      add()->set_storage_identity_key(external_ids_.key());
    }
    const auto start = [&] { snapshot = store_.StartSnapshot(); };
    if (delivery_ != nullptr) {
      jobs = delivery_->CollectForSnapshot(start);
    } else {
      start();
    }
  }
  // Copying the jobs' bodies (report files) waits until no lock is held: deliveries and their
  // webhook lookups go on meanwhile.
  for (const Job& job : jobs) *add()->mutable_put_job() = job.ToStored();
  jobs.clear();
  return store_.FinishSnapshot(snapshot, state);
}

absl::StatusOr<v1::Webhook> EngineImpl::CreateWebhook(const Principal& caller,
                                                      const v1::CreateWebhookRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "create"));
  if (caller.org.id().empty()) {
    return absl::FailedPreconditionError("the caller has no org context to create a webhook in");
  }
  ASSIGN_OR_RETURN(v1::Webhook webhook, WebhookFromRequest(request));
  RETURN_IF_ERROR(ValidateWebhook(webhook, limits_));
  webhook.set_id(ids_.NewId());
  *webhook.mutable_org() = caller.org;
  const int64_t now = NowMillis();
  webhook.set_creation_time_in_millis(now);
  webhook.set_modification_time_in_millis(now);
  webhook.mutable_created_by()->set_id(caller.user_id);
  webhook.mutable_created_by()->set_name(caller.user_name);
  RETURN_IF_ERROR(Commit([&]() -> absl::StatusOr<state::StateBatch> {
    mu_.AssertHeld();
    if (!preferences_.WebhookChannelOn(caller.org.id())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the WEBHOOK communication channel is not enabled for LIVEBOARD_SCHEDULE in org '",
          caller.org.name(), "'; configure it at the cluster level or for the org first"));
    }
    if (const std::optional<v1::Webhook> existing = webhooks_.FindByOrg(caller.org.id())) {
      return absl::AlreadyExistsError(absl::StrCat(
          "org '", caller.org.name(), "' already has a LIVEBOARD_SCHEDULE webhook (id ",
          existing->id(), "); only one is allowed per org"));
    }
    RETURN_IF_ERROR(external_ids_.Settle(&webhook));
    state::StateBatch batch;
    *batch.add_records()->mutable_put_webhook() = webhook;
    return batch;
  }));
  RedactSecrets(&webhook);
  return webhook;
}

absl::StatusOr<v1::SearchWebhooksResponse> EngineImpl::SearchWebhooks(
    const Principal& caller, const v1::SearchWebhooksRequest& request) {
  v1::SearchWebhooksResponse response;
  ASSIGN_OR_RETURN(
      *response.mutable_pagination(),
      VisitSearchPage(caller, request, [&response](absl::string_view wire, absl::string_view) {
        if (!response.add_webhooks()->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
          std::abort();  // Serialized by the index.
        }
      }));
  return response;
}

absl::StatusOr<v1::Pagination> EngineImpl::VisitSearchPage(
    const Principal& caller, const v1::SearchWebhooksRequest& request,
    absl::FunctionRef<void(absl::string_view wire, absl::string_view json)> visit) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "search"));
  ASSIGN_OR_RETURN(const SearchQuery query,
                   SearchQueryFromRequest(orgs_, caller, request, limits_));
  RETURN_IF_ERROR(CatchUp());
  absl::ReaderMutexLock lock(&mu_);
  return webhooks_.Search(caller, query, visit);
}

absl::Status EngineImpl::UpdateWebhook(const Principal& caller,
                                       const v1::UpdateWebhookRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "update"));
  if (request.webhook_identifier().empty()) {
    return absl::InvalidArgumentError("webhook_identifier is required");
  }
  return Commit([&]() -> absl::StatusOr<state::StateBatch> {
    mu_.AssertHeld();
    ASSIGN_OR_RETURN(v1::Webhook found, webhooks_.Resolve(caller, request.webhook_identifier()));
    const v1::Webhook stored = webhooks_.WithSecrets(std::move(found));
    ASSIGN_OR_RETURN(v1::Webhook updated, ApplyUpdate(stored, request));
    RETURN_IF_ERROR(ValidateWebhook(updated, limits_));
    if (request.has_storage_destination()) {
      RETURN_IF_ERROR(external_ids_.Settle(&updated));
    } else {
      updated = external_ids_.Apply(std::move(updated));
    }
    updated.set_modification_time_in_millis(NowMillis());
    updated.mutable_last_modified_by()->set_id(caller.user_id);
    updated.mutable_last_modified_by()->set_name(caller.user_name);
    state::StateBatch batch;
    if (auto rotation = SecretRotations::Plan(stored, updated, NowMillis(),
                                              delivery_options_.secret_rotation_overlap)) {
      *batch.add_records()->mutable_secret_rotation() = *std::move(rotation);
    }
    *batch.add_records()->mutable_put_webhook() = std::move(updated);
    return batch;
  });
}

absl::StatusOr<v1::DeleteWebhooksResponse> EngineImpl::DeleteWebhooks(
    const Principal& caller, const v1::DeleteWebhooksRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "delete"));
  if (request.webhook_identifiers().empty()) {
    return absl::InvalidArgumentError("webhook_identifiers must contain at least one identifier.");
  }
  v1::DeleteWebhooksResponse response;
  RETURN_IF_ERROR(Commit([&]() -> absl::StatusOr<state::StateBatch> {
    mu_.AssertHeld();
    state::StateBatch batch;
    absl::flat_hash_set<std::string> deleted;  // So a repeated identifier finds nothing.
    for (const std::string& identifier : request.webhook_identifiers()) {
      absl::StatusOr<v1::Webhook> found =
          identifier.empty() ? absl::InvalidArgumentError("webhook identifier must not be empty")
                             : webhooks_.Resolve(caller, identifier);
      if (found.ok() && deleted.contains(found->id())) {
        found = absl::NotFoundError(absl::StrCat("Webhook with the specified identifier '",
                                                 identifier, "' was not found."));
      }
      if (!found.ok()) {
        v1::DeleteFailure* failure = response.add_failed_webhooks();
        failure->set_id(identifier);
        failure->set_name(identifier);
        failure->set_error(std::string(found.status().message()));
        continue;
      }
      v1::Webhook* out = response.add_deleted_webhooks();
      *out = *std::move(found);  // Stored redacted.
      deleted.insert(out->id());
      batch.add_records()->set_delete_webhook(out->id());
    }
    return batch;
  }));
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
  ASSIGN_OR_RETURN(state::StateBatch batch, ChannelPreferences::PlanChange(orgs_, caller, request));
  return Commit([&batch]() -> absl::StatusOr<state::StateBatch> { return std::move(batch); });
}

absl::StatusOr<v1::SearchChannelPreferencesResponse> EngineImpl::SearchChannelPreferences(
    const Principal& caller, const v1::SearchChannelPreferencesRequest& request) {
  RETURN_IF_ERROR(RequirePreferencePrivileges(caller, "search"));
  ASSIGN_OR_RETURN(const PreferenceQuery query,
                   ChannelPreferences::QueryFromRequest(orgs_, caller, request));
  RETURN_IF_ERROR(CatchUp());
  absl::ReaderMutexLock lock(&mu_);
  return preferences_.Search(query);
}

}  // namespace engine_internal

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
  auto engine = std::make_unique<engine_internal::EngineImpl>(options);
  RETURN_IF_ERROR(engine->Restore());
  return std::unique_ptr<WebhookEngine>(std::move(engine));
}

}  // namespace webhooks
