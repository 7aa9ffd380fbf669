#include "engine/delivery/delivery_service.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "engine/base/json_codec.h"
#include "engine/base/status_macros.h"
#include "engine/base/utf8.h"
#include "engine/delivery/attempt_outcome.h"
#include "engine/delivery/delivery_request.h"
#include "engine/delivery/storage_upload.h"

namespace webhooks {
namespace engine_internal {
namespace {

// When to ask again for a job's lease after the store could not be asked.
constexpr absl::Duration kClaimRetry = absl::Seconds(5);

using HistoryJob = v1::ChannelHistoryJob;

v1::JobRecipient ToJobRecipient(const v1::RecipientInfo& recipient) {
  v1::JobRecipient out;
  out.set_type(recipient.type() == "USER" ? "USER" : "EXTERNAL");
  if (recipient.has_id()) out.set_id(recipient.id());
  if (recipient.has_name()) out.set_name(recipient.name());
  out.set_email(recipient.email());
  return out;
}

}  // namespace

DeliveryService::DeliveryService(const DeliveryOptions& options, const Clock& clock,
                                 IdGenerator& ids, StateStore& store, WebhookLookup lookup,
                                 PreviousSecretLookup previous_secret,
                                 OrgExternalIdLookup org_external_id, DisableWebhook disable)
    : options_(options),
      clock_(clock),
      ids_(ids),
      store_(store),
      lookup_(std::move(lookup)),
      previous_secret_(std::move(previous_secret)),
      org_external_id_(std::move(org_external_id)),
      disable_(std::move(disable)),
      oauth2_tokens_(*options.transport, clock, options.timeout, options.product.user_agent),
      storage_(options.storage != nullptr ? std::make_unique<CountedStorage>(*options.storage)
                                          : nullptr),
      jobs_(static_cast<size_t>(std::max(1, options.max_finished_jobs_per_org)),
            std::max<int64_t>(0, options.max_failed_content_bytes)),
      limits_(options.max_attempts_in_flight_per_webhook,
              options.max_attempts_per_second_per_webhook),
      breaker_(options.disable_after_failing_for) {
  if (options_.run_dispatcher) dispatcher_ = std::thread([this] { DispatchLoop(); });
}

DeliveryService::~DeliveryService() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_cv_.SignalAll();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
  uint64_t unsynced;
  {
    absl::MutexLock lock(&mu_);
    while (in_flight_ > 0) idle_cv_.Wait(&mu_);
    unsynced = unsynced_;
  }
  store_.Sync(unsynced).IgnoreError();
}

std::string DeliveryService::FreshBoundary(
    const std::string& payload, const google::protobuf::RepeatedPtrField<v1::EventFile>& files) {
  return NewBoundary(absl::StrReplaceAll(ids_.NewId(), {{"-", ""}}), payload, files);
}

uint64_t DeliveryService::RecordNewLocked(Job job) {
  state::StateBatch batch;
  *batch.add_records()->mutable_put_job() = job.ToStored();
  const uint64_t sequence = store_.Write(batch);
  jobs_.Insert(std::move(job));
  return sequence;
}

absl::StatusOr<std::string> DeliveryService::Enqueue(
    const v1::Webhook& webhook, const v1::LiveboardScheduleRun& run,
    const google::protobuf::RepeatedPtrField<v1::EventFile>& files, int org_share) {
  const std::string event_id = absl::StrCat("n.", ids_.NewId());
  const absl::Time now = clock_.Now();
  const std::string payload = ToJson(BuildPayload(run, webhook, event_id, now, options_.product));
  Job job;
  if (webhook.has_storage_destination()) {
    auto upload = std::make_shared<state::PendingUpload>();
    upload->set_payload(payload);
    *upload->mutable_files() = files;
    job.upload = std::move(upload);
  } else {
    job.boundary = FreshBoundary(payload, files);
    job.body = std::make_shared<const std::string>(MultipartBody(job.boundary, payload, files));
  }
  job.owner = {webhook.org().id(), webhook.id(), webhook.name()};
  job.next_attempt = absl::FromUnixMillis(absl::ToUnixMillis(now));
  v1::ChannelHistoryJob& record = job.record;
  record.set_id(event_id);
  record.set_status(HistoryJob::PENDING);
  record.set_creation_time_in_millis(absl::ToUnixMillis(now));
  v1::ChannelHistoryEvent* event = record.mutable_event();
  event->set_type(v1::LIVEBOARD_SCHEDULE);
  event->set_id(run.schedule().scheduleid());
  event->set_name(run.schedule().name());
  if (!run.run_id().empty()) event->set_run_id(run.run_id());
  for (const v1::RecipientInfo& recipient : run.recipients()) {
    *record.add_recipients() = ToJobRecipient(recipient);
  }
  record.set_detail("");
  record.set_try_count(0);

  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    if (jobs_.pending() >= options_.max_pending_jobs) {
      return absl::ResourceExhaustedError(absl::StrCat("the delivery queue is full (",
                                                       options_.max_pending_jobs,
                                                       " deliveries pending); try again later"));
    }
    if (jobs_.pending_of_org(webhook.org().id()) >= org_share) {
      return absl::ResourceExhaustedError(
          absl::StrCat("org '", webhook.org().name(), "' has its share of the delivery queue (",
                       org_share, " deliveries pending); try again later"));
    }
    sequence = RecordNewLocked(std::move(job));
    wake_ = true;
    wake_cv_.Signal();
  }
  RETURN_IF_ERROR(store_.Sync(sequence));
  return event_id;
}

void DeliveryService::RunDue() {
  uint64_t unsynced;
  {
    absl::MutexLock lock(&mu_);
    unsynced = unsynced_;
  }
  store_.Sync(unsynced).IgnoreError();  // A failed store fails the next API call instead.
  DisableTripped();
  struct Due {  // What an attempt needs of its job, copied out of the table.
    std::string job_id, webhook_id, boundary;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const state::PendingUpload> upload;
    absl::Time created;
    int try_count;  // Of the attempt to make.
  };
  std::vector<Due> due;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    jobs_.Prune(now - options_.history_retention);
    while (in_flight_ < options_.max_concurrent_attempts) {
      const Job* job = jobs_.PopDue(now);
      if (job == nullptr) break;
      const WebhookLimits::Admission admission = limits_.TryStart(job->owner.webhook_id, now);
      if (admission.verdict == WebhookLimits::Verdict::kAtInFlightCap) {
        jobs_.Park(job->record.id());  // Back when one of its webhook's attempts ends.
        ++stats_.deferred_in_flight_limit;
        continue;
      }
      if (admission.verdict == WebhookLimits::Verdict::kOutOfTokens) {
        jobs_.Defer(job->record.id(), admission.retry_at);
        ++stats_.deferred_rate_limit;
        continue;
      }
      due.push_back({job->record.id(), job->owner.webhook_id, job->boundary, job->body, job->upload,
                     absl::FromUnixMillis(job->record.creation_time_in_millis()),
                     job->record.try_count() + 1});
      ++in_flight_;
    }
  }
  if (due.empty()) return;
  // With replicas on one store, only the holder of a job's lease attempts it.
  std::vector<std::string> due_ids;
  for (const Due& attempt : due) due_ids.push_back(attempt.job_id);
  const absl::StatusOr<std::vector<StateStore::JobClaim>> claims =
      store_.ClaimJobs(due_ids, clock_.Now());
  for (size_t i = 0; i < due.size(); ++i) {
    Due& attempt = due[i];
    const std::string& job_id = attempt.job_id;
    if (!claims.ok() || !(*claims)[i].claimed) {
      absl::MutexLock lock(&mu_);
      jobs_.Defer(job_id, claims.ok() ? (*claims)[i].retry_at : clock_.Now() + kClaimRetry);
      EndAttemptLocked(attempt.webhook_id);
      continue;
    }
    const std::string& claim_id = (*claims)[i].claim_id;
    const absl::Time started = clock_.Now();
    const absl::StatusOr<v1::Webhook> webhook = lookup_(attempt.webhook_id);
    if (!webhook.ok()) {
      Complete(job_id, claim_id, started,
               absl::FailedPreconditionError("the webhook no longer exists"), /*sent=*/false);
    } else if (webhook->has_status() && webhook->status() == v1::DISABLED) {
      Complete(job_id, claim_id, started, absl::FailedPreconditionError("the webhook is disabled"),
               /*sent=*/false);
    } else {
      Done done = [this, job_id, claim_id, started](absl::StatusOr<HttpResponse> result) {
        Complete(job_id, claim_id, started, result);
      };
      if (attempt.upload != nullptr) {
        UploadThenAttempt(*webhook, job_id, attempt.created, attempt.try_count,
                          std::move(attempt.upload), std::move(done));
      } else {
        Attempt(*webhook, job_id, attempt.boundary, std::move(attempt.body), std::move(done));
      }
    }
  }
  // Outcomes of attempts that ended already (a transport that answers at once) are stored
  // now, so that other replicas see them by the time this returns.
  {
    absl::MutexLock lock(&mu_);
    unsynced = unsynced_;
  }
  store_.Sync(unsynced).IgnoreError();
  DisableTripped();
}

void DeliveryService::DisableTripped() {
  std::vector<std::string> to_disable;
  {
    absl::MutexLock lock(&mu_);
    to_disable.swap(to_disable_);
  }
  for (const std::string& webhook_id : to_disable) {
    // Not OK: gone, disabled already, or the store failed (then it stays enabled until it has
    // failed for disable_after_failing_for again).
    if (!disable_(webhook_id).ok()) continue;
    absl::MutexLock lock(&mu_);
    ++stats_.webhooks_disabled_by_breaker;
  }
}

void DeliveryService::UploadThenAttempt(const v1::Webhook& webhook, const std::string& job_id,
                                        absl::Time created, int try_count,
                                        std::shared_ptr<const state::PendingUpload> upload,
                                        Done done) {
  if (!webhook.has_storage_destination()) {
    // The destination was removed after the event: the files travel in the POST after all.
    AttemptWithAttachments(webhook, job_id, upload->payload(), upload->files(), std::move(done));
    return;
  }
  if (storage_ == nullptr) {
    const absl::Status error = absl::FailedPreconditionError(kNoObjectStorage);
    FailStorage(webhook, job_id, upload->payload(), try_count, error, FailedUploadManifest(error),
                std::move(done));
    return;
  }
  std::vector<StorageObject> objects = UploadObjects(webhook, job_id, created, upload->files());
  std::vector<std::string> keys;  // The manifest lists where each file went.
  for (const StorageObject& object : objects) keys.push_back(object.key);
  storage_->Put(
      webhook.storage_destination(), org_external_id_(webhook.org().id()), std::move(objects),
      [this, webhook, job_id, try_count, keys = std::move(keys), upload = std::move(upload),
       done = std::move(done)](absl::StatusOr<std::vector<absl::Status>> results) mutable {
        if (!results.ok()) {
          FailStorage(webhook, job_id, upload->payload(), try_count, results.status(),
                      FailedUploadManifest(results.status()), std::move(done));
          return;
        }
        UploadReport report =
            StorageManifest(webhook.storage_destination(), upload->files(), keys, *results);
        if (!report.error.ok()) {
          FailStorage(webhook, job_id, upload->payload(), try_count, report.error,
                      std::move(report.manifest), std::move(done));
          return;
        }
        google::protobuf::RepeatedPtrField<v1::EventFile> attachments;
        *attachments.Add() = std::move(report.manifest);
        AttemptWithAttachments(webhook, job_id, upload->payload(), attachments, std::move(done));
      });
}

void DeliveryService::FailStorage(const v1::Webhook& webhook, const std::string& job_id,
                                  const std::string& payload, int try_count, absl::Status error,
                                  v1::EventFile manifest, Done done) {
  if (ClassifyAttempt(error, try_count, options_, /*jitter_draw=*/0).status != HistoryJob::FAILED) {
    done(std::move(error));  // Tried again later; the receiver hears of the final outcome only.
    return;
  }
  // The job fails for good. As ThoughtSpot does, the receiver still gets the payload with the
  // manifest, whose `error` says why no file was stored; the job's outcome is the upload error,
  // whatever the POST answers.
  google::protobuf::RepeatedPtrField<v1::EventFile> attachments;
  *attachments.Add() = std::move(manifest);
  const std::string boundary = FreshBoundary(payload, attachments);
  auto body = std::make_shared<const std::string>(MultipartBody(boundary, payload, attachments));
  Attempt(webhook, job_id, boundary, std::move(body),
          [error = std::move(error), done = std::move(done)](absl::StatusOr<HttpResponse>) {
            done(error);
          });
}

void DeliveryService::AttemptWithAttachments(
    const v1::Webhook& webhook, const std::string& job_id, const std::string& payload,
    const google::protobuf::RepeatedPtrField<v1::EventFile>& files, Done done) {
  const std::string boundary = FreshBoundary(payload, files);
  auto body = std::make_shared<const std::string>(MultipartBody(boundary, payload, files));
  {
    absl::MutexLock lock(&mu_);
    state::StateBatch batch;
    state::JobUploaded* uploaded = batch.add_records()->mutable_uploaded_job();
    uploaded->set_id(job_id);
    uploaded->set_boundary(boundary);
    uploaded->set_body(*body);
    jobs_.ApplyUploaded(*uploaded);
    // Made durable with the attempt's outcome (see Complete); a crash before then uploads
    // the files again under the same keys.
    unsynced_ = store_.Write(batch);
  }
  Attempt(webhook, job_id, boundary, std::move(body), std::move(done));
}

void DeliveryService::Attempt(const v1::Webhook& webhook, const std::string& event_id,
                              const std::string& boundary, std::shared_ptr<const std::string> body,
                              Done done) {
  if (!webhook.authentication().has_oauth2()) {
    Send(webhook, event_id, boundary, std::move(body), "", std::move(done));
    return;
  }
  oauth2_tokens_.Get(webhook.authentication().oauth2(),
                     [this, webhook, event_id, boundary, body = std::move(body),
                      done = std::move(done)](absl::StatusOr<std::string> token) mutable {
                       if (!token.ok()) {
                         done(token.status());
                         return;
                       }
                       Send(webhook, event_id, boundary, std::move(body), *token, std::move(done));
                     });
}

void DeliveryService::Send(const v1::Webhook& webhook, const std::string& event_id,
                           const std::string& boundary, std::shared_ptr<const std::string> body,
                           const std::string& access_token, Done done) {
  HttpRequest request;
  request.url = UrlWithParams(webhook.url(), webhook.url_params());
  const absl::Time now = clock_.Now();
  request.headers =
      AttemptHeaders(webhook, event_id, boundary, *body, now, options_.product.user_agent,
                     access_token, previous_secret_(webhook.id(), now));
  request.body = *body;
  request.timeout = options_.timeout;
  std::optional<v1::OAuth2Authentication> oauth;
  if (webhook.authentication().has_oauth2()) oauth = webhook.authentication().oauth2();
  options_.transport->Send(
      std::move(request), [this, oauth = std::move(oauth), access_token,
                           done = std::move(done)](absl::StatusOr<HttpResponse> response) {
        if (oauth.has_value() && response.ok() && response->status == 401) {
          oauth2_tokens_.Refused(*oauth, access_token);  // The next attempt fetches a new token.
        }
        done(std::move(response));
      });
}

void DeliveryService::Complete(const std::string& job_id, const std::string& claim_id,
                               absl::Time started, const absl::StatusOr<HttpResponse>& result,
                               bool sent) {
  std::optional<DeliveryOptions::FailedAttempt> failed;  // Told after the lock is released.
  {
    const double seconds = absl::ToDoubleSeconds(clock_.Now() - started);
    absl::MutexLock lock(&mu_);
    stats_.attempt_seconds_sum += seconds;
    for (size_t i = 0; i < std::size(DeliveryStats::kAttemptSecondsBounds); ++i) {
      if (seconds <= DeliveryStats::kAttemptSecondsBounds[i]) {
        ++stats_.attempt_seconds_buckets[i];
        break;
      }
    }
    const Job& job = *jobs_.Find(job_id);
    const std::string webhook_id = job.owner.webhook_id;
    const std::string org_id = job.owner.org_id;
    const int try_count = job.record.try_count() + 1;
    AttemptOutcome outcome =
        ClassifyAttempt(result, try_count, options_, absl::Uniform(random_, -1.0, 1.0));
    if (!job.redelivered_by.empty()) {  // Exactly one more attempt, noted in the history.
      if (outcome.status == HistoryJob::RETRY) outcome.status = HistoryJob::FAILED;
      outcome.retry_in = absl::ZeroDuration();
      const std::string note = RedeliveryNote(job.redelivered_by);
      outcome.detail = outcome.detail.empty() ? note : absl::StrCat(outcome.detail, "; ", note);
    }
    bool tripped = false;
    if (!sent) {
      breaker_.Forget(webhook_id);  // Enabled again, it starts afresh.
    } else if (breaker_.Record(webhook_id, outcome.status == HistoryJob::SUCCESS, started)) {
      tripped = true;
      // Its next attempt would fail anyway, and overwrite the reason in the history.
      outcome.status = HistoryJob::FAILED;
      outcome.detail += breaker_.Reason();
      outcome.retry_in = absl::ZeroDuration();
      to_disable_.push_back(webhook_id);  // For RunDue, which commits without the lock.
    }
    state::StateBatch batch;
    state::JobUpdate* update = batch.add_records()->mutable_update_job();
    update->set_id(job_id);
    update->set_status(outcome.status);
    update->set_try_count(try_count);
    update->set_detail(outcome.detail);
    update->set_next_attempt_millis(absl::ToUnixMillis(clock_.Now() + outcome.retry_in));
    update->set_claim_id(claim_id);
    jobs_.ApplyUpdate(*update);
    ++(outcome.status == HistoryJob::SUCCESS ? stats_.attempts_succeeded
       : outcome.status == HistoryJob::RETRY ? stats_.attempts_retried
                                             : stats_.attempts_failed);
    // Made durable by the next RunDue (or the destructor), not here: this runs on the
    // transport's thread, which must not wait for the disk. A crash before then sends the
    // attempt again, which at-least-once delivery allows.
    unsynced_ = store_.Write(batch);
    EndAttemptLocked(webhook_id);
    wake_ = true;  // A slot is free.
    wake_cv_.Signal();
    if (outcome.status != HistoryJob::SUCCESS) {
      failed.emplace();
      failed->org_id = org_id;
      failed->webhook_id = webhook_id;
      failed->job_id = job_id;
      failed->try_count = try_count;
      failed->final = outcome.status == HistoryJob::FAILED;
      // An answer's detail quotes the receiver's body: only its status is told.
      failed->detail = result.ok()
                           ? absl::StrCat("HTTP ", result->status, tripped ? breaker_.Reason() : "")
                           : outcome.detail;
    }
  }
  if (failed.has_value() && options_.on_failed_attempt != nullptr) {
    options_.on_failed_attempt(*failed);
  }
}

void DeliveryService::EndAttemptLocked(const std::string& webhook_id) {
  --in_flight_;
  idle_cv_.SignalAll();
  // As many as the webhook may start now, one per free slot, so that a parked job whose turn
  // came but which then went elsewhere (another replica finished it) does not strand the others.
  if (jobs_.Unpark(webhook_id, limits_.End(webhook_id, clock_.Now())) > 0) {
    wake_ = true;
    wake_cv_.Signal();
  }
}

DeliveryStats DeliveryService::Stats() {
  absl::MutexLock lock(&mu_);
  DeliveryStats stats = stats_;
  stats.pending = jobs_.pending();
  stats.in_flight = in_flight_;
  if (const std::optional<absl::Time> oldest = jobs_.OldestPendingCreation()) {
    stats.oldest_pending_age = std::max(absl::ZeroDuration(), clock_.Now() - *oldest);
  }
  if (storage_ != nullptr) {
    stats.aws_s3_uploads = {storage_->Count(v1::AWS_S3, true), storage_->Count(v1::AWS_S3, false)};
    stats.gcp_gcs_uploads = {storage_->Count(v1::GCP_GCS, true),
                             storage_->Count(v1::GCP_GCS, false)};
  }
  stats.oauth2_fetches_succeeded = oauth2_tokens_.Fetches(true);
  stats.oauth2_fetches_failed = oauth2_tokens_.Fetches(false);
  return stats;
}

void DeliveryService::Restore(const state::StateRecord& record) {
  absl::MutexLock lock(&mu_);
  jobs_.Apply(record);
  wake_ = true;
  wake_cv_.Signal();
}

std::vector<Job> DeliveryService::CollectForSnapshot(const std::function<void()>& start) {
  std::vector<Job> jobs;
  absl::MutexLock lock(&mu_);
  jobs_.ForEach([&](const Job& job) { jobs.push_back(job); });
  start();
  return jobs;
}

v1::ValidateCommunicationChannelResponse DeliveryService::Validate(const v1::Webhook& webhook) {
  const std::string job_id = absl::StrCat("n.validation-", ids_.NewId());
  const absl::Time now = clock_.Now();
  v1::LiveboardScheduleRun run;
  run.mutable_schedule()->set_scheduleid(absl::StrCat("validation-", webhook.id()));
  run.mutable_schedule()->set_name("Webhook validation");
  run.set_liveboard_id("validation");
  run.set_liveboard_name("Webhook validation test event");
  const google::protobuf::RepeatedPtrField<v1::EventFile> no_files;
  const std::string payload = ToJson(BuildPayload(run, webhook, job_id, now, options_.product));
  const std::string boundary = FreshBoundary(payload, no_files);
  auto body = std::make_shared<const std::string>(MultipartBody(boundary, payload, no_files));

  absl::Notification answered;
  absl::StatusOr<HttpResponse> result;
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
    limits_.StartAnyway(webhook.id(), now);  // Interactive: counted, never refused.
  }
  Attempt(webhook, job_id, boundary, body, [&](absl::StatusOr<HttpResponse> response) {
    result = std::move(response);
    answered.Notify();
  });
  answered.WaitForNotification();

  v1::ValidateCommunicationChannelResponse response;
  response.set_channel_type(v1::WEBHOOK);
  response.set_channel_id(webhook.id());
  response.set_channel_name(webhook.name());
  response.set_event_type(v1::LIVEBOARD_SCHEDULE);
  response.set_job_id(job_id);
  v1::ChannelValidationDetail* http = response.add_details();
  http->set_validation_step(v1::ChannelValidationDetail::HTTP_CONNECTION_CHECK);
  const bool http_ok = result.ok() && result->status >= 200 && result->status < 300;
  http->set_status(http_ok ? v1::ChannelValidationDetail::SUCCESS
                           : v1::ChannelValidationDetail::FAILED);
  if (result.ok()) http->set_http_status(result->status);
  std::vector<std::string> failures;  // The history detail: each failed step.
  if (!http_ok) {
    http->set_error_message(result.ok() ? HttpDetail(*result)
                                        : ToValidUtf8(result.status().message()));
    failures.push_back(ValidationHistoryDetail(*http));
  }
  bool storage_ok = true;
  if (webhook.has_storage_destination()) {
    v1::ChannelValidationDetail* storage = response.add_details();
    *storage = CheckStorageUpload(storage_.get(), webhook, org_external_id_(webhook.org().id()),
                                  job_id, now);
    storage_ok = storage->status() == v1::ChannelValidationDetail::SUCCESS;
    if (!storage_ok) failures.push_back(ValidationHistoryDetail(*storage));
  }
  const std::string detail = absl::StrJoin(failures, "; ");
  response.set_result_code(!http_ok ? v1::ValidateCommunicationChannelResponse::FAILED
                           : storage_ok
                               ? v1::ValidateCommunicationChannelResponse::SUCCESS
                               : v1::ValidateCommunicationChannelResponse::PARTIAL_SUCCESS);

  Job job;
  job.owner = {webhook.org().id(), webhook.id(), webhook.name()};
  job.record.set_id(job_id);
  job.record.set_status(http_ok && storage_ok ? HistoryJob::SUCCESS : HistoryJob::FAILED);
  job.record.set_creation_time_in_millis(absl::ToUnixMillis(now));
  job.record.mutable_event()->set_type(v1::LIVEBOARD_SCHEDULE);
  job.record.mutable_event()->set_id(absl::StrCat("validation-", webhook.id()));
  job.record.set_detail(detail);
  job.record.set_try_count(1);
  uint64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    sequence = RecordNewLocked(std::move(job));
    EndAttemptLocked(webhook.id());
  }
  store_.Sync(sequence).IgnoreError();  // The answer stands even if the record is lost.
  return response;
}

std::vector<v1::ChannelHistoryJob> DeliveryService::History(
    const std::function<bool(const JobOwner&, const v1::ChannelHistoryJob&)>& keep,
    size_t max_jobs) {
  absl::MutexLock lock(&mu_);
  jobs_.Prune(clock_.Now() - options_.history_retention);
  return jobs_.History(keep, max_jobs);
}

void DeliveryService::DispatchLoop() {
  for (;;) {
    RunDue();
    absl::MutexLock lock(&mu_);
    if (!wake_ && !stopping_) {
      const std::optional<absl::Time> next = jobs_.NextDue();
      const absl::Duration wait = next.has_value() ? *next - clock_.Now() : absl::Minutes(1);
      if (wait > absl::ZeroDuration()) wake_cv_.WaitWithTimeout(&mu_, wait);
    }
    wake_ = false;
    if (stopping_) return;
  }
}

}  // namespace engine_internal
}  // namespace webhooks
