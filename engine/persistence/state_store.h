// StateStore: where the engine's changes go so that they outlive the process. Each change is a
// state::StateBatch, applied all or nothing on recovery. NullStateStore keeps nothing (hosts that
// persist elsewhere, and tests); JournalStore (engine/persistence/journal_store.h) is an
// append-only journal with snapshots in a directory.
//
// The engine calls Write() while holding the lock that orders its changes, then Sync() after
// releasing it, so concurrent callers share one flush (group commit).
//
// A store may be shared by several engines (PostgresStateStore: replicas on one database). Then
// each engine applies the others' batches (CatchUp) before it answers, plans and records each
// change while the others wait (WritePlanned, so a change is always planned on the latest
// state), and attempts a delivery job only under a lease (ClaimJobs). A store that only one engine
// writes keeps the defaults, which do nothing.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_STATE_STORE_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_STATE_STORE_H_

#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/state.pb.h"

namespace webhooks {

// What a store has done since it opened, for metrics (StateStore::Stats).
struct StoreStats {
  // Durable syncs (a journal's write and fdatasync, a PostgreSQL commit): a count per bucket of
  // kSyncSecondsBounds (a sync of d seconds counts in the first bucket whose bound is >= d;
  // longer ones in none), how many in all, and their sum.
  static constexpr double kSyncSecondsBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1,    2.5};
  uint64_t sync_seconds_buckets[std::size(kSyncSecondsBounds)] = {};
  uint64_t syncs = 0;
  double sync_seconds_sum = 0;
  // Snapshots written, and the size of the last one (its file, or its serialized batches).
  uint64_t snapshots = 0;
  uint64_t last_snapshot_bytes = 0;

  void AddSync(absl::Duration took) {
    const double seconds = absl::ToDoubleSeconds(took);
    for (size_t i = 0; i < std::size(kSyncSecondsBounds); ++i) {
      if (seconds <= kSyncSecondsBounds[i]) {
        ++sync_seconds_buckets[i];
        break;
      }
    }
    ++syncs;
    sync_seconds_sum += seconds;
  }
  void AddSnapshot(uint64_t bytes) {
    ++snapshots;
    last_snapshot_bytes = bytes;
  }
};

// Implementations are thread-safe.
class StateStore {
 public:
  // Takes the batches a read hands over, in order; its first error stops the read.
  using ApplyFn = std::function<absl::Status(const state::StateBatch&)>;
  // Returns the batch of a change, planned on the state as it is when called.
  using PlanFn = std::function<absl::StatusOr<state::StateBatch>()>;

  virtual ~StateStore() = default;

  // Every batch recorded before this process started, in order: the latest snapshot's, then
  // the journal's. Called once, before any Write. Stops at and returns `apply`'s first error.
  virtual absl::Status Replay(const ApplyFn& apply) = 0;

  // Queues `batch` after every batch queued before it and returns its sequence number. Does
  // not wait for the disk.
  virtual uint64_t Write(const state::StateBatch& batch) = 0;

  // Returns once batch `sequence` and every batch before it are durable; kUnavailable (and
  // so for every later call) if the store can no longer write.
  virtual absl::Status Sync(uint64_t sequence) = 0;

  // True if other engines may write to this store too.
  virtual bool shared() const { return false; }

  // Hands `apply` the batches that other engines recorded since Replay or the last CatchUp, in
  // order. kUnavailable if the store cannot be read now (nothing is handed over then).
  virtual absl::Status CatchUp(const ApplyFn& /*apply*/) { return absl::OkStatus(); }

  // A change planned on the latest state: calls `plan` and records the batch it returns (as
  // Write; nothing for an empty batch), and returns the sequence to Sync (0 for none), or
  // `plan`'s error. A shared store first hands `catch_up` what the other engines recorded (as
  // CatchUp does) and holds their changes off until this one is recorded, durably; it returns
  // kUnavailable if it could not tell (nothing was recorded then).
  virtual absl::StatusOr<uint64_t> WritePlanned(const ApplyFn& /*catch_up*/, const PlanFn& plan) {
    absl::StatusOr<state::StateBatch> batch = plan();
    if (!batch.ok()) return batch.status();
    if (batch->records().empty()) return 0;
    return Write(*batch);
  }

  // Waits up to `timeout` for another engine to record something (true if it may have),
  // keeping this engine's delivery leases alive meanwhile. A store no other engine writes
  // returns false at once.
  virtual bool WaitForOthers(absl::Duration /*timeout*/) { return false; }

  // May this engine attempt delivery jobs `job_ids` now? One answer per id, in order. In a
  // shared store, at most one engine holds a job's lease at a time: `claim_id` names it (the
  // attempt's update_job record carries it, and is dropped if the lease has moved on to another
  // engine meanwhile); when another engine holds it, or the job has finished, `retry_at` says
  // when to ask again.
  struct JobClaim {
    bool claimed = true;
    std::string claim_id;
    absl::Time retry_at;
  };
  virtual absl::StatusOr<std::vector<JobClaim>> ClaimJobs(const std::vector<std::string>& job_ids,
                                                          absl::Time /*now*/) {
    return std::vector<JobClaim>(job_ids.size());
  }

  // True when the journal has grown enough that a snapshot should replace it.
  virtual bool WantsSnapshot() const = 0;

  // A snapshot in two steps. StartSnapshot, called while no Write can run (the caller holds
  // the locks that order its writes), marks the point the snapshot stands for: batches
  // written after it are replayed after the snapshot. FinishSnapshot, called without those
  // locks, records `state` (the whole state at that point, as batches) and drops what it
  // replaces. A snapshot that does not finish changes nothing.
  virtual uint64_t StartSnapshot() = 0;
  virtual absl::Status FinishSnapshot(uint64_t snapshot,
                                      const std::vector<state::StateBatch>& state) = 0;

  // What the store has done since it opened. A store that keeps nothing has nothing to count.
  virtual StoreStats Stats() const { return StoreStats(); }
};

// Keeps nothing: Replay finds nothing, Write and Sync succeed at once.
class NullStateStore : public StateStore {
 public:
  absl::Status Replay(const std::function<absl::Status(const state::StateBatch&)>&) override {
    return absl::OkStatus();
  }
  uint64_t Write(const state::StateBatch&) override { return 0; }
  absl::Status Sync(uint64_t) override { return absl::OkStatus(); }
  bool WantsSnapshot() const override { return false; }
  uint64_t StartSnapshot() override { return 0; }
  absl::Status FinishSnapshot(uint64_t, const std::vector<state::StateBatch>&) override {
    return absl::OkStatus();
  }
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_STATE_STORE_H_
