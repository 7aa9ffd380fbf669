// DeliveryService: redelivering FAILED jobs on request (RedeliverJob, ReplayFailedJobs).
#include <algorithm>
#include <functional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "engine/delivery/delivery_service.h"

namespace webhooks {
namespace engine_internal {

std::optional<std::pair<JobOwner, v1::ChannelHistoryJob>> DeliveryService::Describe(
    const std::string& id) {
  absl::MutexLock lock(&mu_);
  const Job* job = jobs_.Find(id);
  if (job == nullptr) return std::nullopt;
  return std::make_pair(job->owner, job->record);
}

std::vector<std::string> DeliveryService::RedeliverableJobs(const std::string& webhook_id,
                                                            absl::Time start, absl::Time end) {
  std::vector<std::pair<absl::Time, std::string>> found;
  {
    absl::MutexLock lock(&mu_);
    jobs_.ForEach([&](const Job& job) {
      const absl::Time created = absl::FromUnixMillis(job.record.creation_time_in_millis());
      if (job.owner.webhook_id == webhook_id &&
          job.record.status() == v1::ChannelHistoryJob::FAILED && job.has_content() &&
          created >= start && created < end) {
        found.emplace_back(created, job.record.id());
      }
    });
  }
  std::sort(found.begin(), found.end(), std::greater<>());
  std::vector<std::string> ids;
  for (auto& [created, id] : found) ids.push_back(std::move(id));
  return ids;
}

absl::StatusOr<state::StateBatch> DeliveryService::PlanRedelivery(
    const std::vector<std::string>& ids, const std::string& requested_by, int org_share) {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, int> added_by_org;
  state::StateBatch batch;
  const int64_t now_millis = absl::ToUnixMillis(clock_.Now());
  for (const std::string& id : ids) {
    const Job* job = jobs_.Find(id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("job '", id, "' was not found"));
    if (job->record.status() != v1::ChannelHistoryJob::FAILED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "job '", id, "' is ", v1::ChannelHistoryJob::Status_Name(job->record.status()),
          "; only a FAILED delivery can be redelivered"));
    }
    if (!job->has_content()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "job '", id,
          "' has no content to send again: it is a validation, or a failed delivery whose content "
          "was dropped for newer ones (DeliveryOptions::max_failed_content_bytes)"));
    }
    ++added_by_org[job->owner.org_id];
    state::JobRedelivery* redelivery = batch.add_records()->mutable_redeliver_job();
    redelivery->set_id(id);
    redelivery->set_requested_by(requested_by);
    redelivery->set_next_attempt_millis(now_millis);
  }
  if (jobs_.pending() + static_cast<int64_t>(ids.size()) > options_.max_pending_jobs) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the delivery queue has no room for ", ids.size(), " more (", jobs_.pending(),
                     " of ", options_.max_pending_jobs, " deliveries pending); try again later"));
  }
  for (const auto& [org_id, added] : added_by_org) {
    if (jobs_.pending_of_org(org_id) + added > org_share) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the org's share of the delivery queue has no room for ", added, " more (",
          jobs_.pending_of_org(org_id), " of ", org_share, " pending); try again later"));
    }
  }
  return batch;
}

}  // namespace engine_internal
}  // namespace webhooks
