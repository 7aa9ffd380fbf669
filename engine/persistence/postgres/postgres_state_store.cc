#include "engine/persistence/postgres/postgres_state_store.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/memory/memory.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/base/status_macros.h"

namespace webhooks {
namespace {

using engine_internal::PgConnection;
using engine_internal::PgConnectionOptions;
using engine_internal::PgParam;
using engine_internal::PgResult;
using engine_internal::PostgresLog;

std::string RandomHex() {
  absl::BitGen random;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16));
}

std::string OwnerId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "/", getpid(), "/", RandomHex().substr(0, 8));
}

// What a read that found the entries after this engine's gone (kOutOfRange) means here.
absl::Status FellBehind(absl::Status status) {
  if (!absl::IsOutOfRange(status)) return status;
  return absl::DataLossError(absl::StrCat("this replica fell too far behind the state log (",
                                          status.message(),
                                          "); restart it to load the state again"));
}

// A PostgreSQL text[] literal of `values`, each quoted.
std::string TextArray(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (const std::string& value : values) {
    if (literal.size() > 1) literal += ',';
    absl::StrAppend(&literal, "\"", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}}),
                    "\"");
  }
  return literal + "}";
}

PgParam Millis(absl::Time time) { return PgParam::Text(absl::StrCat(absl::ToUnixMillis(time))); }

bool Finished(v1::ChannelHistoryJob::Status status) {
  return status != v1::ChannelHistoryJob::PENDING && status != v1::ChannelHistoryJob::RETRY;
}

// The lease changes of `batch`, in the transaction that appends it. Releases the leases under
// which its update_job records were made: false (append nothing) if one of them has moved on to
// another replica. Reopens the leases of the finished jobs its redeliver_job records send again,
// so that a replica may claim them.
absl::StatusOr<bool> ChangeLeases(PgConnection& connection, const state::StateBatch& batch) {
  for (const state::StateRecord& record : batch.records()) {
    if (record.has_redeliver_job()) {
      RETURN_IF_ERROR(connection
                          .Exec("reopen a lease",
                                "UPDATE webhookd_job_leases SET finished = false, "
                                "updated_at = now() WHERE job_id = $1",
                                {PgParam::Text(record.redeliver_job().id())})
                          .status());
      continue;
    }
    if (!record.has_update_job() || record.update_job().claim_id().empty()) continue;
    const state::JobUpdate& update = record.update_job();
    ASSIGN_OR_RETURN(
        PgResult released,
        connection.Exec("release a lease",
                        "UPDATE webhookd_job_leases SET owner = NULL, claim_id = NULL, "
                        "expires_at_millis = 0, finished = $3, updated_at = now() "
                        "WHERE job_id = $1 AND claim_id = $2",
                        {PgParam::Text(update.id()), PgParam::Text(update.claim_id()),
                         PgParam::Text(Finished(update.status()) ? "true" : "false")}));
    if (released.affected_rows() != 1) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresStateStore>> PostgresStateStore::Open(
    PgConnectionOptions connection, PostgresStateStoreOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresLog> log, PostgresLog::Open(connection, options.log));
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> leases, PgConnection::Connect(connection));
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> listener,
                   PgConnection::Connect(std::move(connection)));
  return absl::WrapUnique(new PostgresStateStore(std::move(log), std::move(leases),
                                                 std::move(listener), std::move(options)));
}

PostgresStateStore::PostgresStateStore(std::unique_ptr<PostgresLog> log,
                                       std::unique_ptr<PgConnection> leases,
                                       std::unique_ptr<PgConnection> listener,
                                       PostgresStateStoreOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : *SystemClock()),
      owner_(OwnerId()),
      log_(std::move(log)),
      leases_(std::move(leases)),
      listener_(std::move(listener)) {}

absl::Status PostgresStateStore::Replay(const ApplyFn& apply) {
  absl::MutexLock log_lock(&log_mu_);
  ASSIGN_OR_RETURN(const uint64_t last, log_->Load([&](uint64_t, const state::StateBatch& batch) {
    return apply(batch);
  }));
  absl::MutexLock lock(&mu_);
  seen_ = last;
  return absl::OkStatus();
}

uint64_t PostgresStateStore::Seen() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

void PostgresStateStore::NoteOwn(uint64_t appended) {
  absl::MutexLock lock(&mu_);
  if (appended == seen_ + 1 && own_.empty()) {
    seen_ = appended;
  } else {
    own_.insert(appended);
  }
  ++appended_since_snapshot_;
}

PostgresLog::ApplyFn PostgresStateStore::OthersOnly(const ApplyFn& apply) {
  return [this, &apply](uint64_t sequence, const state::StateBatch& batch) {
    bool own;
    {
      absl::MutexLock lock(&mu_);
      own = own_.erase(sequence) > 0;
    }
    if (!own) RETURN_IF_ERROR(apply(batch));
    absl::MutexLock lock(&mu_);
    seen_ = sequence;
    return absl::OkStatus();
  };
}

uint64_t PostgresStateStore::Write(const state::StateBatch& batch) {
  absl::MutexLock lock(&mu_);
  queued_.emplace_back(++last_ticket_, batch);
  return last_ticket_;
}

absl::Status PostgresStateStore::Sync(uint64_t sequence) {
  const auto durable = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queued_.empty() || queued_.front().first > sequence;
  };
  {
    absl::MutexLock lock(&mu_);
    if (durable()) return absl::OkStatus();
  }
  // Another Sync may be appending up to `sequence`: what it appended has left the queue.
  absl::MutexLock log_lock(&log_mu_);
  std::vector<const state::StateBatch*> batches;
  {
    absl::MutexLock lock(&mu_);
    if (durable()) return absl::OkStatus();
    // Everything queued goes in one transaction (a group commit). The batches stay put: only
    // this function pops them, under log_mu_.
    for (const auto& [ticket, batch] : queued_) batches.push_back(&batch);
  }
  const absl::Time start = clock_.Now();
  ASSIGN_OR_RETURN(const std::vector<uint64_t> appended, log_->AppendAll(batches, ChangeLeases));
  {
    absl::MutexLock lock(&mu_);
    stats_.AddSync(clock_.Now() - start);
  }
  for (const uint64_t entry : appended) {
    // A record of an attempt whose lease moved on is dropped: the new holder's counts.
    if (entry != 0) NoteOwn(entry);
  }
  absl::MutexLock lock(&mu_);
  queued_.erase(queued_.begin(), queued_.begin() + batches.size());
  return absl::OkStatus();
}

absl::Status PostgresStateStore::CatchUp(const ApplyFn& apply) {
  absl::MutexLock log_lock(&log_mu_);
  return FellBehind(log_->ReadAfter(Seen(), OthersOnly(apply)).status());
}

absl::StatusOr<uint64_t> PostgresStateStore::WritePlanned(const ApplyFn& catch_up,
                                                          const PlanFn& plan) {
  absl::MutexLock log_lock(&log_mu_);
  const absl::Time start = clock_.Now();
  const absl::StatusOr<uint64_t> appended = log_->AppendPlanned(
      Seen(), OthersOnly(catch_up), [&](uint64_t) { return plan(); }, ChangeLeases);
  RETURN_IF_ERROR(FellBehind(appended.status()));
  if (*appended == 0) return 0;
  NoteOwn(*appended);
  absl::MutexLock lock(&mu_);
  stats_.AddSync(clock_.Now() - start);
  return ++last_ticket_;
}

bool PostgresStateStore::WaitForOthers(absl::Duration timeout) {
  RenewLeasesIfDue();
  absl::MutexLock lock(&listener_mu_);
  if (!listening_) {
    listening_ =
        listener_->Exec("listen", absl::StrCat("LISTEN ", engine_internal::kLogChannel)).ok();
    if (!listening_) {
      // PostgreSQL is away: wait before the caller reads again (its reads fail meanwhile).
      absl::SleepFor(timeout);
      return true;
    }
    return true;  // Anything may have happened while not listening.
  }
  const absl::StatusOr<bool> notified = listener_->WaitForNotification(timeout);
  if (!notified.ok()) listening_ = false;
  return !notified.ok() || *notified;
}

void PostgresStateStore::RenewLeasesIfDue() {
  absl::MutexLock lock(&leases_mu_);
  const absl::Time now = clock_.Now();
  if (now - renewed_at_ < options_.lease / 3) return;
  const bool renewed =
      leases_
          ->Exec("renew leases",
                 "UPDATE webhookd_job_leases SET expires_at_millis = $2, updated_at = now() "
                 "WHERE owner = $1 AND claim_id IS NOT NULL",
                 {PgParam::Text(owner_), Millis(now + options_.lease)})
          .ok();
  if (renewed) renewed_at_ = now;
}

absl::StatusOr<std::vector<StateStore::JobClaim>> PostgresStateStore::ClaimJobs(
    const std::vector<std::string>& job_ids, absl::Time now) {
  // In id order, so that replicas claiming overlapping sets lock rows in one order.
  std::vector<size_t> order(job_ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return job_ids[a] < job_ids[b]; });
  std::vector<JobClaim> claims(job_ids.size());
  std::vector<std::string> ids, claim_ids;
  for (const size_t i : order) {
    claims[i].claim_id = RandomHex();
    ids.push_back(job_ids[i]);
    claim_ids.push_back(claims[i].claim_id);
  }
  absl::MutexLock lock(&leases_mu_);
  ASSIGN_OR_RETURN(
      PgResult claimed,
      leases_->Exec(
          "claim jobs",
          "INSERT INTO webhookd_job_leases (job_id, owner, claim_id, expires_at_millis) "
          "SELECT job_id, $2, claim_id, $4 FROM unnest($1::text[], $3::text[]) "
          "AS claim(job_id, claim_id) ON CONFLICT (job_id) DO UPDATE SET "
          "owner = EXCLUDED.owner, claim_id = EXCLUDED.claim_id, "
          "expires_at_millis = EXCLUDED.expires_at_millis, updated_at = now() "
          "WHERE NOT webhookd_job_leases.finished AND "
          "webhookd_job_leases.expires_at_millis <= $5 RETURNING job_id",
          {PgParam::Text(TextArray(ids)), PgParam::Text(owner_),
           PgParam::Text(TextArray(claim_ids)), Millis(now + options_.lease), Millis(now)}));
  absl::flat_hash_set<std::string> won;
  for (int row = 0; row < claimed.rows(); ++row) won.insert(std::string(claimed.Get(row, 0)));
  std::vector<std::string> lost;
  for (size_t i = 0; i < job_ids.size(); ++i) {
    if (won.contains(job_ids[i])) continue;
    claims[i].claimed = false;
    claims[i].claim_id.clear();
    claims[i].retry_at = now + options_.lease;  // Finished, or being renewed: ask much later.
    lost.push_back(job_ids[i]);
  }
  if (lost.empty()) return claims;
  ASSIGN_OR_RETURN(PgResult held,
                   leases_->Exec("read leases",
                                 "SELECT job_id, expires_at_millis FROM "
                                 "webhookd_job_leases WHERE job_id = ANY($1::text[]) "
                                 "AND NOT finished",
                                 {PgParam::Text(TextArray(lost))}));
  absl::flat_hash_map<std::string, absl::Time> expiries;
  for (int row = 0; row < held.rows(); ++row) {
    ASSIGN_OR_RETURN(const int64_t expires, held.GetInt64(row, 1));
    expiries[std::string(held.Get(row, 0))] = absl::FromUnixMillis(expires);
  }
  for (size_t i = 0; i < job_ids.size(); ++i) {
    if (const auto it = expiries.find(job_ids[i]); !claims[i].claimed && it != expiries.end()) {
      claims[i].retry_at = std::max(now, it->second);
    }
  }
  return claims;
}

StoreStats PostgresStateStore::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool PostgresStateStore::WantsSnapshot() const {
  absl::MutexLock lock(&mu_);
  return appended_since_snapshot_ >= options_.snapshot_after_entries;
}

uint64_t PostgresStateStore::StartSnapshot() {
  absl::MutexLock lock(&mu_);
  // The state in memory is every entry up to seen_, plus this engine's own delivery job
  // records beyond it or still queued. Those come after the snapshot in the log too, and
  // replaying them again in log order leaves each job as it is.
  return seen_;
}

absl::Status PostgresStateStore::FinishSnapshot(uint64_t snapshot,
                                                const std::vector<state::StateBatch>& state) {
  if (snapshot == 0) return absl::OkStatus();  // Nothing was ever written: nothing to replace.
  const absl::Status written = log_->WriteSnapshot(snapshot, state);
  // Another engine's snapshot at or after this point serves as well.
  if (!written.ok() && !absl::IsAlreadyExists(written)) return written;
  {
    uint64_t bytes = 0;
    for (const state::StateBatch& batch : state) bytes += batch.ByteSizeLong();
    absl::MutexLock lock(&mu_);
    appended_since_snapshot_ = 0;
    if (written.ok()) stats_.AddSnapshot(bytes);
  }
  // A finished job's lease row keeps replicas that have not read its end from claiming it;
  // once every replica must have (or has fallen behind for good), it protects nothing.
  absl::MutexLock lock(&leases_mu_);
  return leases_
      ->Exec("forget finished leases",
             "DELETE FROM webhookd_job_leases WHERE finished AND updated_at < "
             "now() - make_interval(secs => $1)",
             {PgParam::Text(absl::StrCat(
                 absl::ToDoubleSeconds(options_.log.keep_entries_for + options_.lease)))})
      .status();
}

}  // namespace webhooks
