#include "engine/delivery/job_table.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace webhooks {
namespace engine_internal {
namespace {

absl::Time Created(const Job& job) {
  return absl::FromUnixMillis(job.record.creation_time_in_millis());
}

// What keeping the job's content costs.
int64_t ContentBytes(const Job& job) {
  int64_t bytes = job.body != nullptr ? job.body->size() : 0;
  if (job.upload != nullptr) bytes += job.upload->ByteSizeLong();
  return bytes;
}

}  // namespace

std::string RedeliveryNote(const std::string& requested_by) {
  return absl::StrCat("redelivery requested by ", requested_by);
}

state::StoredJob Job::ToStored() const {
  state::StoredJob stored;
  *stored.mutable_record() = record;
  stored.set_org_id(owner.org_id);
  stored.set_webhook_id(owner.webhook_id);
  stored.set_webhook_name(owner.webhook_name);
  stored.set_boundary(boundary);
  if (body != nullptr) stored.set_body(*body);
  if (upload != nullptr) *stored.mutable_upload() = *upload;
  stored.set_next_attempt_millis(absl::ToUnixMillis(next_attempt));
  stored.set_redelivered_by(redelivered_by);
  return stored;
}

Job Job::FromStored(const state::StoredJob& stored) {
  Job job;
  job.record = stored.record();
  job.owner = {stored.org_id(), stored.webhook_id(), stored.webhook_name()};
  job.boundary = stored.boundary();
  if (!stored.body().empty()) job.body = std::make_shared<const std::string>(stored.body());
  if (stored.has_upload()) {
    job.upload = std::make_shared<const state::PendingUpload>(stored.upload());
  }
  job.next_attempt = absl::FromUnixMillis(stored.next_attempt_millis());
  job.redelivered_by = stored.redelivered_by();
  return job;
}

void JobTable::Insert(Job job) {
  const std::string id = job.record.id();
  if (const auto old = jobs_.find(id); old != jobs_.end()) Remove(old);
  by_creation_.emplace(Created(job), id);
  Job& inserted = jobs_.emplace(id, std::move(job)).first->second;
  if (inserted.unfinished()) {
    CountPending(inserted, +1);
    due_.emplace(inserted.next_attempt, id);
  } else {
    AddFinished(inserted);
  }
}

void JobTable::Apply(const state::StateRecord& record) {
  switch (record.change_case()) {
    case state::StateRecord::kPutJob:
      Insert(Job::FromStored(record.put_job()));
      break;
    case state::StateRecord::kUpdateJob:
      ApplyUpdate(record.update_job());
      break;
    case state::StateRecord::kUploadedJob:
      ApplyUploaded(record.uploaded_job());
      break;
    case state::StateRecord::kRedeliverJob:
      ApplyRedelivery(record.redeliver_job());
      break;
    default:
      break;
  }
}

void JobTable::ApplyUpdate(const state::JobUpdate& update) {
  const auto it = jobs_.find(update.id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  const bool was_unfinished = job.unfinished();
  if (was_unfinished) Unschedule(job);
  job.record.set_status(update.status());
  job.record.set_try_count(update.try_count());
  job.record.set_detail(update.detail());
  job.next_attempt = absl::FromUnixMillis(update.next_attempt_millis());
  if (job.unfinished()) {
    due_.emplace(job.next_attempt, job.record.id());
    return;
  }
  job.redelivered_by.clear();
  if (was_unfinished) {
    CountPending(job, -1);
  } else {
    ForgetFinished(job);  // A late record of another replica: filed again by its new status.
  }
  AddFinished(job);
}

void JobTable::ApplyUploaded(const state::JobUploaded& uploaded) {
  const auto it = jobs_.find(uploaded.id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  job.boundary = uploaded.boundary();
  job.body = std::make_shared<const std::string>(uploaded.body());
  job.upload.reset();
}

void JobTable::ApplyRedelivery(const state::JobRedelivery& redelivery) {
  const auto it = jobs_.find(redelivery.id());
  if (it == jobs_.end()) return;
  Job& job = it->second;
  if (job.record.status() != v1::ChannelHistoryJob::FAILED || !job.has_content()) return;
  ForgetFinished(job);
  job.record.set_status(v1::ChannelHistoryJob::PENDING);
  job.record.set_detail(RedeliveryNote(redelivery.requested_by()));
  job.redelivered_by = redelivery.requested_by();
  job.next_attempt = absl::FromUnixMillis(redelivery.next_attempt_millis());
  CountPending(job, +1);
  due_.emplace(job.next_attempt, job.record.id());
}

const Job* JobTable::Find(const std::string& id) const {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const Job* JobTable::PopDue(absl::Time now) {
  if (due_.empty() || due_.begin()->first > now) return nullptr;
  const Job* job = &jobs_.at(due_.begin()->second);
  due_.erase(due_.begin());
  return job;
}

void JobTable::Defer(const std::string& id, absl::Time at) {
  const auto it = jobs_.find(id);
  if (it == jobs_.end() || !it->second.unfinished()) return;
  Job& job = it->second;
  Unschedule(job);
  job.next_attempt = at;
  due_.emplace(at, id);
}

void JobTable::Park(const std::string& id) {
  const auto it = jobs_.find(id);
  if (it == jobs_.end() || !it->second.unfinished()) return;
  const Job& job = it->second;
  Unschedule(job);
  if (parked_[job.owner.webhook_id].emplace(job.next_attempt, id).second) ++parked_count_;
}

int JobTable::Unpark(const std::string& webhook_id, int count) {
  const auto it = parked_.find(webhook_id);
  if (it == parked_.end()) return 0;
  int unparked = 0;
  for (; unparked < count && !it->second.empty(); ++unparked) {
    due_.insert(*it->second.begin());
    it->second.erase(it->second.begin());
    --parked_count_;
  }
  if (it->second.empty()) parked_.erase(it);
  return unparked;
}

std::optional<absl::Time> JobTable::NextDue() const {
  if (due_.empty()) return std::nullopt;
  return due_.begin()->first;
}

void JobTable::Prune(absl::Time cutoff) {
  for (auto it = by_creation_.begin(); it != by_creation_.end() && it->first < cutoff;) {
    const auto job = jobs_.find(it->second);
    if (job->second.unfinished()) {
      ++it;  // Still being delivered; kept until it finishes.
      continue;
    }
    ForgetFinished(job->second);
    jobs_.erase(job);
    it = by_creation_.erase(it);
  }
  for (const std::string& org : std::exchange(orgs_over_limit_, {})) {
    for (auto finished = finished_by_org_.find(org);
         finished != finished_by_org_.end() && finished->second.size() > max_finished_per_org_;
         finished = finished_by_org_.find(org)) {
      Remove(jobs_.find(finished->second.begin()->second));
    }
  }
}

std::vector<v1::ChannelHistoryJob> JobTable::History(
    const std::function<bool(const JobOwner&, const v1::ChannelHistoryJob&)>& keep,
    size_t max_jobs) const {
  std::vector<v1::ChannelHistoryJob> found;
  for (auto it = by_creation_.rbegin(); it != by_creation_.rend() && found.size() < max_jobs;
       ++it) {
    const Job& job = jobs_.at(it->second);
    if (keep(job.owner, job.record)) found.push_back(job.record);
  }
  return found;
}

void JobTable::ForEach(const std::function<void(const Job&)>& visit) const {
  for (const auto& [id, job] : jobs_) visit(job);
}

int JobTable::pending_of_org(const std::string& org_id) const {
  const auto it = pending_by_org_.find(org_id);
  return it == pending_by_org_.end() ? 0 : it->second;
}

void JobTable::CountPending(const Job& job, int delta) {
  pending_ += delta;
  const std::string& org_id = job.owner.org_id;
  int& count = pending_by_org_[org_id];
  count += delta;
  if (count == 0) pending_by_org_.erase(org_id);  // Only orgs with pending jobs are kept.
  if (delta > 0) {
    pending_by_creation_.emplace(Created(job), job.record.id());
  } else {
    pending_by_creation_.erase({Created(job), job.record.id()});
  }
}

std::optional<absl::Time> JobTable::OldestPendingCreation() const {
  if (pending_by_creation_.empty()) return std::nullopt;
  return pending_by_creation_.begin()->first;
}

void JobTable::AddFinished(Job& job) {
  CreationOrder& finished = finished_by_org_[job.owner.org_id];
  finished.emplace(Created(job), job.record.id());
  if (finished.size() > max_finished_per_org_) orgs_over_limit_.insert(job.owner.org_id);
  if (job.record.status() != v1::ChannelHistoryJob::FAILED || !job.has_content()) {
    job.body.reset();
    job.upload.reset();
    return;
  }
  const int64_t bytes = ContentBytes(job);
  failed_content_.emplace(std::make_pair(Created(job), job.record.id()), bytes);
  failed_content_bytes_ += bytes;
  while (failed_content_bytes_ > max_failed_content_bytes_) {  // Oldest first, maybe `job`.
    const auto oldest = failed_content_.begin();
    Job& dropped = jobs_.at(oldest->first.second);
    dropped.body.reset();
    dropped.upload.reset();
    failed_content_bytes_ -= oldest->second;
    failed_content_.erase(oldest);
  }
}

void JobTable::ForgetFinished(const Job& job) {
  const std::pair<absl::Time, std::string> key(Created(job), job.record.id());
  if (const auto failed = failed_content_.find(key); failed != failed_content_.end()) {
    failed_content_bytes_ -= failed->second;
    failed_content_.erase(failed);
  }
  const auto finished = finished_by_org_.find(job.owner.org_id);
  if (finished == finished_by_org_.end()) return;
  finished->second.erase(key);
  if (finished->second.empty()) finished_by_org_.erase(finished);
}

void JobTable::Remove(absl::node_hash_map<std::string, Job>::iterator it) {
  const Job& job = it->second;
  if (job.unfinished()) {
    Unschedule(job);
    CountPending(job, -1);
  } else {
    ForgetFinished(job);
  }
  by_creation_.erase({Created(job), job.record.id()});
  jobs_.erase(it);
}

void JobTable::Unschedule(const Job& job) {
  due_.erase({job.next_attempt, job.record.id()});
  const auto parked = parked_.find(job.owner.webhook_id);
  if (parked == parked_.end()) return;
  if (parked->second.erase({job.next_attempt, job.record.id()}) > 0) --parked_count_;
  if (parked->second.empty()) parked_.erase(parked);
}

}  // namespace engine_internal
}  // namespace webhooks
