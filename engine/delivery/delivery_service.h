// DeliveryService: the delivery jobs of LIVEBOARD_SCHEDULE events, their attempts, retries and
// history. The engine decides whether an event is delivered (org, webhook, preferences,
// privileges); this class sends it and keeps the record.
#ifndef WEBHOOKS_ENGINE_DELIVERY_DELIVERY_SERVICE_H_
#define WEBHOOKS_ENGINE_DELIVERY_DELIVERY_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/delivery/delivery_options.h"
#include "engine/http/http_transport.h"
#include "engine/base/id_generator.h"
#include "engine/persistence/state_store.h"
#include "proto/delivery.pb.h"
#include "proto/state.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// What one attempt's result means for its job.
struct AttemptOutcome {
  v1::ChannelHistoryJob::Status status = v1::ChannelHistoryJob::FAILED;
  std::string detail;       // "" on success; else the HTTP status or the error.
  absl::Duration retry_in;  // For RETRY: when to try again.
};

// The name of the JSON file that lists where the report files went, attached to the POST of
// a webhook with a storage destination instead of the files.
inline constexpr char kStorageManifestFileName[] = "storage-manifest.json";

// Whether an error of an attempt may pass when tried again: timeouts, connection failures,
// throttling and server errors (kUnavailable, kDeadlineExceeded, kResourceExhausted,
// kInternal, kUnknown, kAborted), not a refusal or a bad configuration.
bool MayPassOnRetry(absl::StatusCode code);

// 2xx is SUCCESS. 410 Gone, an error that MayPassOnRetry rejects (a refused destination, a
// webhook that is gone or disabled, a storage destination that refuses the files) and a last
// attempt are FAILED. Anything else (other statuses, redirects, timeouts, connection errors)
// is RETRY after
// retry_delays[try_count - 1], scaled by (1 + jitter * jitter_draw) with jitter_draw in
// [-1, 1]; a 429 or 503 with Retry-After waits that many seconds instead, up to
// max_retry_after.
AttemptOutcome ClassifyAttempt(const absl::StatusOr<HttpResponse>& result, int try_count,
                               const DeliveryOptions& options, double jitter_draw);

// Facts about a job that the engine filters history by.
struct JobOwner {
  std::string org_id;
  std::string webhook_id;
  std::string webhook_name;
};

// Thread-safe.
class DeliveryService {
 public:
  // The current configuration of a webhook (secrets in clear), or kNotFound.
  using WebhookLookup = std::function<absl::StatusOr<v1::Webhook>(const std::string& id)>;

  // `transport` in `options` must not be null. Jobs are recorded in `store`.
  DeliveryService(const DeliveryOptions& options, const Clock& clock, IdGenerator& ids,
                  StateStore& store, WebhookLookup lookup);
  // Stops the dispatcher and waits for attempts in flight.
  ~DeliveryService();

  // Records a PENDING delivery of `run` with `files` to `webhook`, durably, and returns its
  // job id, which is also the payload's eventId. kResourceExhausted if max_pending_jobs are
  // pending; the store's error if the job could not be recorded.
  absl::StatusOr<std::string> Enqueue(
      const v1::Webhook& webhook, const v1::LiveboardScheduleRun& run,
      const google::protobuf::RepeatedPtrField<v1::EventFile>& files);

  // Starts the attempts that are due now, up to max_concurrent_attempts in flight. The
  // dispatcher calls it (again whenever an attempt ends); so may the host.
  void RunDue();

  // Sends a test event to `webhook` now, waits for the answer, records it in the history and
  // reports it.
  v1::ValidateCommunicationChannelResponse Validate(const v1::Webhook& webhook);

  // Applies a put_job or update_job record replayed from the store. Unfinished jobs are
  // scheduled again at their next attempt.
  void Restore(const state::StateRecord& record);

  // Adds a put_job record for every kept job to `add()`'s records and calls `start` while no
  // job can change (for StateStore::StartSnapshot).
  void CollectForSnapshot(const std::function<state::StateRecord*()>& add,
                          const std::function<void()>& start);

  // The kept jobs that `keep` accepts, newest first.
  std::vector<v1::ChannelHistoryJob> History(
      const std::function<bool(const JobOwner&, const v1::ChannelHistoryJob&)>& keep);

 private:
  struct Job {
    v1::ChannelHistoryJob record;
    JobOwner owner;
    std::string boundary;
    std::shared_ptr<const std::string> body;  // Dropped once the job is finished.
    // Set until the files of a job for a storage destination are uploaded (body is null then).
    std::shared_ptr<const state::PendingUpload> upload;
    absl::Time next_attempt;
  };

  // Records the outcome `update` of an attempt (or of a replayed one) on its job.
  void ApplyUpdateLocked(const state::JobUpdate& update) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyUploadedLocked(const state::JobUploaded& uploaded) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `job` to the kept jobs (and to the schedule, if unfinished).
  void InsertLocked(Job job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static state::StoredJob ToStored(const Job& job);
  struct OAuthToken {
    std::string url, client_id, client_secret;
    std::string access_token;
    absl::Time expires;
  };
  using Done = std::function<void(absl::StatusOr<HttpResponse>)>;

  // Stores `upload`'s files in `webhook`'s storage destination, then POSTs the payload with the
  // manifest of where they went (or with the files themselves if the webhook no longer has a
  // destination). `done` gets the POST's result, or the upload error if every file failed.
  void UploadThenAttempt(const v1::Webhook& webhook, const std::string& job_id, absl::Time created,
                         std::shared_ptr<const state::PendingUpload> upload, Done done);
  // Records the body of job `job_id` (its uploads are done), then sends it.
  void AttemptWithAttachments(const v1::Webhook& webhook, const std::string& job_id,
                              const std::string& payload,
                              const google::protobuf::RepeatedPtrField<v1::EventFile>& files,
                              Done done);
  // The STORAGE_FILE_UPLOAD_CHECK of Validate: stores a small test file.
  v1::ChannelValidationDetail CheckStorage(const v1::Webhook& webhook, const std::string& job_id,
                                           absl::Time now);
  // Sends `body` to `webhook` (fetching an OAuth2 token first when it needs one) and calls
  // `done` with the result.
  void Attempt(const v1::Webhook& webhook, const std::string& event_id, const std::string& boundary,
               std::shared_ptr<const std::string> body, Done done);
  void SendWithToken(const v1::Webhook& webhook, const std::string& event_id,
                     const std::string& boundary, std::shared_ptr<const std::string> body,
                     const std::string& access_token, Done done);
  void Complete(const std::string& job_id, const absl::StatusOr<HttpResponse>& result);
  void Prune(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DispatchLoop();
  std::string NewEventId() { return absl::StrCat("n.", ids_.NewId()); }

  const DeliveryOptions options_;
  const Clock& clock_;
  IdGenerator& ids_;
  StateStore& store_;
  const WebhookLookup lookup_;

  absl::Mutex mu_;
  absl::CondVar wake_cv_;
  absl::CondVar idle_cv_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unsynced_ ABSL_GUARDED_BY(mu_) = 0;  // The last attempt outcome written, not synced.
  // Every kept job (finished ones for history_retention). A node map, so that memory follows
  // the jobs kept: a Job is about 300 bytes, and a flat map keeps that much in every slot of a
  // table that doubles as the history grows and never shrinks (up to about twice the slots of
  // the busiest retention window's jobs).
  absl::node_hash_map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  absl::btree_set<std::pair<absl::Time, std::string>> due_ ABSL_GUARDED_BY(mu_);
  absl::btree_set<std::pair<absl::Time, std::string>> by_creation_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, OAuthToken> tokens_ ABSL_GUARDED_BY(mu_);  // By webhook id.
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
  std::thread dispatcher_;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_DELIVERY_SERVICE_H_
