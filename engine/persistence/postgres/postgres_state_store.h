// PostgresStateStore: the engine's StateStore in PostgreSQL instead of a journal directory, so
// that the state outlives the machine webhookd runs on: start webhookd anywhere else with the
// same --postgres_url and it carries on with every webhook, preference and delivery job.
//
//   PgConnectionOptions connection;
//   connection.conninfo = "postgresql://webhookd@db.internal/webhooks";
//   ASSIGN_OR_RETURN(std::unique_ptr<PostgresStateStore> store,
//                    PostgresStateStore::Open(connection));
//   engine_options.state_store = store.get();
//
// Each batch becomes the next entry of the PostgresLog (1, 2, 3, ...); Sync appends what is
// queued, in order, each entry durable (synchronous commit) before Sync returns. Snapshots go to
// the log's snapshot tables and drop the entries they replace.
//
// One engine writes to a database at a time, for now: if another process appended an entry
// first (kAborted from the log), this store stops rather than build on a state it has not seen.
// Like a journal whose write failed, a stopped store answers every later Sync kUnavailable, and
// the engine then refuses every change until it is restarted, which loads the state again. A
// lost connection stops the store the same way (the entry may or may not have been committed;
// the restart reads which). Several replicas that write at once are the next step of issue 15.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_STATE_STORE_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_STATE_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/persistence/postgres/pg_connection.h"
#include "engine/persistence/postgres/postgres_log.h"
#include "engine/persistence/state_store.h"

namespace webhooks {

struct PostgresStateStoreOptions {
  // WantsSnapshot() once this many entries were appended since the last snapshot.
  uint64_t snapshot_after_entries = 10000;
  engine_internal::PostgresLogOptions log;
};

class PostgresStateStore final : public StateStore {
 public:
  // Connects and applies the schema migrations (PostgresLog::Open's codes).
  static absl::StatusOr<std::unique_ptr<PostgresStateStore>> Open(
      engine_internal::PgConnectionOptions connection, PostgresStateStoreOptions options = {});

  absl::Status Replay(const std::function<absl::Status(const state::StateBatch&)>& apply) override;
  uint64_t Write(const state::StateBatch& batch) override;
  absl::Status Sync(uint64_t sequence) override;
  bool WantsSnapshot() const override;
  uint64_t StartSnapshot() override;
  absl::Status FinishSnapshot(uint64_t snapshot,
                              const std::vector<state::StateBatch>& state) override;

 private:
  PostgresStateStore(std::unique_ptr<engine_internal::PostgresLog> log,
                     PostgresStateStoreOptions options)
      : options_(std::move(options)), log_(std::move(log)) {}

  const PostgresStateStoreOptions options_;
  const std::unique_ptr<engine_internal::PostgresLog> log_;

  // Held by the Sync that appends, so entries are appended in order, one Sync at a time; the
  // others find their entries appended when they get it (group commit).
  absl::Mutex append_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  // Batches written and not yet appended, with their sequence numbers, in order.
  std::deque<std::pair<uint64_t, state::StateBatch>> queued_ ABSL_GUARDED_BY(mu_);
  uint64_t last_written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_appended_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t appended_since_snapshot_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // Once set, every Sync answers it.
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_STATE_STORE_H_
