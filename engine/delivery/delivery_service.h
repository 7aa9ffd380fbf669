// DeliveryService: the delivery jobs of LIVEBOARD_SCHEDULE events, their attempts, retries and
// history. The engine decides whether an event is delivered (org, webhook, preferences,
// privileges); this class sends it and keeps the record. Its parts: JobTable (the jobs and
// their schedule), ClassifyAttempt (what an answer means), OAuth2Tokens, the storage upload
// steps, and delivery_request (payload, multipart body, headers).
#ifndef WEBHOOKS_ENGINE_DELIVERY_DELIVERY_SERVICE_H_
#define WEBHOOKS_ENGINE_DELIVERY_DELIVERY_SERVICE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/base/id_generator.h"
#include "engine/delivery/circuit_breaker.h"
#include "engine/delivery/delivery_options.h"
#include "engine/delivery/job_table.h"
#include "engine/delivery/oauth2_tokens.h"
#include "engine/delivery/storage_upload.h"
#include "engine/delivery/webhook_limits.h"
#include "engine/http/http_transport.h"
#include "engine/persistence/state_store.h"
#include "proto/delivery.pb.h"
#include "proto/state.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// Thread-safe.
class DeliveryService {
 public:
  // The current configuration of a webhook (secrets in clear), or kNotFound.
  using WebhookLookup = std::function<absl::StatusOr<v1::Webhook>(const std::string& id)>;
  // The signing secret that webhook `id`'s current one replaced, while it is still valid at
  // `now` (DeliveryOptions::secret_rotation_overlap); empty otherwise. Asked at each attempt.
  using PreviousSecretLookup = std::function<std::string(const std::string& id, absl::Time now)>;
  // The external ID this server issued to an org (OrgExternalId), given its id: what storage
  // uploads for that org's webhooks identify it with (ObjectStorage::Put).
  using OrgExternalIdLookup = std::function<std::string(const std::string& org_id)>;
  // Sets the webhook DISABLED, durably: every delivery to it failed for
  // disable_after_failing_for. Called by RunDue without the delivery lock; OK if it disabled
  // the webhook (counted in DeliveryStats::webhooks_disabled_by_breaker).
  using DisableWebhook = std::function<absl::Status(const std::string& id)>;

  // `transport` in `options` must not be null. Jobs are recorded in `store`.
  DeliveryService(const DeliveryOptions& options, const Clock& clock, IdGenerator& ids,
                  StateStore& store, WebhookLookup lookup, PreviousSecretLookup previous_secret,
                  OrgExternalIdLookup org_external_id, DisableWebhook disable);
  // Stops the dispatcher and waits for attempts in flight.
  ~DeliveryService();

  // Records a PENDING delivery of `run` with `files` to `webhook`, durably, and returns its
  // job id, which is also the payload's eventId. kResourceExhausted if max_pending_jobs are
  // pending, or `org_share` of the webhook's org; the store's error if the job could not be
  // recorded.
  absl::StatusOr<std::string> Enqueue(
      const v1::Webhook& webhook, const v1::LiveboardScheduleRun& run,
      const google::protobuf::RepeatedPtrField<v1::EventFile>& files, int org_share);

  // Pending jobs, attempts in flight, and the outcomes of attempts so far.
  DeliveryStats Stats();

  // Disables the webhooks that tripped the breaker (see Complete), before and after it starts
  // the attempts that are due now, up to max_concurrent_attempts in flight. A due
  // delivery whose webhook is at max_attempts_in_flight_per_webhook is parked until one of that
  // webhook's attempts ends; one out of max_attempts_per_second_per_webhook tokens is put off
  // until its token is due; either way the deliveries behind it go on. The dispatcher calls it
  // (again whenever an attempt ends); so may the host.
  void RunDue();

  // Sends a test event to `webhook` now, waits for the answer, records it in the history and
  // reports it.
  v1::ValidateCommunicationChannelResponse Validate(const v1::Webhook& webhook);

  // Job `id` as kept: its owner and history record; nullopt if it is unknown or pruned.
  std::optional<std::pair<JobOwner, v1::ChannelHistoryJob>> Describe(const std::string& id);
  // The FAILED jobs of webhook `webhook_id` created in [start, end) that can be sent again,
  // newest first.
  std::vector<std::string> RedeliverableJobs(const std::string& webhook_id, absl::Time start,
                                             absl::Time end);
  // The records that send jobs `ids` again (JobTable::ApplyRedelivery), for the engine to
  // commit. kFailedPrecondition for a job that is not FAILED or whose content is gone,
  // kResourceExhausted if the queue, or the share `org_share` of one org, has no room for
  // them all; nothing is planned then.
  absl::StatusOr<state::StateBatch> PlanRedelivery(const std::vector<std::string>& ids,
                                                   const std::string& requested_by, int org_share);

  // Applies a job record (put_job, update_job, uploaded_job, redeliver_job) replayed from the
  // store or committed by the engine. Unfinished jobs are scheduled again at their next attempt.
  void Restore(const state::StateRecord& record);

  // Calls `start` while no job can change (for StateStore::StartSnapshot) and returns every
  // kept job as it was then. The jobs share their bodies and files with the table, so this
  // holds the lock that attempts need only to copy small records; the caller makes the put_job
  // records (Job::ToStored, which copies the bodies) after.
  std::vector<Job> CollectForSnapshot(const std::function<void()>& start);

  // The newest `max_jobs` of the kept jobs that `keep` accepts, newest first.
  std::vector<v1::ChannelHistoryJob> History(
      const std::function<bool(const JobOwner&, const v1::ChannelHistoryJob&)>& keep,
      size_t max_jobs);

 private:
  using Done = std::function<void(absl::StatusOr<HttpResponse>)>;

  // Stores `upload`'s files in `webhook`'s storage destination, then POSTs the payload with the
  // manifest of where they went (or with the files themselves if the webhook no longer has a
  // destination). `done` gets the POST's result, or the upload error if no file was stored
  // (see FailStorage). `try_count` counts this attempt.
  void UploadThenAttempt(const v1::Webhook& webhook, const std::string& job_id, absl::Time created,
                         int try_count, std::shared_ptr<const state::PendingUpload> upload,
                         Done done);
  // No file of attempt `try_count` of job `job_id` was stored (`error`). If the job will be
  // tried again, calls `done` with `error`; if it fails for good, first POSTs `payload` with
  // `manifest` (which carries the error), then calls `done` with `error`.
  void FailStorage(const v1::Webhook& webhook, const std::string& job_id,
                   const std::string& payload, int try_count, absl::Status error,
                   v1::EventFile manifest, Done done);
  // Records the body of job `job_id` (its uploads are done), then sends it.
  void AttemptWithAttachments(const v1::Webhook& webhook, const std::string& job_id,
                              const std::string& payload,
                              const google::protobuf::RepeatedPtrField<v1::EventFile>& files,
                              Done done);
  // Sends `body` to `webhook` (with an OAuth2 token first when it needs one) and calls `done`
  // with the result.
  void Attempt(const v1::Webhook& webhook, const std::string& event_id, const std::string& boundary,
               std::shared_ptr<const std::string> body, Done done);
  void Send(const v1::Webhook& webhook, const std::string& event_id, const std::string& boundary,
            std::shared_ptr<const std::string> body, const std::string& access_token, Done done);
  // Records the outcome of job `job_id`'s attempt, made under lease `claim_id` (see
  // StateStore::ClaimJobs).
  // `started` is when the attempt began (for the attempt-duration figures and the breaker).
  // `sent`: false when no attempt was made because the webhook is gone or disabled, which the
  // breaker does not count. A failed attempt that trips the breaker fails the job for good,
  // with CircuitBreaker::Reason() after its detail, and queues the webhook for the next RunDue
  // to disable.
  void Complete(const std::string& job_id, const std::string& claim_id, absl::Time started,
                const absl::StatusOr<HttpResponse>& result, bool sent = true);
  // Disables (DisableWebhook, without the lock) the webhooks that tripped the breaker since the
  // last call.
  void DisableTripped() ABSL_LOCKS_EXCLUDED(mu_);
  // An attempt to webhook `webhook_id` ended (or was not made after all): frees its slots and
  // puts back on the schedule as many of the webhook's parked jobs as it has free slots.
  void EndAttemptLocked(const std::string& webhook_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `job` to the table and writes it to the store; returns the sequence to sync.
  uint64_t RecordNewLocked(Job job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A new multipart boundary that occurs in neither `payload` nor `files`.
  std::string FreshBoundary(const std::string& payload,
                            const google::protobuf::RepeatedPtrField<v1::EventFile>& files);
  void DispatchLoop();

  const DeliveryOptions options_;
  const Clock& clock_;
  IdGenerator& ids_;
  StateStore& store_;
  const WebhookLookup lookup_;
  const PreviousSecretLookup previous_secret_;
  const OrgExternalIdLookup org_external_id_;
  const DisableWebhook disable_;
  OAuth2Tokens oauth2_tokens_;
  const std::unique_ptr<CountedStorage> storage_;  // options.storage, counted; null without.

  absl::Mutex mu_;
  absl::CondVar wake_cv_;
  absl::CondVar idle_cv_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  DeliveryStats stats_ ABSL_GUARDED_BY(mu_);    // Its attempt counts; the rest is read live.
  uint64_t unsynced_ ABSL_GUARDED_BY(mu_) = 0;  // The last attempt outcome written, not synced.
  JobTable jobs_ ABSL_GUARDED_BY(mu_);
  WebhookLimits limits_ ABSL_GUARDED_BY(mu_);
  CircuitBreaker breaker_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> to_disable_ ABSL_GUARDED_BY(mu_);  // Tripped; for RunDue.
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  std::thread dispatcher_;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_DELIVERY_SERVICE_H_
