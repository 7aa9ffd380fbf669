#include "engine/delivery/delivery_service.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "engine/delivery/delivery_request.h"
#include "engine/base/json_codec.h"
#include "engine/cloud_storage/object_storage.h"
#include "engine/base/status_macros.h"
#include "google/protobuf/struct.pb.h"

namespace webhooks {
namespace engine_internal {
namespace {

using HistoryJob = v1::ChannelHistoryJob;

constexpr size_t kMaxDetailBody = 512;

// "HTTP 503: <the start of the body>", never more than a few hundred bytes.
std::string HttpDetail(const HttpResponse& response) {
  std::string detail = absl::StrCat("HTTP ", response.status);
  if (response.status >= 300 && response.status < 400) {
    absl::StrAppend(&detail, ": redirects are not followed");
  } else if (!response.body.empty()) {
    absl::StrAppend(&detail, ": ", response.body.substr(0, kMaxDetailBody));
  }
  return detail;
}

constexpr char kNoObjectStorage[] =
    "this server stores no report files: it was started without object storage";

std::string ContentType(const v1::EventFile& file) {
  return file.mime_type().empty() ? "application/octet-stream" : file.mime_type();
}

// A URL for messages: no query (url_params may hold keys).
std::string UrlForMessages(const std::string& url) { return url.substr(0, url.find('?')); }

v1::JobRecipient ToJobRecipient(const v1::RecipientInfo& recipient) {
  v1::JobRecipient out;
  out.set_type(recipient.type() == "USER" ? "USER" : "EXTERNAL");
  if (recipient.has_id()) out.set_id(recipient.id());
  if (recipient.has_name()) out.set_name(recipient.name());
  out.set_email(recipient.email());
  return out;
}

}  // namespace

bool MayPassOnRetry(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

AttemptOutcome ClassifyAttempt(const absl::StatusOr<HttpResponse>& result, int try_count,
                               const DeliveryOptions& options, double jitter_draw) {
  AttemptOutcome outcome;
  if (result.ok() && result->status >= 200 && result->status < 300) {
    outcome.status = HistoryJob::SUCCESS;
    return outcome;
  }
  outcome.detail = result.ok() ? HttpDetail(*result) : std::string(result.status().message());
  const bool final = (result.ok() && result->status == 410) ||
                     (!result.ok() && !MayPassOnRetry(result.status().code())) ||
                     try_count > static_cast<int>(options.retry_delays.size());
  if (final) {
    outcome.status = HistoryJob::FAILED;
    return outcome;
  }
  outcome.status = HistoryJob::RETRY;
  outcome.retry_in = options.retry_delays[try_count - 1] * (1 + options.jitter * jitter_draw);
  int retry_after = 0;
  if (result.ok() && (result->status == 429 || result->status == 503) &&
      absl::SimpleAtoi(result->Header("retry-after"), &retry_after) && retry_after >= 0) {
    outcome.retry_in = std::min(absl::Seconds(retry_after), options.max_retry_after);
  }
  return outcome;
}

DeliveryService::DeliveryService(const DeliveryOptions& options, const Clock& clock,
                                 IdGenerator& ids, StateStore& store, WebhookLookup lookup)
    : options_(options), clock_(clock), ids_(ids), store_(store), lookup_(std::move(lookup)) {
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

absl::StatusOr<std::string> DeliveryService::Enqueue(
    const v1::Webhook& webhook, const v1::LiveboardScheduleRun& run,
    const google::protobuf::RepeatedPtrField<v1::EventFile>& files) {
  const std::string event_id = NewEventId();
  const absl::Time now = clock_.Now();
  const std::string payload = ToJson(BuildPayload(run, webhook, event_id, now, options_.product));
  Job job;
  if (webhook.has_storage_destination()) {
    auto upload = std::make_shared<state::PendingUpload>();
    upload->set_payload(payload);
    *upload->mutable_files() = files;
    job.upload = std::move(upload);
  } else {
    job.boundary = NewBoundary(absl::StrReplaceAll(ids_.NewId(), {{"-", ""}}), payload, files);
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
    if (pending_ >= options_.max_pending_jobs) {
      return absl::ResourceExhaustedError(absl::StrCat("the delivery queue is full (",
                                                       options_.max_pending_jobs,
                                                       " deliveries pending); try again later"));
    }
    state::StateBatch batch;
    *batch.add_records()->mutable_put_job() = ToStored(job);
    sequence = store_.Write(batch);
    InsertLocked(std::move(job));
    wake_ = true;
    wake_cv_.Signal();
  }
  RETURN_IF_ERROR(store_.Sync(sequence));
  return event_id;
}

void DeliveryService::RunDue() {
  struct Due {
    std::string job_id, webhook_id, boundary;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const state::PendingUpload> upload;
    absl::Time created;
  };
  uint64_t unsynced;
  {
    absl::MutexLock lock(&mu_);
    unsynced = unsynced_;
  }
  store_.Sync(unsynced).IgnoreError();  // A failed store fails the next API call instead.
  std::vector<Due> due;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    Prune(now);
    while (!due_.empty() && due_.begin()->first <= now &&
           in_flight_ < options_.max_concurrent_attempts) {
      const Job& job = jobs_.at(due_.begin()->second);
      due.push_back({job.record.id(), job.owner.webhook_id, job.boundary, job.body, job.upload,
                     absl::FromUnixMillis(job.record.creation_time_in_millis())});
      due_.erase(due_.begin());
      ++in_flight_;
    }
  }
  for (Due& attempt : due) {
    const absl::StatusOr<v1::Webhook> webhook = lookup_(attempt.webhook_id);
    if (!webhook.ok()) {
      Complete(attempt.job_id, absl::FailedPreconditionError("the webhook no longer exists"));
    } else if (webhook->has_status() && webhook->status() == v1::DISABLED) {
      Complete(attempt.job_id, absl::FailedPreconditionError("the webhook is disabled"));
    } else {
      const std::string job_id = attempt.job_id;
      Done done = [this, job_id](absl::StatusOr<HttpResponse> result) { Complete(job_id, result); };
      if (attempt.upload != nullptr) {
        UploadThenAttempt(*webhook, job_id, attempt.created, std::move(attempt.upload),
                          std::move(done));
      } else {
        Attempt(*webhook, job_id, attempt.boundary, std::move(attempt.body), std::move(done));
      }
    }
  }
}

void DeliveryService::UploadThenAttempt(const v1::Webhook& webhook, const std::string& job_id,
                                        absl::Time created,
                                        std::shared_ptr<const state::PendingUpload> upload,
                                        Done done) {
  if (!webhook.has_storage_destination()) {
    // The destination was removed after the event: the files travel in the POST after all.
    AttemptWithAttachments(webhook, job_id, upload->payload(), upload->files(), std::move(done));
    return;
  }
  if (options_.storage == nullptr) {
    done(absl::FailedPreconditionError(kNoObjectStorage));
    return;
  }
  const v1::StorageDestination& destination = webhook.storage_destination();
  std::vector<StorageObject> objects;
  std::vector<std::string> keys;
  for (const v1::EventFile& file : upload->files()) {
    keys.push_back(ObjectKey(destination, webhook.org().id(), created, job_id, file.name()));
    objects.push_back({keys.back(), ContentType(file), file.content()});
  }
  options_.storage->Put(
      destination, std::move(objects),
      [this, webhook, job_id, keys = std::move(keys), upload = std::move(upload),
       done = std::move(done)](absl::StatusOr<std::vector<absl::Status>> results) mutable {
        if (!results.ok()) {
          done(results.status());
          return;
        }
        const v1::StorageDestination& destination = webhook.storage_destination();
        v1::StorageManifest manifest;
        int stored = 0;
        bool may_pass = false;
        std::string first_error;
        for (int i = 0; i < upload->files_size(); ++i) {
          const v1::EventFile& file = upload->files(i);
          const absl::Status& status = (*results)[i];
          v1::StoredFileInfo* info = manifest.add_files();
          info->set_filename(file.name());
          info->set_contenttype(ContentType(file));
          info->set_size(file.content().size());
          info->set_provider(ProviderName(destination));
          info->set_bucketname(BucketName(destination));
          info->set_region(Region(destination));
          info->set_objectkey(keys[i]);
          info->set_uploadstatus(status.ok() ? "SUCCESS" : "FAILED");
          if (status.ok()) {
            ++stored;
            continue;
          }
          info->set_errormessage(std::string(status.message()));
          may_pass = may_pass || MayPassOnRetry(status.code());
          if (first_error.empty()) first_error = std::string(status.message());
        }
        if (stored == 0 && upload->files_size() > 0) {
          const std::string detail =
              absl::StrCat("all file uploads failed (", upload->files_size(),
                           upload->files_size() == 1 ? " file" : " files", "): ", first_error);
          done(may_pass ? absl::UnavailableError(detail) : absl::FailedPreconditionError(detail));
          return;
        }
        google::protobuf::RepeatedPtrField<v1::EventFile> attachments;
        v1::EventFile* attachment = attachments.Add();
        attachment->set_name(kStorageManifestFileName);
        attachment->set_mime_type("application/json");
        attachment->set_content(ToJson(manifest));
        AttemptWithAttachments(webhook, job_id, upload->payload(), attachments, std::move(done));
      });
}

void DeliveryService::AttemptWithAttachments(
    const v1::Webhook& webhook, const std::string& job_id, const std::string& payload,
    const google::protobuf::RepeatedPtrField<v1::EventFile>& files, Done done) {
  const std::string boundary =
      NewBoundary(absl::StrReplaceAll(ids_.NewId(), {{"-", ""}}), payload, files);
  auto body = std::make_shared<const std::string>(MultipartBody(boundary, payload, files));
  {
    absl::MutexLock lock(&mu_);
    state::StateBatch batch;
    state::JobUploaded* uploaded = batch.add_records()->mutable_uploaded_job();
    uploaded->set_id(job_id);
    uploaded->set_boundary(boundary);
    uploaded->set_body(*body);
    ApplyUploadedLocked(*uploaded);
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
    SendWithToken(webhook, event_id, boundary, std::move(body), "", std::move(done));
    return;
  }
  const v1::OAuth2Authentication& oauth = webhook.authentication().oauth2();
  std::optional<std::string> cached;
  {
    absl::MutexLock lock(&mu_);
    const auto it = tokens_.find(webhook.id());
    if (it != tokens_.end() && it->second.url == oauth.authorization_url() &&
        it->second.client_id == oauth.client_id() &&
        it->second.client_secret == oauth.client_secret() && clock_.Now() < it->second.expires) {
      cached = it->second.access_token;
    }
  }
  if (cached.has_value()) {
    SendWithToken(webhook, event_id, boundary, std::move(body), *cached, std::move(done));
    return;
  }
  // RFC 6749 section 4.4: the client-credentials grant, client authenticated with Basic.
  HttpRequest request;
  request.url = oauth.authorization_url();
  request.timeout = options_.timeout;
  request.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
      {"User-Agent", options_.product.user_agent},
      {"Authorization",
       absl::StrCat("Basic ", absl::Base64Escape(
                                  absl::StrCat(oauth.client_id(), ":", oauth.client_secret())))},
  };
  request.body = "grant_type=client_credentials";
  options_.transport->Send(std::move(request), [this, webhook, event_id, boundary,
                                                body = std::move(body), done = std::move(done)](
                                                   absl::StatusOr<HttpResponse> response) mutable {
    const std::string where =
        absl::StrCat("OAuth2 token request to ",
                     UrlForMessages(webhook.authentication().oauth2().authorization_url()));
    if (!response.ok()) {
      done(absl::Status(response.status().code(),
                        absl::StrCat(where, " failed: ", response.status().message())));
      return;
    }
    google::protobuf::Struct json;
    if (response->status != 200 || !FromJson(response->body, &json).ok() ||
        json.fields().count("access_token") == 0 ||
        json.fields().at("access_token").string_value().empty()) {
      done(absl::UnavailableError(
          absl::StrCat(where, " failed: HTTP ", response->status, " without an access_token")));
      return;
    }
    const auto& fields = json.fields();
    const std::string token = fields.at("access_token").string_value();
    const auto expires_in = fields.find("expires_in");
    const absl::Duration lifetime = expires_in != fields.end()
                                        ? absl::Seconds(expires_in->second.number_value())
                                        : absl::Hours(1);
    {
      absl::MutexLock lock(&mu_);
      const v1::OAuth2Authentication& oauth = webhook.authentication().oauth2();
      // Refreshed a little early so a token never expires on its way to the receiver.
      tokens_[webhook.id()] = {oauth.authorization_url(), oauth.client_id(), oauth.client_secret(),
                               token, clock_.Now() + lifetime - absl::Seconds(30)};
    }
    SendWithToken(webhook, event_id, boundary, std::move(body), token, std::move(done));
  });
}

void DeliveryService::SendWithToken(const v1::Webhook& webhook, const std::string& event_id,
                                    const std::string& boundary,
                                    std::shared_ptr<const std::string> body,
                                    const std::string& access_token, Done done) {
  HttpRequest request;
  request.url = UrlWithParams(webhook.url(), webhook.url_params());
  request.headers = AttemptHeaders(webhook, event_id, boundary, *body, clock_.Now(),
                                   options_.product.user_agent, access_token);
  request.body = *body;
  request.timeout = options_.timeout;
  const bool oauth = webhook.authentication().has_oauth2();
  const std::string webhook_id = webhook.id();
  options_.transport->Send(std::move(request), [this, oauth, webhook_id, done = std::move(done)](
                                                   absl::StatusOr<HttpResponse> response) {
    if (oauth && response.ok() && response->status == 401) {
      absl::MutexLock lock(&mu_);
      tokens_.erase(webhook_id);  // The next attempt fetches a new token.
    }
    done(std::move(response));
  });
}

void DeliveryService::Complete(const std::string& job_id,
                               const absl::StatusOr<HttpResponse>& result) {
  absl::MutexLock lock(&mu_);
  const Job& job = jobs_.at(job_id);
  const int try_count = job.record.try_count() + 1;
  const AttemptOutcome outcome =
      ClassifyAttempt(result, try_count, options_, absl::Uniform(random_, -1.0, 1.0));
  state::StateBatch batch;
  state::JobUpdate* update = batch.add_records()->mutable_update_job();
  update->set_id(job_id);
  update->set_status(outcome.status);
  update->set_try_count(try_count);
  update->set_detail(outcome.detail);
  update->set_next_attempt_millis(absl::ToUnixMillis(clock_.Now() + outcome.retry_in));
  ApplyUpdateLocked(*update);
  // Made durable by the next RunDue (or the destructor), not here: this runs on the
  // transport's thread, which must not wait for the disk. A crash before then sends the
  // attempt again, which at-least-once delivery allows.
  unsynced_ = store_.Write(batch);
  --in_flight_;
  wake_ = true;
  wake_cv_.Signal();
  idle_cv_.SignalAll();
}

void DeliveryService::ApplyUpdateLocked(const state::JobUpdate& update) {
  const auto it = jobs_.find(update.id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  const auto unfinished = [](const Job& job) {
    return job.record.status() == HistoryJob::PENDING || job.record.status() == HistoryJob::RETRY;
  };
  const bool was_unfinished = unfinished(job);
  due_.erase({job.next_attempt, job.record.id()});
  job.record.set_status(update.status());
  job.record.set_try_count(update.try_count());
  job.record.set_detail(update.detail());
  job.next_attempt = absl::FromUnixMillis(update.next_attempt_millis());
  if (unfinished(job)) {
    due_.emplace(job.next_attempt, job.record.id());
  } else {
    job.body.reset();
    job.upload.reset();
    if (was_unfinished) --pending_;
  }
}

void DeliveryService::ApplyUploadedLocked(const state::JobUploaded& uploaded) {
  const auto it = jobs_.find(uploaded.id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  job.boundary = uploaded.boundary();
  job.body = std::make_shared<const std::string>(uploaded.body());
  job.upload.reset();
}

void DeliveryService::InsertLocked(Job job) {
  const std::string id = job.record.id();
  const absl::Time created = absl::FromUnixMillis(job.record.creation_time_in_millis());
  if (job.record.status() == HistoryJob::PENDING || job.record.status() == HistoryJob::RETRY) {
    ++pending_;
    due_.emplace(job.next_attempt, id);
  }
  by_creation_.emplace(created, id);
  jobs_.insert_or_assign(id, std::move(job));
}

state::StoredJob DeliveryService::ToStored(const Job& job) {
  state::StoredJob stored;
  *stored.mutable_record() = job.record;
  stored.set_org_id(job.owner.org_id);
  stored.set_webhook_id(job.owner.webhook_id);
  stored.set_webhook_name(job.owner.webhook_name);
  stored.set_boundary(job.boundary);
  if (job.body != nullptr) stored.set_body(*job.body);
  if (job.upload != nullptr) *stored.mutable_upload() = *job.upload;
  stored.set_next_attempt_millis(absl::ToUnixMillis(job.next_attempt));
  return stored;
}

void DeliveryService::Restore(const state::StateRecord& record) {
  absl::MutexLock lock(&mu_);
  if (record.has_update_job()) {
    ApplyUpdateLocked(record.update_job());
    return;
  }
  if (record.has_uploaded_job()) {
    ApplyUploadedLocked(record.uploaded_job());
    return;
  }
  const state::StoredJob& stored = record.put_job();
  Job job;
  job.record = stored.record();
  job.owner = {stored.org_id(), stored.webhook_id(), stored.webhook_name()};
  job.boundary = stored.boundary();
  if (!stored.body().empty()) job.body = std::make_shared<const std::string>(stored.body());
  if (stored.has_upload()) job.upload = std::make_shared<const state::PendingUpload>(stored.upload());
  job.next_attempt = absl::FromUnixMillis(stored.next_attempt_millis());
  if (const auto old = jobs_.find(job.record.id()); old != jobs_.end()) {
    // Recorded twice (the same job in a snapshot and after it): the later record wins.
    const Job& previous = old->second;
    if (previous.record.status() == HistoryJob::PENDING ||
        previous.record.status() == HistoryJob::RETRY) {
      due_.erase({previous.next_attempt, previous.record.id()});
      --pending_;
    }
    by_creation_.erase(
        {absl::FromUnixMillis(previous.record.creation_time_in_millis()), previous.record.id()});
    jobs_.erase(old);
  }
  InsertLocked(std::move(job));
  wake_ = true;
  wake_cv_.Signal();
}

void DeliveryService::CollectForSnapshot(const std::function<state::StateRecord*()>& add,
                                         const std::function<void()>& start) {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, job] : jobs_) *add()->mutable_put_job() = ToStored(job);
  start();
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
  const std::string boundary =
      NewBoundary(absl::StrReplaceAll(ids_.NewId(), {{"-", ""}}), payload, no_files);
  auto body = std::make_shared<const std::string>(MultipartBody(boundary, payload, no_files));

  absl::Notification answered;
  absl::StatusOr<HttpResponse> result;
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
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
  std::string detail;
  if (!http_ok) {
    detail = result.ok() ? HttpDetail(*result) : std::string(result.status().message());
    http->set_error_message(detail);
  }
  bool storage_ok = true;
  if (webhook.has_storage_destination()) {
    v1::ChannelValidationDetail* storage = response.add_details();
    *storage = CheckStorage(webhook, job_id, now);
    storage_ok = storage->status() == v1::ChannelValidationDetail::SUCCESS;
    if (http_ok && !storage_ok) detail = storage->error_message();
  }
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
    state::StateBatch batch;
    *batch.add_records()->mutable_put_job() = ToStored(job);
    sequence = store_.Write(batch);
    InsertLocked(std::move(job));
    --in_flight_;
    idle_cv_.SignalAll();
  }
  store_.Sync(sequence).IgnoreError();  // The answer stands even if the record is lost.
  return response;
}

v1::ChannelValidationDetail DeliveryService::CheckStorage(const v1::Webhook& webhook,
                                                          const std::string& job_id,
                                                          absl::Time now) {
  const v1::StorageDestination& destination = webhook.storage_destination();
  const std::string file_name = absl::StrCat(
      "validation_dummy_", absl::FormatTime("%Y%m%d_%H%M%S", now, absl::UTCTimeZone()), ".txt");
  const std::string key = ObjectKey(destination, webhook.org().id(), now, job_id, file_name);
  v1::ChannelValidationDetail detail;
  detail.set_validation_step(v1::ChannelValidationDetail::STORAGE_FILE_UPLOAD_CHECK);
  v1::StorageUploadInfo* info = destination.storage_type() == v1::GCP_GCS
                                    ? detail.mutable_gcp_gcs_info()
                                    : detail.mutable_aws_s3_info();
  info->set_bucket_name(BucketName(destination));
  info->set_file_name(file_name);
  info->set_object_key(key);

  absl::Status stored = absl::FailedPreconditionError(kNoObjectStorage);
  if (options_.storage != nullptr) {
    absl::Notification done;
    std::vector<StorageObject> objects = {
        {key, "text/plain",
         absl::StrCat("A test file from ", options_.product.application_name,
                      " checking that webhook ", webhook.id(), " can store report files (job ",
                      job_id, ").\n")}};
    options_.storage->Put(destination, std::move(objects),
                          [&](absl::StatusOr<std::vector<absl::Status>> results) {
                            stored = results.ok() ? results->at(0) : results.status();
                            done.Notify();
                          });
    done.WaitForNotification();
  }
  detail.set_status(stored.ok() ? v1::ChannelValidationDetail::SUCCESS
                                : v1::ChannelValidationDetail::FAILED);
  if (!stored.ok()) detail.set_error_message(std::string(stored.message()));
  return detail;
}

std::vector<v1::ChannelHistoryJob> DeliveryService::History(
    const std::function<bool(const JobOwner&, const v1::ChannelHistoryJob&)>& keep) {
  std::vector<v1::ChannelHistoryJob> found;
  absl::MutexLock lock(&mu_);
  Prune(clock_.Now());
  for (auto it = by_creation_.rbegin(); it != by_creation_.rend(); ++it) {
    const Job& job = jobs_.at(it->second);
    if (keep(job.owner, job.record)) found.push_back(job.record);
  }
  return found;
}

void DeliveryService::Prune(absl::Time now) {
  const absl::Time cutoff = now - options_.history_retention;
  for (auto it = by_creation_.begin(); it != by_creation_.end() && it->first < cutoff;) {
    const auto job = jobs_.find(it->second);
    const auto status = job->second.record.status();
    if (status == HistoryJob::PENDING || status == HistoryJob::RETRY) {
      ++it;  // Still being delivered; kept until it finishes.
      continue;
    }
    jobs_.erase(job);
    it = by_creation_.erase(it);
  }
}

void DeliveryService::DispatchLoop() {
  for (;;) {
    RunDue();
    absl::MutexLock lock(&mu_);
    if (!wake_ && !stopping_) {
      const absl::Duration wait =
          due_.empty() ? absl::Minutes(1) : due_.begin()->first - clock_.Now();
      if (wait > absl::ZeroDuration()) wake_cv_.WaitWithTimeout(&mu_, wait);
    }
    wake_ = false;
    if (stopping_) return;
  }
}

}  // namespace engine_internal
}  // namespace webhooks
