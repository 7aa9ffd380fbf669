#include "engine/webhook_engine.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
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
#include "engine/delivery/delivery_service.h"
#include "engine/internal/channel_preferences.h"
#include "engine/internal/org_external_ids.h"
#include "engine/internal/privileges.h"
#include "engine/internal/secret_rotation.h"
#include "engine/internal/validation.h"
#include "engine/internal/webhook_index.h"
#include "engine/internal/webhook_update.h"
#include "engine/redaction.h"

namespace webhooks {
namespace {

using engine_internal::ApplyUpdate;
using engine_internal::ChannelPreferences;
using engine_internal::CheckEventType;
using engine_internal::IsEnabled;
using engine_internal::MayActOn;
using engine_internal::RequirePreferencePrivileges;
using engine_internal::RequireWebhookPrivileges;
using engine_internal::ValidateWebhook;
using engine_internal::WebhookIndex;

// The facade: checks privileges, then plans each change against the webhook index and the
// channel preferences, and commits it through the state store (Commit). Deliveries are the
// DeliveryService's.
class EngineImpl final : public WebhookEngine {
 public:
  explicit EngineImpl(const EngineOptions& options)
      : orgs_(*options.orgs),
        own_store_(options.state_store == nullptr ? std::make_unique<NullStateStore>() : nullptr),
        store_(options.state_store != nullptr ? *options.state_store : *own_store_),
        clock_(options.clock != nullptr ? *options.clock : *SystemClock()),
        ids_(options.ids != nullptr ? *options.ids : *RandomUuidGenerator()),
        limits_(options.limits),
        delivery_options_(options.delivery) {
    if (options.delivery.transport != nullptr) {
      delivery_ = std::make_unique<engine_internal::DeliveryService>(
          options.delivery, clock_, ids_, store_,
          [this](const std::string& id) -> absl::StatusOr<v1::Webhook> {
            absl::ReaderMutexLock lock(&mu_);
            const v1::Webhook* webhook = webhooks_.FindById(id);
            if (webhook == nullptr) return absl::NotFoundError("the webhook no longer exists");
            return external_ids_.Apply(*webhook);
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
              return engine_internal::DisableFailingWebhook(webhooks_.FindById(id), NowMillis());
            });
          });
    }
  }

  ~EngineImpl() override {
    stopping_ = true;
    if (follower_.joinable()) follower_.join();
  }

  // Rebuilds the state from the store, then snapshots it so start-up stays short, and follows
  // the other engines on a shared store.
  absl::Status Restore();

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
  DeliveryStats GetDeliveryStats() const override {
    return delivery_ != nullptr ? delivery_->Stats() : DeliveryStats();
  }
  void RunDueDeliveries() override {
    if (delivery_ == nullptr) return;
    CatchUp().IgnoreError();  // Jobs other replicas queued; a failed read only delays them.
    delivery_->RunDue();
  }

 private:
  using Plan = StateStore::PlanFn;

  int64_t NowMillis() const { return absl::ToUnixMillis(clock_.Now()); }

  // Uses DeliveryOptions::storage_identity_key, or else the key kept in the state, or else
  // generates one and commits it.
  absl::Status SettleStorageKey();

  // How many unfinished deliveries one org may have: max_pending_jobs_per_org, or else an even
  // share of max_pending_jobs among the orgs of the directory, so that no org can take the room
  // of another.
  int OrgShareOfDeliveryQueue() const {
    if (delivery_options_.max_pending_jobs_per_org > 0) {
      return delivery_options_.max_pending_jobs_per_org;
    }
    const int orgs = std::max<int>(1, orgs_.List().size());
    return std::max(1, delivery_options_.max_pending_jobs / orgs);
  }

  // The one way state changes. Under the lock, once the store is known to be writable,
  // `plan` checks the change against the current state (on a shared store, after the other
  // replicas' changes, which are held off meanwhile) and returns its records; they are written,
  // then applied. Then, without the lock, waits until they are durable (concurrent commits
  // share one flush) and snapshots if the journal is long. Once the store has failed every
  // commit is kUnavailable, so memory never runs further ahead of the disk than the one change
  // that failed.
  absl::Status Commit(const Plan& plan);
  // Applies the batches that other engines sharing the store recorded since this one last
  // looked, so that what any of them acknowledged is seen here (StateStore::CatchUp). Every
  // call that reads the state calls it first (a change catches up in WritePlanned).
  absl::Status CatchUp();
  // The follower thread of an engine on a shared store: catches up whenever another engine
  // writes, so that deliveries queued elsewhere are seen (and attempted if their lease is free).
  void FollowOthers();
  void ApplyBatchLocked(const state::StateBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies one record: at run time and when the store replays.
  void ApplyLocked(const state::StateRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Snapshots if the journal is long and no snapshot is under way. Called after every change
  // made durable, deliveries' too (a publish or a validation syncs its own job): a server
  // that only delivers events must not grow its journal without end. Attempt outcomes are
  // journaled by the dispatcher with no call here; they are few per job and are snapshotted
  // with the next change.
  void SnapshotIfDue();
  absl::Status TakeSnapshot();

  const OrgDirectory& orgs_;
  std::unique_ptr<StateStore> own_store_;  // Only when EngineOptions.state_store is null.
  StateStore& store_;
  std::atomic<bool> snapshotting_{false};
  const Clock& clock_;
  IdGenerator& ids_;
  const EngineLimits limits_;
  const DeliveryOptions delivery_options_;

  mutable absl::Mutex mu_;
  WebhookIndex webhooks_ ABSL_GUARDED_BY(mu_);
  ChannelPreferences preferences_ ABSL_GUARDED_BY(mu_);
  // Each org's AWS external ID; its key is set once at start (SettleStorageKey).
  engine_internal::OrgExternalIds external_ids_ ABSL_GUARDED_BY(mu_);
  engine_internal::SecretRotations rotations_;  // Locks itself: deliveries read it without mu_.

  // Last, so it stops (and stops looking webhooks up) before the state above goes away.
  std::unique_ptr<engine_internal::DeliveryService> delivery_;
  std::atomic<bool> stopping_{false};
  std::thread follower_;  // Only on a shared store; stopped by the destructor.
};

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
    ApplyBatchLocked(planned);
  }
  RETURN_IF_ERROR(store_.Sync(sequence));
  SnapshotIfDue();
  return absl::OkStatus();
}

void EngineImpl::ApplyBatchLocked(const state::StateBatch& batch) {
  for (const state::StateRecord& record : batch.records()) ApplyLocked(record);
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

void EngineImpl::ApplyLocked(const state::StateRecord& record) {
  rotations_.Apply(record);  // It follows put_webhook and delete_webhook too.
  switch (record.change_case()) {
    case state::StateRecord::kPutWebhook:
      webhooks_.Put(record.put_webhook());
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
  std::vector<engine_internal::Job> jobs;
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
  for (const engine_internal::Job& job : jobs) *add()->mutable_put_job() = job.ToStored();
  jobs.clear();
  return store_.FinishSnapshot(snapshot, state);
}

absl::StatusOr<v1::Webhook> EngineImpl::CreateWebhook(const Principal& caller,
                                                      const v1::CreateWebhookRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "create"));
  if (caller.org.id().empty()) {
    return absl::FailedPreconditionError("the caller has no org context to create a webhook in");
  }
  ASSIGN_OR_RETURN(v1::Webhook webhook, engine_internal::WebhookFromRequest(request));
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
    if (const v1::Webhook* existing = webhooks_.FindByOrg(caller.org.id()); existing != nullptr) {
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
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "search"));
  ASSIGN_OR_RETURN(const engine_internal::SearchQuery query,
                   engine_internal::SearchQueryFromRequest(orgs_, caller, request, limits_));
  RETURN_IF_ERROR(CatchUp());
  absl::ReaderMutexLock lock(&mu_);
  return webhooks_.Search(caller, query);
}

absl::Status EngineImpl::UpdateWebhook(const Principal& caller,
                                       const v1::UpdateWebhookRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "update"));
  if (request.webhook_identifier().empty()) {
    return absl::InvalidArgumentError("webhook_identifier is required");
  }
  return Commit([&]() -> absl::StatusOr<state::StateBatch> {
    mu_.AssertHeld();
    ASSIGN_OR_RETURN(const v1::Webhook* stored,
                     webhooks_.Resolve(caller, request.webhook_identifier()));
    ASSIGN_OR_RETURN(v1::Webhook updated, ApplyUpdate(*stored, request));
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
    if (auto rotation = engine_internal::SecretRotations::Plan(
            *stored, updated, NowMillis(), delivery_options_.secret_rotation_overlap)) {
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
      absl::StatusOr<const v1::Webhook*> found =
          identifier.empty() ? absl::InvalidArgumentError("webhook identifier must not be empty")
                             : webhooks_.Resolve(caller, identifier);
      if (found.ok() && deleted.contains((*found)->id())) {
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
      *out = **found;
      RedactSecrets(out);
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
    RETURN_IF_ERROR(engine_internal::RequireClusterPrivilege(caller, "configure"));
  }
  ASSIGN_OR_RETURN(state::StateBatch batch, ChannelPreferences::PlanChange(orgs_, caller, request));
  return Commit([&batch]() -> absl::StatusOr<state::StateBatch> { return std::move(batch); });
}

absl::StatusOr<v1::SearchChannelPreferencesResponse> EngineImpl::SearchChannelPreferences(
    const Principal& caller, const v1::SearchChannelPreferencesRequest& request) {
  RETURN_IF_ERROR(RequirePreferencePrivileges(caller, "search"));
  ASSIGN_OR_RETURN(const engine_internal::PreferenceQuery query,
                   ChannelPreferences::QueryFromRequest(orgs_, caller, request));
  RETURN_IF_ERROR(CatchUp());
  absl::ReaderMutexLock lock(&mu_);
  return preferences_.Search(query);
}

absl::StatusOr<v1::PublishEventResponse> EngineImpl::PublishEvent(
    const Principal& caller, const v1::PublishEventRequest& request) {
  RETURN_IF_ERROR(engine_internal::RequirePublishPrivilege(caller));
  v1::Org org = caller.org;
  if (request.has_org_identifier()) {
    ASSIGN_OR_RETURN(org, engine_internal::ResolveOrg(orgs_, caller, "org_identifier",
                                                      request.org_identifier()));
  }
  RETURN_IF_ERROR(
      engine_internal::ValidatePublishedEvent(request, delivery_options_.max_event_file_bytes));
  if (delivery_ == nullptr) {
    return absl::FailedPreconditionError(
        "this engine has no HTTP transport (DeliveryOptions.transport), so it delivers nothing");
  }
  RETURN_IF_ERROR(CatchUp());
  v1::PublishEventResponse response;
  v1::Webhook webhook;
  {
    absl::ReaderMutexLock lock(&mu_);
    const v1::Webhook* found = webhooks_.FindByOrg(org.id());
    if (found == nullptr) {
      response.set_outcome(v1::PublishEventResponse::NO_WEBHOOK);
      response.set_reason(absl::StrCat("org '", org.name(), "' has no LIVEBOARD_SCHEDULE webhook"));
      return response;
    }
    if (!IsEnabled(*found)) {
      response.set_outcome(v1::PublishEventResponse::WEBHOOK_DISABLED);
      response.set_reason(absl::StrCat("webhook '", found->name(), "' is DISABLED"));
      return response;
    }
    if (!preferences_.WebhookChannelOn(org.id())) {
      response.set_outcome(v1::PublishEventResponse::CHANNEL_OFF);
      response.set_reason(absl::StrCat(
          "the WEBHOOK channel is not enabled for LIVEBOARD_SCHEDULE in org '", org.name(), "'"));
      return response;
    }
    webhook = external_ids_.Apply(*found);
  }
  ASSIGN_OR_RETURN(std::string job_id, delivery_->Enqueue(webhook, request.run(), request.files(),
                                                          OrgShareOfDeliveryQueue()));
  SnapshotIfDue();
  response.set_outcome(v1::PublishEventResponse::QUEUED);
  response.set_job_id(std::move(job_id));
  return response;
}

absl::StatusOr<v1::SearchChannelHistoryResponse> EngineImpl::SearchChannelHistory(
    const Principal& caller, const v1::SearchChannelHistoryRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "search the delivery history of"));
  RETURN_IF_ERROR(engine_internal::ValidateHistoryRequest(request));
  v1::SearchChannelHistoryResponse response;
  if (delivery_ == nullptr) return response;
  RETURN_IF_ERROR(CatchUp());
  const auto keep = [&](const engine_internal::JobOwner& owner, const v1::ChannelHistoryJob& job) {
    if (!MayActOn(caller, owner.org_id)) return false;
    if (!request.job_ids().empty()) return job.id() == request.job_ids(0);
    const std::string& channel = request.channel_identifiers(0);
    const v1::ChannelHistoryEventInput& event = request.events(0);
    return (owner.webhook_id == channel || owner.webhook_name == channel) &&
           (!event.has_identifier() || job.event().id() == event.identifier() ||
            job.event().name() == event.identifier()) &&
           (!request.has_channel_status() || job.status() == request.channel_status()) &&
           (!request.has_start_epoch_time_in_millis() ||
            static_cast<double>(job.creation_time_in_millis()) >=
                request.start_epoch_time_in_millis()) &&
           (!request.has_end_epoch_time_in_millis() ||
            static_cast<double>(job.creation_time_in_millis()) <
                request.end_epoch_time_in_millis());
  };
  for (v1::ChannelHistoryJob& job :
       delivery_->History(keep, static_cast<size_t>(std::max(1, limits_.max_history_jobs)))) {
    *response.add_jobs() = std::move(job);
  }
  return response;
}

absl::StatusOr<v1::ValidateCommunicationChannelResponse> EngineImpl::ValidateCommunicationChannel(
    const Principal& caller, const v1::ValidateCommunicationChannelRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "validate"));
  RETURN_IF_ERROR(engine_internal::CheckWebhookChannel(request.channel_type()));
  if (request.channel_identifier().empty()) {
    return absl::InvalidArgumentError("channel_identifier is required");
  }
  RETURN_IF_ERROR(CheckEventType("event_type", request.event_type()));
  if (delivery_ == nullptr) {
    return absl::FailedPreconditionError(
        "this engine has no HTTP transport (DeliveryOptions.transport), so it cannot validate");
  }
  RETURN_IF_ERROR(CatchUp());
  v1::Webhook webhook;
  {
    absl::ReaderMutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const v1::Webhook* found,
                     webhooks_.Resolve(caller, request.channel_identifier()));
    webhook = external_ids_.Apply(*found);
  }
  v1::ValidateCommunicationChannelResponse response = delivery_->Validate(webhook);
  SnapshotIfDue();
  return response;
}

absl::StatusOr<v1::GetStorageConfigResponse> EngineImpl::GetStorageConfig(const Principal& caller) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "read the storage setup of"));
  absl::ReaderMutexLock lock(&mu_);
  return StorageSetup(delivery_options_.aws_account_id, delivery_options_.gcp_service_account_email,
                      external_ids_.For(caller.org.id()));
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
