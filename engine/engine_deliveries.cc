// EngineImpl's delivery side: publishing, history, validation, storage setup and redelivery.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/cloud_storage/storage_setup.h"
#include "engine/engine_impl.h"
#include "engine/internal/privileges.h"
#include "engine/internal/validation.h"

namespace webhooks {
namespace engine_internal {

absl::Status EngineImpl::RequireTransport(absl::string_view action) const {
  if (delivery_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "this engine has no HTTP transport (DeliveryOptions.transport), so it cannot ", action));
}

absl::StatusOr<v1::PublishEventResponse> EngineImpl::PublishEvent(
    const Principal& caller, const v1::PublishEventRequest& request) {
  RETURN_IF_ERROR(RequirePublishPrivilege(caller));
  v1::Org org = caller.org;
  if (request.has_org_identifier()) {
    ASSIGN_OR_RETURN(org, ResolveOrg(orgs_, caller, "org_identifier", request.org_identifier()));
  }
  RETURN_IF_ERROR(ValidatePublishedEvent(request, delivery_options_.max_event_file_bytes));
  RETURN_IF_ERROR(RequireTransport("deliver events"));
  RETURN_IF_ERROR(CatchUp());
  v1::PublishEventResponse response;
  v1::Webhook webhook;
  {
    absl::ReaderMutexLock lock(&mu_);
    std::optional<v1::Webhook> found = webhooks_.FindByOrg(org.id());
    if (!found) {
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
    webhook = external_ids_.Apply(webhooks_.WithSecrets(*std::move(found)));
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
  RETURN_IF_ERROR(ValidateHistoryRequest(request));
  v1::SearchChannelHistoryResponse response;
  if (delivery_ == nullptr) return response;
  RETURN_IF_ERROR(CatchUp());
  const auto keep = [&](const JobOwner& owner, const v1::ChannelHistoryJob& job) {
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
  RETURN_IF_ERROR(CheckWebhookChannel(request.channel_type()));
  if (request.channel_identifier().empty()) {
    return absl::InvalidArgumentError("channel_identifier is required");
  }
  RETURN_IF_ERROR(CheckEventType("event_type", request.event_type()));
  RETURN_IF_ERROR(RequireTransport("validate"));
  RETURN_IF_ERROR(CatchUp());
  v1::Webhook webhook;
  {
    absl::ReaderMutexLock lock(&mu_);
    ASSIGN_OR_RETURN(v1::Webhook found, webhooks_.Resolve(caller, request.channel_identifier()));
    webhook = external_ids_.Apply(webhooks_.WithSecrets(std::move(found)));
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

absl::StatusOr<std::vector<v1::ChannelHistoryJob>> EngineImpl::Redeliver(
    const Principal& caller, const std::string& webhook_id, const std::vector<std::string>& ids) {
  RETURN_IF_ERROR(Commit([&]() -> absl::StatusOr<state::StateBatch> {
    mu_.AssertHeld();
    const std::optional<v1::Webhook> webhook = webhooks_.FindById(webhook_id);
    if (!webhook) {
      return absl::FailedPreconditionError(
          "the delivery's webhook no longer exists, so it cannot be redelivered");
    }
    if (!IsEnabled(*webhook)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "webhook '", webhook->name(), "' is DISABLED; enable it before redelivering"));
    }
    return delivery_->PlanRedelivery(ids, caller.user_name, OrgShareOfDeliveryQueue());
  }));
  std::vector<v1::ChannelHistoryJob> records;
  for (const std::string& id : ids) {
    if (auto job = delivery_->Describe(id)) records.push_back(std::move(job->second));
  }
  return records;
}

absl::StatusOr<v1::ChannelHistoryJob> EngineImpl::RedeliverJob(
    const Principal& caller, const v1::RedeliverJobRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "redeliver the deliveries of"));
  if (request.job_id().empty()) return absl::InvalidArgumentError("job_id is required");
  RETURN_IF_ERROR(RequireTransport("redeliver"));
  RETURN_IF_ERROR(CatchUp());
  const auto job = delivery_->Describe(request.job_id());
  if (!job.has_value() || !MayActOn(caller, job->first.org_id)) {
    return absl::NotFoundError(absl::StrCat("job '", request.job_id(), "' was not found"));
  }
  ASSIGN_OR_RETURN(std::vector<v1::ChannelHistoryJob> records,
                   Redeliver(caller, job->first.webhook_id, {request.job_id()}));
  if (records.empty()) return absl::NotFoundError("the job was pruned meanwhile");
  return std::move(records.front());
}

absl::StatusOr<v1::ReplayFailedJobsResponse> EngineImpl::ReplayFailedJobs(
    const Principal& caller, const v1::ReplayFailedJobsRequest& request) {
  RETURN_IF_ERROR(RequireWebhookPrivileges(caller, "replay the deliveries of"));
  RETURN_IF_ERROR(ValidateReplayRequest(request));
  RETURN_IF_ERROR(RequireTransport("replay"));
  RETURN_IF_ERROR(CatchUp());
  std::string webhook_id;
  {
    absl::ReaderMutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const v1::Webhook webhook,
                     webhooks_.Resolve(caller, request.webhook_identifier()));
    webhook_id = webhook.id();
  }
  // Creation times are whole milliseconds, so a bound may round up; one beyond any time is
  // unbounded (a double that far out does not fit the integer milliseconds).
  const auto bound = [](bool present, double millis, absl::Time unset) {
    if (!present) return unset;
    if (millis >= 9e18) return absl::InfiniteFuture();
    if (millis <= -9e18) return absl::InfinitePast();
    return absl::FromUnixMillis(static_cast<int64_t>(std::ceil(millis)));
  };
  const std::vector<std::string> ids = delivery_->RedeliverableJobs(
      webhook_id,
      bound(request.has_start_epoch_time_in_millis(), request.start_epoch_time_in_millis(),
            absl::InfinitePast()),
      bound(request.has_end_epoch_time_in_millis(), request.end_epoch_time_in_millis(),
            absl::InfiniteFuture()));
  v1::ReplayFailedJobsResponse response;
  if (ids.empty()) return response;
  ASSIGN_OR_RETURN(std::vector<v1::ChannelHistoryJob> records, Redeliver(caller, webhook_id, ids));
  for (v1::ChannelHistoryJob& record : records) *response.add_jobs() = std::move(record);
  return response;
}

}  // namespace engine_internal
}  // namespace webhooks
