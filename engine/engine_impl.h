// EngineImpl: the WebhookEngine that WebhookEngine::Create makes. Internal to //engine:engine;
// its methods are defined in webhook_engine.cc (state, webhooks, preferences) and
// engine_deliveries.cc (publishing, history, validation, redelivery).
#ifndef WEBHOOKS_ENGINE_ENGINE_IMPL_H_
#define WEBHOOKS_ENGINE_ENGINE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/delivery/delivery_service.h"
#include "engine/internal/channel_preferences.h"
#include "engine/internal/org_external_ids.h"
#include "engine/internal/secret_rotation.h"
#include "engine/internal/webhook_index.h"
#include "engine/webhook_engine.h"

namespace webhooks {
namespace engine_internal {

// The facade: checks privileges, then plans each change against the webhook index and the
// channel preferences, and commits it through the state store (Commit). Deliveries are the
// DeliveryService's.
class EngineImpl final : public WebhookEngine {
 public:
  explicit EngineImpl(const EngineOptions& options);

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
  absl::StatusOr<v1::Pagination> VisitSearchPage(
      const Principal& caller, const v1::SearchWebhooksRequest& request,
      absl::FunctionRef<void(absl::string_view wire, absl::string_view json)> visit) override;
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
  absl::StatusOr<v1::ChannelHistoryJob> RedeliverJob(
      const Principal& caller, const v1::RedeliverJobRequest& request) override;
  absl::StatusOr<v1::ReplayFailedJobsResponse> ReplayFailedJobs(
      const Principal& caller, const v1::ReplayFailedJobsRequest& request) override;
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

  // OK if the engine has a transport; else kFailedPrecondition saying it cannot `action`.
  absl::Status RequireTransport(absl::string_view action) const;
  // Commits the redelivery of jobs `ids` of webhook `webhook_id` (DeliveryService::
  // PlanRedelivery), after checking that the webhook is still there and enabled, and returns
  // their history records as they are then.
  absl::StatusOr<std::vector<v1::ChannelHistoryJob>> Redeliver(const Principal& caller,
                                                               const std::string& webhook_id,
                                                               const std::vector<std::string>& ids);

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
  // Applies each record of `batch`, moving the webhooks out of it (a batch just planned is
  // passed with std::move, so its webhooks are not copied).
  void ApplyBatchLocked(state::StateBatch batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies one record: at run time and when the store replays.
  void ApplyLocked(state::StateRecord record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  SecretRotations rotations_;  // Locks itself: deliveries read it without mu_.

  // Last, so it stops (and stops looking webhooks up) before the state above goes away.
  std::unique_ptr<engine_internal::DeliveryService> delivery_;
  std::atomic<bool> stopping_{false};
  std::thread follower_;  // Only on a shared store; stopped by the destructor.
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_ENGINE_IMPL_H_
