// StateStore: where the engine's changes go so that they outlive the process. Each change is a
// state::StateBatch, applied all or nothing on recovery. NullStateStore keeps nothing (hosts that
// persist elsewhere, and tests); JournalStore (engine/persistence/journal_store.h) is an
// append-only journal with snapshots in a directory.
//
// The engine calls Write() while holding the lock that orders its changes, then Sync() after
// releasing it, so concurrent callers share one flush (group commit).
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_STATE_STORE_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_STATE_STORE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "proto/state.pb.h"

namespace webhooks {

// Implementations are thread-safe.
class StateStore {
 public:
  virtual ~StateStore() = default;

  // Every batch recorded before this process started, in order: the latest snapshot's, then
  // the journal's. Called once, before any Write. Stops at and returns `apply`'s first error.
  virtual absl::Status Replay(
      const std::function<absl::Status(const state::StateBatch&)>& apply) = 0;

  // Queues `batch` after every batch queued before it and returns its sequence number. Does
  // not wait for the disk.
  virtual uint64_t Write(const state::StateBatch& batch) = 0;

  // Returns once batch `sequence` and every batch before it are durable; kUnavailable (and
  // so for every later call) if the store can no longer write.
  virtual absl::Status Sync(uint64_t sequence) = 0;

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
};

// Keeps nothing: Replay finds nothing, Write and Sync succeed at once.
class NullStateStore final : public StateStore {
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
