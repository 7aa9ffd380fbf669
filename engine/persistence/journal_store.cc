#include "engine/persistence/journal_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/base/status_macros.h"
#include "engine/persistence/utf8_repair.h"
#include "google/protobuf/io/coded_stream.h"

namespace webhooks {

namespace {

using engine_internal::FrameRecord;
using engine_internal::kMaxRecordBytes;
using engine_internal::ReadRecords;

// The most bytes a state record's tag and length add to it inside a StateBatch.
constexpr uint64_t kMaxRecordOverhead = 1 + 10;

// Appends `record`, a serialized state::StateRecord, to `batch`, a serialized state::StateBatch.
void AppendRecord(absl::string_view record, std::string* batch) {
  uint8_t length[10];
  const uint8_t* const end =
      google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(record.size(), length);
  batch->push_back('\x0a');  // Field 1 (records), length-delimited.
  batch->append(reinterpret_cast<const char*>(length), end - length);
  batch->append(record.data(), record.size());
}

absl::Status ErrnoError(absl::string_view what, absl::string_view path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoError("cannot open directory", directory);
  const int result = ::fsync(fd);
  ::close(fd);
  if (result != 0) return ErrnoError("cannot sync directory", directory);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("cannot read", path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The numbers of the files named "<kind>-<number>" in `directory`, ascending.
std::vector<uint64_t> FilesOf(const std::string& directory, absl::string_view kind) {
  std::vector<uint64_t> numbers;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    uint64_t number = 0;
    if (absl::StartsWith(name, absl::StrCat(kind, "-")) &&
        absl::SimpleAtoi(absl::string_view(name).substr(kind.size() + 1), &number)) {
      numbers.push_back(number);
    }
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// The batch `payload` holds. A string field that is not valid UTF-8 (written before the engine
// cleaned text from outside) has its bad bytes replaced, and counts in `*repaired`.
absl::StatusOr<state::StateBatch> ParseBatch(absl::string_view payload, int* repaired) {
  state::StateBatch batch;
  if (!engine_internal::ParseRepairingUtf8(payload, batch, repaired)) {
    return absl::DataLossError("a record does not hold a StateBatch");
  }
  return batch;
}

// Creates `directory` with mode 0700 if it is missing (the journal holds webhooks' secrets), and
// its parents as the umask allows; an existing one that its group or others may use is narrowed
// to its owner, and the returned note says so ("" otherwise).
absl::StatusOr<std::string> CreateDataDirectory(const std::string& directory) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::path(directory).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // "state/" is "state".
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (!error && ::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    error = std::error_code(errno, std::generic_category());
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory ", directory, ": ", error.message()));
  }
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return ErrnoError("cannot stat", directory);
  if ((info.st_mode & 077) == 0) return std::string();
  if (::chmod(path.c_str(), info.st_mode & 0700) != 0) return ErrnoError("cannot chmod", directory);
  return absl::StrFormat("data directory %s was mode %04o: narrowed to %04o", directory,
                         info.st_mode & 07777, info.st_mode & 0700);
}

// Removes the "snapshot-<n>.tmp" files of snapshots a crash interrupted.
void RemoveStaleSnapshots(const std::string& directory) {
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "snapshot-") && absl::EndsWith(name, ".tmp")) {
      ::unlink(entry.path().c_str());
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<JournalStore>> JournalStore::Open(const JournalOptions& options) {
  ASSIGN_OR_RETURN(const std::string narrowed, CreateDataDirectory(options.directory));
  std::unique_ptr<JournalStore> store(new JournalStore(options));
  if (!narrowed.empty()) store->Log(narrowed);
  const std::string lock_path = options.directory + "/LOCK";
  store->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (store->lock_fd_ < 0) return ErrnoError("cannot open", lock_path);
  if (::flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("data directory ", options.directory, " is in use by another process"));
  }
  // Under the lock: a snapshot being written by another process is not stale.
  RemoveStaleSnapshots(options.directory);
  RETURN_IF_ERROR(store->Recover());
  return store;
}

JournalStore::~JournalStore() {
  absl::MutexLock lock(&mu_);
  if (journal_fd_ >= 0) ::close(journal_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // Releases the flock.
}

std::string JournalStore::PathOf(absl::string_view kind, uint64_t number) const {
  return absl::StrFormat("%s/%s-%020d", options_.directory, kind, number);
}

void JournalStore::Log(absl::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << line << std::endl;
  }
}

absl::Status JournalStore::Recover() {
  const auto log = [this](absl::string_view line) { Log(line); };
  int repaired = 0;  // Records of the current file whose text was not UTF-8.
  const auto keep = [this, &repaired](absl::string_view payload) {
    ASSIGN_OR_RETURN(state::StateBatch batch, ParseBatch(payload, &repaired));
    recovered_.push_back(std::move(batch));
    return absl::OkStatus();
  };
  const auto log_repaired = [&](const std::string& path) {
    if (repaired > 0) {
      log(absl::StrCat(path, ": ", repaired,
                       " records held text that was not UTF-8; it was replaced with U+FFFD"));
    }
    repaired = 0;
  };
  const std::vector<uint64_t> snapshots = FilesOf(options_.directory, "snapshot");
  const uint64_t base = snapshots.empty() ? 0 : snapshots.back();
  if (!snapshots.empty()) {
    const std::string path = PathOf("snapshot", base);
    ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
    RETURN_IF_ERROR(ReadRecords(contents, path, /*tail_may_be_torn=*/false, keep).status());
    log_repaired(path);
  }
  std::vector<uint64_t> journals;
  for (const uint64_t number : FilesOf(options_.directory, "journal")) {
    if (number >= base) journals.push_back(number);
  }
  uint64_t bytes = 0;
  for (size_t i = 0; i < journals.size(); ++i) {
    const std::string path = PathOf("journal", journals[i]);
    ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
    const bool last = i + 1 == journals.size();
    ASSIGN_OR_RETURN(const uint64_t valid, ReadRecords(contents, path, last, keep));
    log_repaired(path);
    if (valid < contents.size()) {
      log(absl::StrCat(path, ": dropped ", contents.size() - valid,
                       " bytes of a record cut short by a crash, at offset ", valid));
      RETURN_IF_ERROR(TruncateDurably(path, valid));
    }
    bytes += valid;
  }
  absl::MutexLock lock(&mu_);
  journal_bytes_ = bytes;
  const uint64_t next = std::max(base, journals.empty() ? 0 : journals.back()) + 1;
  return OpenJournal(next);
}

absl::Status JournalStore::TruncateDurably(const std::string& path, uint64_t size) const {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  absl::Status truncated = absl::OkStatus();
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    truncated = ErrnoError("cannot truncate", path);
  }
  // Synced before anything is appended after it: else a crash could bring the torn bytes back
  // in front of the new records. The file's name does not change, so its directory need not be.
  if (truncated.ok()) truncated = SyncFile(fd, path);
  ::close(fd);
  return truncated;
}

absl::Status JournalStore::OpenJournal(uint64_t number) {
  const std::string path = PathOf("journal", number);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create", path);
  RETURN_IF_ERROR(SyncDirectory(options_.directory));
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = fd;
  journal_number_ = number;
  return absl::OkStatus();
}

absl::Status JournalStore::Replay(
    const std::function<absl::Status(const state::StateBatch&)>& apply) {
  std::vector<state::StateBatch> batches = std::move(recovered_);
  recovered_.clear();
  for (const state::StateBatch& batch : batches) RETURN_IF_ERROR(apply(batch));
  return absl::OkStatus();
}

uint64_t JournalStore::Write(const state::StateBatch& batch) {
  std::string payload;
  // SerializeAsString would answer "" for a batch over 2 GiB: a change lost without a word.
  const bool serialized = batch.SerializeToString(&payload) && payload.size() <= kMaxRecordBytes;
  const std::string record = serialized ? FrameRecord(payload) : "";
  absl::MutexLock lock(&mu_);
  if (!serialized && failure_.ok()) {
    // The change is already applied in memory; recording the ones after it without it would
    // replay a different state, so the store stops instead.
    failure_ = absl::UnavailableError(
        absl::StrCat("the store stopped writing: a batch of ", batch.ByteSizeLong(),
                     " bytes is over the 1 GiB a journal record may hold"));
  }
  if (failure_.ok()) queued_.append(record);  // Else it would never be written.
  return ++written_;
}

absl::Status JournalStore::WriteAll(int fd, absl::string_view path, absl::string_view data) const {
  while (!data.empty()) {
    const ssize_t written = options_.write_for_testing ? options_.write_for_testing(fd, path, data)
                                                       : ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    data.remove_prefix(written);
  }
  return absl::OkStatus();
}

absl::Status JournalStore::SyncFile(int fd, absl::string_view path) const {
  const int result =
      options_.sync_for_testing ? options_.sync_for_testing(fd, path) : ::fdatasync(fd);
  if (result != 0) return ErrnoError("cannot sync", path);
  return absl::OkStatus();
}

absl::Status JournalStore::Flush(int fd, const std::string& path, const std::string& data) const {
  struct stat before;
  if (::fstat(fd, &before) != 0) return ErrnoError("cannot stat", path);
  absl::Status flushed = WriteAll(fd, path, data);
  if (flushed.ok()) flushed = SyncFile(fd, path);
  if (!flushed.ok()) {
    // A part of the batches may have reached the file: left there, it would be replayed
    // although it was never acknowledged, or read as a corrupt record once the file grows.
    if (::ftruncate(fd, before.st_size) != 0 || !SyncFile(fd, path).ok()) {
      return absl::UnavailableError(
          absl::StrCat(flushed.message(), "; and the partial write could not be removed"));
    }
  }
  return flushed;
}

absl::Status JournalStore::FlushQueued() {
  // One thread flushes at a time; it takes everything queued so far, so the threads waiting
  // behind it usually find their batches on disk when it is done (group commit).
  while (flushing_) synced_cv_.Wait(&mu_);
  // After a failed write the journal's end is not trusted: nothing more is appended.
  if (!failure_.ok()) return failure_;
  flushing_ = true;
  std::string data;
  data.swap(queued_);
  const uint64_t last = written_;
  const int fd = journal_fd_;
  const std::string path = PathOf("journal", journal_number_);
  const Clock& clock = options_.clock != nullptr ? *options_.clock : *SystemClock();
  mu_.Unlock();
  const absl::Time start = clock.Now();
  const absl::Status flushed = Flush(fd, path, data);
  const absl::Duration took = clock.Now() - start;
  mu_.Lock();
  flushing_ = false;
  synced_cv_.SignalAll();
  if (!flushed.ok()) {
    failure_ =
        absl::UnavailableError(absl::StrCat("the store stopped writing: ", flushed.message()));
    return failure_;
  }
  synced_ = std::max(synced_, last);
  journal_bytes_ += data.size();
  stats_.AddSync(took);
  return absl::OkStatus();
}

absl::Status JournalStore::Sync(uint64_t sequence) {
  absl::MutexLock lock(&mu_);
  while (failure_.ok() && synced_ < sequence) {
    if (flushing_) {
      synced_cv_.Wait(&mu_);
    } else {
      FlushQueued().IgnoreError();  // The failure is in failure_.
    }
  }
  return failure_;
}

bool JournalStore::WantsSnapshot() const {
  absl::MutexLock lock(&mu_);
  return journal_bytes_ >= options_.snapshot_after_bytes;
}

uint64_t JournalStore::StartSnapshot() {
  // Everything queued belongs before the snapshot point: flush it into the current journal,
  // then start the next one.
  absl::MutexLock lock(&mu_);
  if (!FlushQueued().ok()) return 0;
  while (flushing_) synced_cv_.Wait(&mu_);
  if (!OpenJournal(journal_number_ + 1).ok()) {
    failure_ = absl::UnavailableError("the store stopped writing: cannot start a new journal");
    return 0;
  }
  journal_bytes_ = 0;
  return journal_number_;
}

absl::StatusOr<uint64_t> JournalStore::WriteSnapshot(
    const std::string& path, const std::vector<state::StateBatch>& state) const {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create", path);
  // The batches are regrouped: a snapshot is replayed whole or not at all, so where one record
  // ends does not matter, but each must stay well below what a reader accepts.
  std::string payload;  // A serialized StateBatch: each record as field 1.
  uint64_t records = 0;
  absl::Status written = absl::OkStatus();
  const auto flush = [&] {
    if (written.ok() && !payload.empty()) written = WriteAll(fd, path, FrameRecord(payload));
    payload.clear();
  };
  std::string bytes;
  for (const state::StateBatch& batch : state) {
    for (const state::StateRecord& record : batch.records()) {
      if (!written.ok()) break;
      bytes.clear();
      if (!record.SerializeToString(&bytes) ||
          bytes.size() + kMaxRecordOverhead > kMaxRecordBytes) {
        written = absl::ResourceExhaustedError(
            absl::StrCat(path, ": a state record of ", record.ByteSizeLong(),
                         " bytes is over the 1 GiB a journal record may hold"));
        break;
      }
      if (payload.size() + bytes.size() + kMaxRecordOverhead > options_.snapshot_record_bytes) {
        flush();
      }
      AppendRecord(bytes, &payload);
      ++records;
    }
  }
  flush();
  if (written.ok()) written = SyncFile(fd, path);
  ::close(fd);
  if (!written.ok()) return written;
  return records;
}

absl::Status JournalStore::CheckSnapshot(const std::string& path, uint64_t records) const {
  ASSIGN_OR_RETURN(const std::string contents, ReadFile(path));
  uint64_t read = 0;
  RETURN_IF_ERROR(
      ReadRecords(contents, path, /*tail_may_be_torn=*/false, [&](absl::string_view payload) {
        state::StateBatch batch;
        if (!batch.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          return absl::DataLossError(absl::StrCat(path, ": a record does not hold a StateBatch"));
        }
        read += batch.records_size();
        return absl::OkStatus();
      }).status());
  if (read != records) {
    return absl::DataLossError(
        absl::StrCat(path, ": read back ", read, " state records of the ", records, " written"));
  }
  return absl::OkStatus();
}

absl::Status JournalStore::FinishSnapshot(uint64_t snapshot,
                                          const std::vector<state::StateBatch>& state) {
  if (snapshot == 0) return absl::UnavailableError("the snapshot could not start");
  const std::string path = PathOf("snapshot", snapshot);
  const std::string temporary = path + ".tmp";
  // The files the snapshot replaces go only once it has been read back whole: a snapshot that
  // cannot be read would otherwise take every older record with it.
  absl::StatusOr<uint64_t> records = WriteSnapshot(temporary, state);
  absl::Status written = records.status();
  if (written.ok()) written = CheckSnapshot(temporary, *records);
  std::error_code size_error;
  const uintmax_t bytes = std::filesystem::file_size(temporary, size_error);
  if (written.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = ErrnoError("cannot rename", temporary);
  }
  if (!written.ok()) {
    ::unlink(temporary.c_str());
    return written;
  }
  RETURN_IF_ERROR(SyncDirectory(options_.directory));
  // The snapshot stands in for every older file now.
  for (const absl::string_view kind : {"journal", "snapshot"}) {
    for (const uint64_t number : FilesOf(options_.directory, kind)) {
      if (number < snapshot) ::unlink(PathOf(kind, number).c_str());
    }
  }
  absl::MutexLock lock(&mu_);
  stats_.AddSnapshot(size_error ? 0 : bytes);
  return absl::OkStatus();
}

StoreStats JournalStore::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace webhooks
