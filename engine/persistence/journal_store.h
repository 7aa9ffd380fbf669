// JournalStore: the engine's durable StateStore, in one directory.
//
//   LOCK                     held (flock) while a process has the directory open
//   snapshot-<n>             the whole state as of journal <n>'s start (written to a
//                            temporary name, synced, then renamed: complete or absent; a
//                            temporary file left by a crash is removed at the next open)
//   journal-<n>, <n+1>, ...  batches after that snapshot, in order
//
// Every batch of a journal is one record (a snapshot regroups its state into records of at most
// JournalOptions::snapshot_record_bytes), framed as engine/persistence/journal_records.h says,
// around a serialized state::StateBatch. Sync() writes and fdatasyncs whatever is queued, so
// concurrent writers share one flush; a write or sync that fails is cut back off the journal and
// stops the store for good. On open, a record cut short at the very end of the last journal (a
// crash mid-write) is truncated, synced and logged; any other bad record stops the open with
// kDataLoss naming the file and offset, and nothing is changed. A snapshot is read back before
// the files it replaces are deleted. A record whose string fields hold bytes that are not UTF-8
// (which protobuf writes but will not parse) is read with those bytes replaced by U+FFFD, and
// logged.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_JOURNAL_STORE_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_JOURNAL_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/clock.h"
#include "engine/persistence/journal_records.h"  // IWYU pragma: export
#include "engine/persistence/state_store.h"

namespace webhooks {

struct JournalOptions {
  std::string directory;  // Created if missing, with mode 0700 (its parents as umask allows).
  // WantsSnapshot() turns true once the journals hold this many bytes.
  uint64_t snapshot_after_bytes = 64 << 20;
  // A snapshot's records each hold at most this many bytes of state (a single state record
  // that is larger gets a record of its own), far below the 1 GiB a record may hold.
  uint64_t snapshot_record_bytes = 64 << 20;
  // Times the syncs for Stats() (not owned; null: the system clock).
  const Clock* clock = nullptr;
  // Where recovery notes go (a truncated tail, for example). Null: standard error.
  std::function<void(absl::string_view)> log;
  // Tests only: stand-ins for write(2) and for fdatasync(2) of the store's files (journals,
  // snapshots), to inject failures and see what is synced. Each also gets the file's path; each
  // returns what the real call would and sets errno. Null: the real calls.
  std::function<ssize_t(int fd, absl::string_view path, absl::string_view data)> write_for_testing;
  std::function<int(int fd, absl::string_view path)> sync_for_testing;
};

class JournalStore final : public StateStore {
 public:
  // Opens the store, reads and checks everything in it, and starts a new journal.
  // kFailedPrecondition if another process has the directory open; kDataLoss for a corrupt
  // record; kUnavailable if the directory cannot be used.
  static absl::StatusOr<std::unique_ptr<JournalStore>> Open(const JournalOptions& options);
  ~JournalStore() override;

  absl::Status Replay(const ApplyFn& apply) override;
  uint64_t Write(const state::StateBatch& batch) override;
  absl::Status Sync(uint64_t sequence) override;
  bool WantsSnapshot() const override;
  uint64_t StartSnapshot() override;
  absl::Status FinishSnapshot(uint64_t snapshot,
                              const std::vector<state::StateBatch>& state) override;
  StoreStats Stats() const override;

 private:
  explicit JournalStore(const JournalOptions& options) : options_(options) {}

  absl::Status Recover();
  // Hands `line` to options_.log, or writes it to stderr.
  void Log(absl::string_view line) const;
  absl::Status OpenJournal(uint64_t number) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Cuts the file at `path` to `size` bytes and syncs it.
  absl::Status TruncateDurably(const std::string& path, uint64_t size) const;
  // Writes and syncs everything queued to the current journal, releasing mu_ while the disk
  // works; on failure the store stops writing, and never writes again.
  absl::Status FlushQueued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends `data` to the journal `fd` and syncs it. If that fails, cuts the file back to where
  // it was, so that no part of a batch that was never acknowledged stays behind.
  absl::Status Flush(int fd, const std::string& path, const std::string& data) const;
  // write(2) of all of `data`, and fdatasync(2), or their stand-ins for tests.
  absl::Status WriteAll(int fd, absl::string_view path, absl::string_view data) const;
  absl::Status SyncFile(int fd, absl::string_view path) const;
  std::string PathOf(absl::string_view kind, uint64_t number) const;
  // Writes and syncs the records of `state` to the file at `path`, in records of at most
  // snapshot_record_bytes, and returns how many state records it wrote.
  absl::StatusOr<uint64_t> WriteSnapshot(const std::string& path,
                                         const std::vector<state::StateBatch>& state) const;
  // kDataLoss unless the snapshot at `path` reads back as `records` state records.
  absl::Status CheckSnapshot(const std::string& path, uint64_t records) const;

  const JournalOptions options_;
  int lock_fd_ = -1;
  std::vector<state::StateBatch> recovered_;  // Until Replay.

  mutable absl::Mutex mu_;
  absl::CondVar synced_cv_;  // Signalled whenever a flush ends.
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;
  int journal_fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t journal_number_ ABSL_GUARDED_BY(mu_) = 0;
  std::string queued_ ABSL_GUARDED_BY(mu_);
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;  // Sequence of the last batch queued.
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;   // Sequence of the last batch on disk.
  uint64_t journal_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  StoreStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_JOURNAL_STORE_H_
