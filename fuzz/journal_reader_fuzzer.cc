// Fuzzes the journal reader (engine/persistence/journal_store.h): engine_internal::ReadRecords on
// the input, and JournalStore::Open + Replay on a fresh directory whose only file is the input as
// journal-00000000000000000001.
// Properties:
//   - ReadRecords (tail_may_be_torn true and false) never crashes and returns a count no larger
//     than the input, which is the sum of the framed sizes of the records it yielded; a payload
//     that does not parse as state::StateBatch, even with its strings made UTF-8, makes the
//     callback fail, and that error comes back;
//   - without a torn tail allowed, success means the whole input was read;
//   - Open + Replay either succeed or fail with kDataLoss or kUnavailable, and a store that opens
//     replays exactly the batches ReadRecords(tail_may_be_torn=true) yields.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/persistence/journal_store.h"
#include "engine/persistence/utf8_repair.h"
#include "proto/state.pb.h"

namespace {

constexpr uint64_t kHeaderBytes = 12;

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "journal_reader_fuzzer: %s\n  status: %s\n", what.c_str(),
               status.ToString().c_str());
  std::abort();
}

const std::string& BaseDirectory() {
  static const std::string* const base = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "journal_fuzz.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    return new std::string(pattern);
  }();
  return *base;
}

// Runs ReadRecords; returns the batches that parsed (all of them, unless it failed).
absl::StatusOr<uint64_t> Read(absl::string_view contents, bool torn,
                              std::vector<std::string>* payloads) {
  uint64_t framed = 0;
  bool callback_failed = false;
  const absl::StatusOr<uint64_t> read = webhooks::engine_internal::ReadRecords(
      contents, "fuzz-journal", torn, [&](absl::string_view payload) {
        webhooks::state::StateBatch batch;
        // As the store does: a batch whose strings are not UTF-8 is read with them repaired.
        const std::optional<std::string> repaired = webhooks::engine_internal::RepairUtf8(
            *webhooks::state::StateBatch::descriptor(), payload);
        if (!batch.ParseFromArray(payload.data(), static_cast<int>(payload.size())) &&
            !(repaired.has_value() && batch.ParseFromString(*repaired))) {
          callback_failed = true;
          return absl::DataLossError("payload is not a StateBatch");
        }
        framed += kHeaderBytes + payload.size();
        payloads->push_back(std::string(payload));
        return absl::OkStatus();
      });
  if (read.ok()) {
    if (callback_failed) Fail("ReadRecords succeeded although the callback failed", read.status());
    if (*read > contents.size())
      Fail(absl::StrCat("count ", *read, " > size ", contents.size()), read.status());
    if (*read != framed)
      Fail(absl::StrCat("count ", *read, " != framed bytes ", framed), read.status());
    if (!torn && *read != contents.size()) Fail("strict read left bytes unread", read.status());
  } else if (callback_failed && read.status().message() != "payload is not a StateBatch") {
    Fail("callback error not returned", read.status());
  } else if (!callback_failed && read.status().code() != absl::StatusCode::kDataLoss) {
    Fail("ReadRecords error is not kDataLoss", read.status());
  }
  return read;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view contents(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> strict_payloads, torn_payloads;
  const absl::StatusOr<uint64_t> strict = Read(contents, false, &strict_payloads);
  const absl::StatusOr<uint64_t> torn = Read(contents, true, &torn_payloads);
  if (strict.ok() && (!torn.ok() || *torn != *strict)) {
    Fail("a strict read succeeds but the torn-tail read differs", torn.status());
  }

  // The whole store.
  const std::string directory = BaseDirectory() + "/store";
  std::error_code error;
  std::filesystem::remove_all(directory, error);
  std::filesystem::create_directories(directory, error);
  {
    std::ofstream out(directory + "/journal-00000000000000000001", std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) Fail("cannot write the journal", absl::OkStatus());
  }
  webhooks::JournalOptions options;
  options.directory = directory;
  options.log = [](absl::string_view) {};
  absl::StatusOr<std::unique_ptr<webhooks::JournalStore>> store =
      webhooks::JournalStore::Open(options);
  if (!store.ok()) {
    const absl::StatusCode code = store.status().code();
    if (code != absl::StatusCode::kDataLoss && code != absl::StatusCode::kUnavailable) {
      Fail("Open failed with an unexpected code", store.status());
    }
    if (torn.ok()) Fail("Open failed although the torn-tail read succeeds", store.status());
  } else {
    std::vector<std::string> replayed;
    const absl::Status replay = (*store)->Replay([&](const webhooks::state::StateBatch& batch) {
      replayed.push_back(batch.SerializeAsString());
      return absl::OkStatus();
    });
    if (!replay.ok() && replay.code() != absl::StatusCode::kDataLoss &&
        replay.code() != absl::StatusCode::kUnavailable) {
      Fail("Replay failed with an unexpected code", replay);
    }
    if (!torn.ok()) Fail("Open succeeded although the torn-tail read fails", torn.status());
    if (replay.ok() && replayed.size() != torn_payloads.size()) {
      Fail(absl::StrCat("replayed ", replayed.size(), " batches, read ", torn_payloads.size()),
           replay);
    }
  }
  store = absl::UnavailableError("closed");  // Release the lock before the next input.
  std::filesystem::remove_all(directory, error);
  return 0;
}
