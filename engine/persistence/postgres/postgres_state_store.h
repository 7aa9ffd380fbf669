// PostgresStateStore: the engine's StateStore in PostgreSQL instead of a journal directory, shared
// by any number of engines (webhookd replicas) so that no single machine holds the state.
//
//   PgConnectionOptions connection;
//   connection.conninfo = "postgresql://webhookd@db.internal/webhooks";
//   ASSIGN_OR_RETURN(std::unique_ptr<PostgresStateStore> store,
//                    PostgresStateStore::Open(connection));
//   engine_options.state_store = store.get();
//
// Every batch is an entry of the PostgresLog (1, 2, 3, ...), which every engine reads in order
// (CatchUp). Changes to webhooks and preferences go through WritePlanned: under the log's lock
// (one transaction), the engine applies the entries it has not seen, plans the change and
// appends it, durably, so a change is always planned on the latest state (one webhook per org
// and unique names hold across replicas; nobody retries). Delivery job records go through
// Write and Sync:
// appended after whatever is last (group commit), since they only record what happened to one
// job. Each engine skips its own entries when it catches up.
//
// Delivery leases live in webhookd_job_leases: ClaimJobs takes jobs' leases (owner, claim id,
// expiry on the injected clock) if nobody holds an unexpired one; WaitForOthers renews this
// engine's leases; the attempt's update_job record carries the claim id and is recorded only if
// the lease is still this engine's, in the same transaction that releases it. An engine that
// dies stops renewing, so its jobs' leases expire and another engine attempts them again, with
// the same event id (at-least-once).
//
// Connection loss: calls return kUnavailable while PostgreSQL is away, and the connections come
// back by themselves (PgConnection's backoff). Nothing is applied in memory before PostgreSQL has
// it, except delivery job records queued by Write, which Sync appends when it can.
//
// An engine that falls behind a snapshot by more than PostgresLogOptions::keep_entries_for
// cannot catch up (kDataLoss): restart it, and it loads the state again.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_STATE_STORE_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_STATE_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/persistence/postgres/pg_connection.h"
#include "engine/persistence/postgres/postgres_log.h"
#include "engine/persistence/state_store.h"

namespace webhooks {

struct PostgresStateStoreOptions {
  // WantsSnapshot() once this engine appended this many entries since its last snapshot.
  uint64_t snapshot_after_entries = 10000;
  // How long a delivery lease lasts unless renewed; WaitForOthers renews this engine's leases
  // every third of it. Longer than one attempt's worst case is not needed, only longer than
  // the replicas' clocks disagree by.
  absl::Duration lease = absl::Seconds(60);
  // Lease expiry times come from it. Null: SystemClock(). Not owned.
  const Clock* clock = nullptr;
  engine_internal::PostgresLogOptions log;
};

class PostgresStateStore final : public StateStore {
 public:
  // Connects (three connections: the log, the leases, the notifications) and applies the
  // schema migrations (PostgresLog::Open's codes).
  static absl::StatusOr<std::unique_ptr<PostgresStateStore>> Open(
      engine_internal::PgConnectionOptions connection, PostgresStateStoreOptions options = {});

  absl::Status Replay(const ApplyFn& apply) override;
  uint64_t Write(const state::StateBatch& batch) override;
  absl::Status Sync(uint64_t sequence) override;
  bool shared() const override { return true; }
  absl::Status CatchUp(const ApplyFn& apply) override;
  absl::StatusOr<uint64_t> WritePlanned(const ApplyFn& catch_up, const PlanFn& plan) override;
  bool WaitForOthers(absl::Duration timeout) override;
  absl::StatusOr<std::vector<JobClaim>> ClaimJobs(const std::vector<std::string>& job_ids,
                                                  absl::Time now) override;
  bool WantsSnapshot() const override;
  uint64_t StartSnapshot() override;
  StoreStats Stats() const override;
  absl::Status FinishSnapshot(uint64_t snapshot,
                              const std::vector<state::StateBatch>& state) override;

  // Who this engine is in webhookd_job_leases.owner: host, process and a random part.
  const std::string& owner() const { return owner_; }

 private:
  PostgresStateStore(std::unique_ptr<engine_internal::PostgresLog> log,
                     std::unique_ptr<engine_internal::PgConnection> leases,
                     std::unique_ptr<engine_internal::PgConnection> listener,
                     PostgresStateStoreOptions options);

  // What `apply` gets of the log's entries: the other engines', with seen_ moved past each.
  engine_internal::PostgresLog::ApplyFn OthersOnly(const ApplyFn& apply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(log_mu_);
  uint64_t Seen() const;
  // Notes entry `appended` as this engine's own.
  void NoteOwn(uint64_t appended) ABSL_EXCLUSIVE_LOCKS_REQUIRED(log_mu_);
  void RenewLeasesIfDue();

  const PostgresStateStoreOptions options_;
  const Clock& clock_;
  const std::string owner_;
  const std::unique_ptr<engine_internal::PostgresLog> log_;

  absl::Mutex leases_mu_;
  const std::unique_ptr<engine_internal::PgConnection> leases_ ABSL_GUARDED_BY(leases_mu_);
  absl::Time renewed_at_ ABSL_GUARDED_BY(leases_mu_) = absl::InfinitePast();

  absl::Mutex listener_mu_;
  const std::unique_ptr<engine_internal::PgConnection> listener_ ABSL_GUARDED_BY(listener_mu_);
  bool listening_ ABSL_GUARDED_BY(listener_mu_) = false;

  // Held across each append and each catch-up, so that what they note below agrees with the
  // log's order.
  absl::Mutex log_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  // Batches written and not yet appended, with their tickets (what Write returns), in order.
  // A batch leaves once it is appended.
  std::deque<std::pair<uint64_t, state::StateBatch>> queued_ ABSL_GUARDED_BY(mu_);
  uint64_t last_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  // Every entry up to `seen_` is applied here; `own_` are this engine's entries beyond it
  // (applied when written), which CatchUp skips.
  uint64_t seen_ ABSL_GUARDED_BY(mu_) = 0;
  absl::btree_set<uint64_t> own_ ABSL_GUARDED_BY(mu_);
  uint64_t appended_since_snapshot_ ABSL_GUARDED_BY(mu_) = 0;
  StoreStats stats_ ABSL_GUARDED_BY(mu_);  // Commits of appends, and snapshots.
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_STATE_STORE_H_
