#include "engine/persistence/postgres/postgres_state_store.h"

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"

namespace webhooks {

using engine_internal::PgConnectionOptions;
using engine_internal::PostgresLog;

absl::StatusOr<std::unique_ptr<PostgresStateStore>> PostgresStateStore::Open(
    PgConnectionOptions connection, PostgresStateStoreOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PostgresLog> log,
                   PostgresLog::Open(std::move(connection), options.log));
  return absl::WrapUnique(new PostgresStateStore(std::move(log), std::move(options)));
}

absl::Status PostgresStateStore::Replay(
    const std::function<absl::Status(const state::StateBatch&)>& apply) {
  ASSIGN_OR_RETURN(const uint64_t last, log_->Load([&](uint64_t, const state::StateBatch& batch) {
    return apply(batch);
  }));
  absl::MutexLock lock(&mu_);
  last_written_ = last_appended_ = last;
  return absl::OkStatus();
}

uint64_t PostgresStateStore::Write(const state::StateBatch& batch) {
  absl::MutexLock lock(&mu_);
  queued_.emplace_back(++last_written_, batch);
  return last_written_;
}

absl::Status PostgresStateStore::Sync(uint64_t sequence) {
  const auto durable = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !failed_.ok() || last_appended_ >= sequence;
  };
  {
    absl::MutexLock lock(&mu_);
    if (durable()) return failed_;
  }
  // Another Sync may be appending entries up to `sequence`: they are durable once it lets go.
  absl::MutexLock append(&append_mu_);
  for (;;) {
    std::pair<uint64_t, state::StateBatch> next;
    {
      absl::MutexLock lock(&mu_);
      if (durable() || queued_.empty()) return failed_;
      next = std::move(queued_.front());
      queued_.pop_front();
    }
    const absl::Status appended = log_->Append(next.first, next.second);
    absl::MutexLock lock(&mu_);
    if (!appended.ok()) {
      failed_ = absl::UnavailableError(absl::StrCat(
          absl::IsAborted(appended)
              ? "another process wrote to this database's state log first; only one webhookd "
                "may write to a database"
              : absl::StrCat("state entry ", next.first, " was not stored (", appended.message(),
                             ")"),
          ": this server stores nothing more until it is restarted"));
      return failed_;
    }
    last_appended_ = next.first;
    ++appended_since_snapshot_;
  }
}

bool PostgresStateStore::WantsSnapshot() const {
  absl::MutexLock lock(&mu_);
  return appended_since_snapshot_ >= options_.snapshot_after_entries;
}

uint64_t PostgresStateStore::StartSnapshot() {
  absl::MutexLock lock(&mu_);
  return last_written_;
}

absl::Status PostgresStateStore::FinishSnapshot(uint64_t snapshot,
                                                const std::vector<state::StateBatch>& state) {
  if (snapshot == 0) return absl::OkStatus();  // Nothing was ever written: nothing to replace.
  RETURN_IF_ERROR(Sync(snapshot));
  const absl::Status written = log_->WriteSnapshot(snapshot, state);
  if (!written.ok() && !absl::IsAlreadyExists(written)) return written;
  absl::MutexLock lock(&mu_);
  appended_since_snapshot_ = last_appended_ - snapshot;
  return absl::OkStatus();
}

}  // namespace webhooks
