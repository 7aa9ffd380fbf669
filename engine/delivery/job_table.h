// JobTable: the delivery jobs kept (unfinished ones until they finish, finished ones for the
// history retention), with the schedule of their next attempts and the history order. It
// applies the same records that the state store replays, so a restart rebuilds it exactly.
//
// Not thread-safe: the DeliveryService guards it with its lock.
#ifndef WEBHOOKS_ENGINE_DELIVERY_JOB_TABLE_H_
#define WEBHOOKS_ENGINE_DELIVERY_JOB_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "proto/delivery.pb.h"
#include "proto/state.pb.h"

namespace webhooks {
namespace engine_internal {

// The history detail of a redelivery, alone while it waits and after its attempt's outcome.
std::string RedeliveryNote(const std::string& requested_by);

// Facts about a job that the engine filters history by.
struct JobOwner {
  std::string org_id;
  std::string webhook_id;
  std::string webhook_name;
};

struct Job {
  v1::ChannelHistoryJob record;
  JobOwner owner;
  std::string boundary;
  // Dropped once the job succeeds; kept while it fails, as long as the table's budget for
  // failed content allows (see JobTable), so that it can be redelivered.
  std::shared_ptr<const std::string> body;
  // Set until the files of a job for a storage destination are uploaded (body is null then).
  std::shared_ptr<const state::PendingUpload> upload;
  absl::Time next_attempt;
  // Who asked for the redelivery under way (see ApplyRedelivery); empty otherwise.
  std::string redelivered_by;

  bool unfinished() const {
    return record.status() == v1::ChannelHistoryJob::PENDING ||
           record.status() == v1::ChannelHistoryJob::RETRY;
  }
  // Whether the job can be sent again: it still has its body or its upload.
  bool has_content() const { return body != nullptr || upload != nullptr; }
  // The record that recreates this job.
  state::StoredJob ToStored() const;
  static Job FromStored(const state::StoredJob& stored);
};

class JobTable {
 public:
  // Keeps at most `max_finished_per_org` finished jobs of one org (see Prune), and the content
  // of FAILED jobs up to `max_failed_content_bytes` in all, dropping the oldest's beyond it.
  explicit JobTable(size_t max_finished_per_org = SIZE_MAX,
                    int64_t max_failed_content_bytes = INT64_MAX)
      : max_finished_per_org_(max_finished_per_org),
        max_failed_content_bytes_(max_failed_content_bytes) {}

  // Adds `job`, replacing a job with its id (the later record wins), and schedules it if it
  // is unfinished.
  void Insert(Job job);
  // Applies a put_job, update_job, uploaded_job or redeliver_job record; ignores records of
  // unknown jobs.
  void Apply(const state::StateRecord& record);
  // Records the outcome `update` of an attempt on its job.
  void ApplyUpdate(const state::JobUpdate& update);
  // The job's uploads are done: from now on it sends `uploaded.body()`.
  void ApplyUploaded(const state::JobUploaded& uploaded);
  // Puts FAILED job `redelivery.id()` back on the schedule, PENDING, for one more attempt.
  // Ignored unless the job is FAILED and has its content: every replica applies the record the
  // same way, whatever it raced with.
  void ApplyRedelivery(const state::JobRedelivery& redelivery);

  // The job with id `id`, or null.
  const Job* Find(const std::string& id) const;
  // Takes the earliest job due at `now` off the schedule (it is back on it once ApplyUpdate
  // records a RETRY) and returns it; null if none is due.
  const Job* PopDue(absl::Time now);
  // Puts unfinished job `id` back on the schedule at `at` (another replica holds its lease).
  void Defer(const std::string& id, absl::Time at);
  // Holds job `id`, just taken off the schedule by PopDue, until Unpark: its webhook has as many
  // attempts in flight as it may. The job keeps its next_attempt (a snapshot or restart
  // schedules it as before), and a record applied to it takes it out of the parked jobs.
  void Park(const std::string& id);
  // Puts up to `count` of webhook `webhook_id`'s parked jobs back on the schedule at their
  // next_attempt (which is past, so they are due), earliest first. Returns how many it put.
  int Unpark(const std::string& webhook_id, int count);
  // Jobs parked, of all webhooks.
  size_t parked() const { return parked_count_; }
  // When the next attempt is due, if any is scheduled.
  std::optional<absl::Time> NextDue() const;
  // Unfinished jobs, scheduled or in flight.
  int pending() const { return pending_; }
  // When the oldest unfinished job was created, if there is one.
  std::optional<absl::Time> OldestPendingCreation() const;
  // Unfinished jobs of org `org_id`.
  int pending_of_org(const std::string& org_id) const;

  // Forgets finished jobs created before `cutoff`, and the oldest finished jobs of each org
  // that has more than max_finished_per_org, so that no org's deliveries can grow the history
  // without bound within the retention.
  void Prune(absl::Time cutoff);
  // The newest `max_jobs` of the jobs that `keep` accepts, newest first.
  std::vector<v1::ChannelHistoryJob> History(
      const std::function<bool(const JobOwner&, const v1::ChannelHistoryJob&)>& keep,
      size_t max_jobs = SIZE_MAX) const;
  // Calls `visit` with every job, in no particular order.
  void ForEach(const std::function<void(const Job&)>& visit) const;

 private:
  // Job ids by creation time, oldest first.
  using CreationOrder = absl::btree_set<std::pair<absl::Time, std::string>>;

  void Remove(absl::node_hash_map<std::string, Job>::iterator it);
  // Takes unfinished `job` off the schedule and out of the parked jobs, wherever it is.
  void Unschedule(const Job& job);
  // Adds `delta` to the unfinished jobs, in all and of `org_id`.
  void CountPending(const Job& job, int delta);
  // Adds or removes a finished job in its org's finished_by_org_, and a FAILED one's content
  // in failed_content_ (dropping the oldest content over the budget).
  void AddFinished(Job& job);
  void ForgetFinished(const Job& job);

  // Every kept job. A node map, so that memory follows the jobs kept: a Job is about 300
  // bytes, and a flat map keeps that much in every slot of a table that doubles as the history
  // grows and never shrinks (up to about twice the slots of the busiest retention window's).
  absl::node_hash_map<std::string, Job> jobs_;
  absl::btree_set<std::pair<absl::Time, std::string>> due_;
  // Parked jobs (see Park) by webhook, earliest next_attempt first; webhooks with some only.
  absl::flat_hash_map<std::string, absl::btree_set<std::pair<absl::Time, std::string>>> parked_;
  size_t parked_count_ = 0;
  CreationOrder by_creation_;
  int pending_ = 0;
  absl::flat_hash_map<std::string, int> pending_by_org_;  // Orgs with unfinished jobs only.
  CreationOrder pending_by_creation_;                     // Unfinished jobs only.
  const size_t max_finished_per_org_;
  absl::flat_hash_map<std::string, CreationOrder> finished_by_org_;  // Orgs with some only.
  absl::flat_hash_set<std::string> orgs_over_limit_;                 // Until the next Prune.
  const int64_t max_failed_content_bytes_;
  // FAILED jobs that have their content, oldest first, with its size; and their sum.
  absl::btree_map<std::pair<absl::Time, std::string>, int64_t> failed_content_;
  int64_t failed_content_bytes_ = 0;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_JOB_TABLE_H_
