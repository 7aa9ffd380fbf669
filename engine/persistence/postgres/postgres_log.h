// PostgresLog: the change log that several replicas share in PostgreSQL. Each entry is one
// state::StateBatch under a sequence number 1, 2, 3, ...; a replica appends the batch of each
// change it makes and applies, in order, the entries the others appended.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<PostgresLog> log, PostgresLog::Open(connection_options));
//   ASSIGN_OR_RETURN(uint64_t seen, log->Load(apply));         // At start.
//   absl::StatusOr<uint64_t> appended = log->Append(seen + 1, batch);  // A change.
//   if (absl::IsAborted(appended.status())) {                  // Another replica was first:
//     ASSIGN_OR_RETURN(seen, log->ReadAfter(seen, apply));     // catch up, plan again.
//   }
//
// Tables (migration 1 of engine/persistence/postgres/migrations.h):
//   webhookd_log(sequence, batch, appended_at)           the entries after the latest snapshot
//   webhookd_snapshots(sequence, taken_at)               the snapshot taken at entry `sequence`
//   webhookd_snapshot_batches(sequence, part, batch)     its batches, in `part` order
// Batches are serialized protos in bytea columns. Appends and snapshots are serialized by the
// transaction-scoped advisory lock kLogLockKey; readers read one consistent view (REPEATABLE
// READ). Every write commits with synchronous_commit on: when it returns OK it is durable.
//
// Errors besides those named per method: kUnavailable when the connection is lost (the call may
// or may not have taken effect: read to find out; the next call reconnects, see
// pg_connection.h), kInternal for anything else PostgreSQL refuses.
//
// Thread-safe: calls take turns on one connection.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_LOG_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/persistence/postgres/pg_connection.h"
#include "proto/state.pb.h"

namespace webhooks {
namespace engine_internal {

// The key of pg_advisory_xact_lock that serializes appends and snapshots ("webhklog").
inline constexpr int64_t kLogLockKey = 0x77656268'6b6c6f67;

struct PostgresLogOptions {
  // A batch whose serialized size is over this is refused with kInvalidArgument (bytea holds
  // at most 1 GiB; a batch near that would stall every replica that reads it).
  uint64_t max_batch_bytes = uint64_t{256} << 20;
  // Entries read per round trip by ReadAfter and Load.
  int read_page_rows = 256;
  // How long entries that a snapshot covers stay readable, so that a replica a little behind
  // the snapshot catches up from the entries instead of loading the whole state again.
  absl::Duration keep_entries_for = absl::Minutes(10);
};

// The channel each append notifies when it commits (LISTEN webhookd_log).
inline constexpr char kLogChannel[] = "webhookd_log";

class PostgresLog {
 public:
  // What ReadAfter and Load hand each batch to, in order, with its entry's sequence number
  // (for a snapshot's batches, the snapshot's). Its first error stops the read and is returned.
  // It runs while the log is busy: it must not call the log.
  using ApplyFn = std::function<absl::Status(uint64_t sequence, const state::StateBatch& batch)>;

  // Connects and applies the schema migrations (ApplyMigrations). PgConnection::Connect's and
  // ApplyMigrations' codes.
  static absl::StatusOr<std::unique_ptr<PostgresLog>> Open(PgConnectionOptions connection,
                                                           PostgresLogOptions options = {});
  // Over a connection whose database is already migrated.
  PostgresLog(std::unique_ptr<PgConnection> connection, PostgresLogOptions options);

  // Records `batch` as entry `sequence`, which must be one more than the last entry
  // (LastSequence()), or 0 for "after the last entry, whichever that is", and returns the
  // entry's sequence. kAborted if entry `sequence` already exists (another replica appended
  // first, or a snapshot already covers it): nothing was written. kFailedPrecondition if
  // `sequence` is beyond the next one (a gap); kInvalidArgument if the batch is over
  // max_batch_bytes or does not serialize. The commit notifies kLogChannel.
  absl::StatusOr<uint64_t> Append(uint64_t sequence, const state::StateBatch& batch);

  // Whether AppendAll or AppendPlanned records a batch; runs in its transaction, before the
  // batch is written (so what it changes commits with the batch, or not at all).
  using KeepFn =
      std::function<absl::StatusOr<bool>(PgConnection& connection, const state::StateBatch& batch)>;

  // Records `batches` as the next entries after the last, in order, in one transaction (a
  // group commit), except those `keep` refuses; returns the sequence each got (0 for one
  // refused). `keep`'s error rolls everything back. Append's codes.
  absl::StatusOr<std::vector<uint64_t>> AppendAll(
      const std::vector<const state::StateBatch*>& batches, const KeepFn& keep);

  // What AppendPlanned appends: the batch of a change planned on the state as of entry
  // `last`; an empty batch appends nothing.
  using PlanFn = std::function<absl::StatusOr<state::StateBatch>(uint64_t last)>;

  // A change planned on the latest state, in one transaction under the log's lock, so that no
  // other replica appends meanwhile: hands `apply` every entry after `after` (as ReadAfter),
  // calls `plan`, and appends the batch it returns as the next entry if `keep` accepts it.
  // Returns that entry's sequence, or 0 if the batch was empty or refused; `plan`'s or `keep`'s
  // error (nothing appended; what `apply` was handed stays handed). ReadAfter's and Append's
  // codes.
  absl::StatusOr<uint64_t> AppendPlanned(uint64_t after, const ApplyFn& apply, const PlanFn& plan,
                                         const KeepFn& keep);

  // Hands `apply` every entry after `after`, in order, and returns the last sequence handed
  // (`after` if there was none). kOutOfRange if a snapshot at a sequence beyond `after` has
  // removed entries the caller has not seen (it fell behind by more than keep_entries_for).
  // kFailedPrecondition if `after` is beyond the last entry. kDataLoss if an entry does not hold a
  // StateBatch.
  absl::StatusOr<uint64_t> ReadAfter(uint64_t after, const ApplyFn& apply);

  // Records `batches` as entries 1, 2, ... of an empty log, all or none (moving a journal's
  // state into PostgreSQL). kFailedPrecondition if the log has an entry or a snapshot;
  // kInvalidArgument as for Append.
  absl::Status Import(const std::vector<state::StateBatch>& batches);

  // The sequence of the last entry (or of the latest snapshot, if later), 0 for an empty log.
  absl::StatusOr<uint64_t> LastSequence();

  // Hands `apply` the latest snapshot's batches, then every entry after it, and returns the
  // last sequence (0 for an empty log). kDataLoss if a batch does not hold a StateBatch.
  absl::StatusOr<uint64_t> Load(const ApplyFn& apply);

  // Records `state` (the whole state as of entry `sequence`, as batches) as the snapshot at
  // `sequence`, and in the same transaction deletes older snapshots and the entries up to
  // `sequence` appended more than PostgresLogOptions::keep_entries_for ago. kFailedPrecondition if
  // entry `sequence` does not exist yet; kAlreadyExists if a snapshot at `sequence` or later exists
  // (nothing changes; this one is not needed); kInvalidArgument as for Append.
  absl::Status WriteSnapshot(uint64_t sequence, const std::vector<state::StateBatch>& state);

 private:
  absl::StatusOr<std::string> Serialize(const state::StateBatch& batch) const;
  // The latest snapshot's sequence and the last entry's (each 0 if none), in the current
  // transaction.
  absl::Status ReadEnds(uint64_t* snapshot, uint64_t* last) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LockForWrite(absl::string_view operation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Entry `sequence` holding `bytes`, and the notification of it; in the caller's transaction.
  absl::Status Insert(uint64_t sequence, std::string bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ReadAfter's work, in the caller's transaction if any: hands `apply` the entries after
  // `after`, a page per statement, and returns the last sequence handed. ReadAfter's codes.
  absl::StatusOr<uint64_t> ReadEntries(uint64_t after, const ApplyFn& apply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PostgresLogOptions options_;
  absl::Mutex mu_;
  const std::unique_ptr<PgConnection> connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_LOG_H_
