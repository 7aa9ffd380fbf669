#include "engine/persistence/journal_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using engine_internal::FrameRecord;
using engine_internal::ReadRecords;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::webhooks::testing::StatusIs;

state::StateBatch Delete(const std::string& id) {
  state::StateBatch batch;
  batch.add_records()->set_delete_webhook(id);
  return batch;
}

class JournalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        absl::StrCat(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp", "/journal-",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
  }

  absl::StatusOr<std::unique_ptr<JournalStore>> Open() { return JournalStore::Open(Options()); }

  JournalOptions Options() {
    JournalOptions options;
    options.directory = directory_;
    options.snapshot_after_bytes = 1 << 20;
    options.log = [this](absl::string_view line) { log_.emplace_back(line); };
    return options;
  }

  // Ids of the delete records the store replays, in order.
  std::vector<std::string> Replayed(StateStore& store) {
    std::vector<std::string> ids;
    EXPECT_OK(store.Replay([&](const state::StateBatch& batch) {
      for (const auto& record : batch.records()) ids.push_back(record.delete_webhook());
      return absl::OkStatus();
    }));
    return ids;
  }

  std::vector<std::string> Files() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string Journal(int number) {
    char name[64];
    std::snprintf(name, sizeof(name), "/journal-%020d", number);
    return directory_ + name;
  }

  void Append(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
  }

  std::string directory_;
  std::vector<std::string> log_;
};

// Journals hold serialized StateBatch records. Their messages moved from webhooks.v1 to
// webhooks.state without changing a field number, so journals written before still replay;
// these bytes pin that wire format.
TEST(StateRecordsTest, WireFormatIsThatOfTheJournalsOnDisk) {
  const std::string bytes(
      "\x0a\x04\x12\x02w1"                  // delete_webhook "w1"
      "\x0a\x07\x3a\x05\x0a\x01j\x18\x02",  // update_job {id j, try 2}
      15);
  state::StateBatch batch;
  ASSERT_TRUE(batch.ParseFromString(bytes));
  ASSERT_EQ(batch.records_size(), 2);
  EXPECT_EQ(batch.records(0).delete_webhook(), "w1");
  EXPECT_EQ(batch.records(1).update_job().id(), "j");
  EXPECT_EQ(batch.records(1).update_job().try_count(), 2);
  EXPECT_EQ(batch.SerializeAsString(), bytes);
}

TEST(ReadRecordsTest, ReadsFramedRecords) {
  const std::string contents = FrameRecord("one") + FrameRecord("") + FrameRecord("three");
  std::vector<std::string> seen;
  ASSERT_OK_AND_ASSIGN(uint64_t valid, ReadRecords(contents, "f", false, [&](absl::string_view p) {
                         seen.emplace_back(p);
                         return absl::OkStatus();
                       }));
  EXPECT_EQ(valid, contents.size());
  EXPECT_THAT(seen, ElementsAre("one", "", "three"));
  EXPECT_EQ(FrameRecord("123456789").substr(8, 4), std::string("\x83\x92\x06\xe3", 4));
}

TEST(ReadRecordsTest, TornTailOnlyWhereAllowed) {
  const std::string good = FrameRecord("one");
  const std::string torn = good + FrameRecord("two").substr(0, 13);
  const auto ignore = [](absl::string_view) { return absl::OkStatus(); };
  ASSERT_OK_AND_ASSIGN(uint64_t valid, ReadRecords(torn, "j", true, ignore));
  EXPECT_EQ(valid, good.size());
  EXPECT_THAT(ReadRecords(torn, "snap", false, ignore),
              StatusIs(absl::StatusCode::kDataLoss, "snap: truncated record at offset 15"));
  // A zero-filled end.
  ASSERT_OK_AND_ASSIGN(valid, ReadRecords(good + std::string(40, '\0'), "j", true, ignore));
  EXPECT_EQ(valid, good.size());
  // A short header at the end.
  ASSERT_OK_AND_ASSIGN(valid, ReadRecords(good + "\x05\x00", "j", true, ignore));
  EXPECT_EQ(valid, good.size());
}

TEST(ReadRecordsTest, CorruptionInTheMiddleIsAnError) {
  const std::string contents = FrameRecord("one") + FrameRecord("two") + FrameRecord("three");
  const auto ignore = [](absl::string_view) { return absl::OkStatus(); };
  std::string bad_payload = contents;
  bad_payload[15 + 12] ^= 0x01;  // A payload byte of "two".
  EXPECT_THAT(
      ReadRecords(bad_payload, "journal-7", true, ignore),
      StatusIs(absl::StatusCode::kDataLoss, "journal-7: record checksum mismatch at offset 15"));
  // A damaged length must not pass for a torn tail, though it points past the end.
  std::string bad_length = contents;
  bad_length[15 + 3] = '\x7f';
  EXPECT_THAT(ReadRecords(bad_length, "journal-7", true, ignore),
              StatusIs(absl::StatusCode::kDataLoss,
                       "journal-7: record header checksum mismatch at offset 15"));
  // The same damage in the last record, ending the file, is a torn write.
  std::string tail = FrameRecord("one") + FrameRecord("two");
  tail.back() ^= 0x01;
  ASSERT_OK_AND_ASSIGN(uint64_t valid, ReadRecords(tail, "j", true, ignore));
  EXPECT_EQ(valid, 15u);
}

TEST_F(JournalStoreTest, WritesSurviveReopening) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    EXPECT_THAT(Replayed(*store), ElementsAre());
    store->Write(Delete("a"));
    const uint64_t b = store->Write(Delete("b"));
    ASSERT_OK(store->Sync(b));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("a", "b"));
  ASSERT_OK(store->Sync(store->Write(Delete("c"))));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("a", "b", "c"));
}

TEST_F(JournalStoreTest, UnsyncedWritesAreNotOnDisk) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(Delete("kept"))));
    store->Write(Delete("lost"));  // Never synced: as if the process died here.
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("kept"));
}

TEST_F(JournalStoreTest, SecondProcessIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kFailedPrecondition,
                               absl::StrCat("data directory ", directory_,
                                            " is in use by another process")));
}

TEST_F(JournalStoreTest, TornTailIsTruncatedAndLogged) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(Delete("a"))));
  }
  Append(Journal(1), FrameRecord(Delete("half").SerializeAsString()).substr(0, 10));
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    EXPECT_THAT(Replayed(*store), ElementsAre("a"));
    ASSERT_EQ(log_.size(), 1u);
    EXPECT_THAT(log_[0], HasSubstr("dropped 10 bytes of a record cut short by a crash"));
    ASSERT_OK(store->Sync(store->Write(Delete("b"))));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("a", "b"));
}

TEST_F(JournalStoreTest, TheRecoveryTruncationIsSynced) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(Delete("a"))));
  }
  Append(Journal(1), FrameRecord(Delete("half").SerializeAsString()).substr(0, 10));
  JournalOptions options = Options();
  std::vector<std::string> synced;
  options.sync_for_testing = [&](int fd, absl::string_view path) {
    synced.emplace_back(path);
    return ::fdatasync(fd);
  };
  ASSERT_OK_AND_ASSIGN(auto store, JournalStore::Open(options));
  EXPECT_THAT(synced, ElementsAre(Journal(1)));
  EXPECT_EQ(std::filesystem::file_size(Journal(1)),
            FrameRecord(Delete("a").SerializeAsString()).size());
}

// A write that fails halfway leaves nothing of its batches, and the store writes nothing more:
// not the next batches, not the records a snapshot would flush.
TEST_F(JournalStoreTest, AFailedWriteIsCutBackAndEndsWriting) {
  JournalOptions options = Options();
  int writes = 0;
  bool fail = false;
  options.write_for_testing = [&](int fd, absl::string_view, absl::string_view data) -> ssize_t {
    ++writes;
    if (!fail) return ::write(fd, data.data(), data.size());
    EXPECT_EQ(::write(fd, data.data(), 7), 7);  // Part of it lands, then the disk is full.
    errno = ENOSPC;
    return -1;
  };
  {
    ASSERT_OK_AND_ASSIGN(auto store, JournalStore::Open(options));
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(Delete("a"))));
    const uint64_t size = std::filesystem::file_size(Journal(1));
    fail = true;
    const absl::Status stopped = absl::UnavailableError(absl::StrCat(
        "the store stopped writing: cannot write ", Journal(1), ": No space left on device"));
    EXPECT_THAT(store->Sync(store->Write(Delete("b"))),
                StatusIs(stopped.code(), stopped.message()));
    EXPECT_EQ(std::filesystem::file_size(Journal(1)), size);
    EXPECT_EQ(writes, 2);
    fail = false;  // Even if the disk has room again.
    EXPECT_THAT(store->Sync(store->Write(Delete("c"))),
                StatusIs(stopped.code(), stopped.message()));
    EXPECT_EQ(store->StartSnapshot(), 0u);
    EXPECT_EQ(writes, 2);
    EXPECT_EQ(std::filesystem::file_size(Journal(1)), size);
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("a"));
  EXPECT_THAT(log_, ::testing::IsEmpty());  // No torn tail to drop.
}

TEST_F(JournalStoreTest, AFailedSyncIsCutBackToo) {
  JournalOptions options = Options();
  bool fail = false;
  options.sync_for_testing = [&](int fd, absl::string_view) {
    if (!fail) return ::fdatasync(fd);
    fail = false;  // The sync after the truncation works.
    errno = EIO;
    return -1;
  };
  ASSERT_OK_AND_ASSIGN(auto store, JournalStore::Open(options));
  Replayed(*store);
  ASSERT_OK(store->Sync(store->Write(Delete("a"))));
  const uint64_t size = std::filesystem::file_size(Journal(1));
  fail = true;
  EXPECT_THAT(store->Sync(store->Write(Delete("b"))),
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("the store stopped writing: cannot sync ", Journal(1),
                                    ": Input/output error")));
  EXPECT_EQ(std::filesystem::file_size(Journal(1)), size);
}

TEST_F(JournalStoreTest, OpenRemovesSnapshotsACrashLeftHalfWritten) {
  ASSERT_OK(Open().status());
  Append(directory_ + "/snapshot-00000000000000000002.tmp", "half a snapshot");
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Files(),
              ElementsAre("LOCK", "journal-00000000000000000001", "journal-00000000000000000002"));
}

TEST_F(JournalStoreTest, TheDataDirectoryIsPrivate) {
  directory_ += "/state/webhookd/";  // As a flag may name it.
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  struct stat info;
  ASSERT_EQ(::stat(directory_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700);
}

TEST_F(JournalStoreTest, AnExistingDataDirectoryOthersMayReadIsNarrowed) {
  ASSERT_EQ(::mkdir(directory_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(directory_.c_str(), 02775), 0);  // Whatever the umask: setgid, group write.
  ASSERT_OK(Open().status());
  struct stat info;
  ASSERT_EQ(::stat(directory_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700);
  EXPECT_THAT(log_, ElementsAre(absl::StrCat("data directory ", directory_,
                                             " was mode 2775: narrowed to 0700")));
}

TEST_F(JournalStoreTest, CorruptRecordStopsTheOpenAndChangesNothing) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(Delete("a"))));
    ASSERT_OK(store->Sync(store->Write(Delete("b"))));
  }
  {
    std::fstream file(Journal(1), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(10);
    file.put('\x7f');
  }
  const auto before = Files();
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss,
                               absl::StrCat(Journal(1), ": record checksum mismatch at offset 0")));
  EXPECT_EQ(Files(), before);
}

// Before the engine cleaned text from outside, a receiver's reply could reach a string field
// as it came. Protobuf wrote such records but would not parse them, and the open failed.
TEST_F(JournalStoreTest, OpensAJournalWhoseTextIsNotUtf8) {
  state::StateBatch batch;
  state::JobUpdate* update = batch.add_records()->mutable_update_job();
  update->set_id("j1");
  update->set_try_count(2);
  update->set_detail("HTTP 500: caf\xE9");  // Latin-1.
  v1::ChannelHistoryJob* job = batch.add_records()->mutable_put_job()->mutable_record();
  job->set_id("j2");
  job->set_detail("HTTP 502: \xE2\x82");  // Cut inside a euro sign.
  batch.add_records()->mutable_put_job()->set_body("\xFF\xFE binary body");  // bytes: kept.
  batch.add_records()->set_delete_webhook("w1");
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(batch)));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  std::vector<state::StateBatch> replayed;
  ASSERT_OK(store->Replay([&](const state::StateBatch& batch) {
    replayed.push_back(batch);
    return absl::OkStatus();
  }));
  ASSERT_EQ(replayed.size(), 1u);
  ASSERT_EQ(replayed[0].records_size(), 4);
  EXPECT_EQ(replayed[0].records(0).update_job().id(), "j1");
  EXPECT_EQ(replayed[0].records(0).update_job().try_count(), 2);
  EXPECT_EQ(replayed[0].records(0).update_job().detail(), "HTTP 500: caf\xEF\xBF\xBD");
  EXPECT_EQ(replayed[0].records(1).put_job().record().id(), "j2");
  EXPECT_EQ(replayed[0].records(1).put_job().record().detail(), "HTTP 502: \xEF\xBF\xBD");
  EXPECT_EQ(replayed[0].records(2).put_job().body(), "\xFF\xFE binary body");
  EXPECT_EQ(replayed[0].records(3).delete_webhook(), "w1");
  EXPECT_THAT(log_,
              ElementsAre(absl::StrCat(Journal(1),
                                       ": 1 records held text that was not UTF-8; it was replaced "
                                       "with U+FFFD")));
}

TEST_F(JournalStoreTest, ARecordThatIsNotABatchIsStillDataLoss) {
  Open().IgnoreError();  // Creates the directory.
  std::filesystem::remove(Journal(1));
  Append(Journal(1), FrameRecord("\x0a\x05\x12\x09w"));  // A length past the end.
  EXPECT_THAT(Open(), StatusIs(absl::StatusCode::kDataLoss, "a record does not hold a StateBatch"));
}

TEST_F(JournalStoreTest, SnapshotReplacesOlderFiles) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  Replayed(*store);
  ASSERT_OK(store->Sync(store->Write(Delete("old-1"))));
  ASSERT_OK(store->Sync(store->Write(Delete("old-2"))));
  const uint64_t snapshot = store->StartSnapshot();
  ASSERT_OK(store->Sync(store->Write(Delete("after"))));  // Written while the snapshot is made.
  ASSERT_OK(store->FinishSnapshot(snapshot, {Delete("state")}));
  EXPECT_THAT(Files(),
              ElementsAre("LOCK", "journal-00000000000000000002", "snapshot-00000000000000000002"));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("state", "after"));
}

// Each flush of the journal (write and fdatasync) is one sync, timed on the injected clock; a
// snapshot is counted with the size of its file.
TEST_F(JournalStoreTest, StatsCountSyncsAndSnapshots) {
  testing::FakeClock clock;
  JournalOptions options = Options();
  options.clock = &clock;
  options.sync_for_testing = [&](int fd, absl::string_view path) {
    if (absl::StrContains(path, "journal-")) clock.Advance(absl::Milliseconds(3));
    return ::fdatasync(fd);
  };
  ASSERT_OK_AND_ASSIGN(auto store, JournalStore::Open(options));
  Replayed(*store);
  const StoreStats opened = store->Stats();
  EXPECT_EQ(opened.syncs, 0u);
  EXPECT_EQ(opened.snapshots, 0u);
  EXPECT_EQ(opened.last_snapshot_bytes, 0u);
  store->Write(Delete("a"));
  ASSERT_OK(store->Sync(store->Write(Delete("b"))));  // One flush for both.
  const uint64_t snapshot = store->StartSnapshot();   // Flushes the (empty) queue: a sync.
  ASSERT_OK(store->FinishSnapshot(snapshot, {Delete("state")}));
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.syncs, 2u);
  EXPECT_DOUBLE_EQ(stats.sync_seconds_sum, 0.006);
  for (size_t i = 0; i < std::size(StoreStats::kSyncSecondsBounds); ++i) {
    EXPECT_EQ(stats.sync_seconds_buckets[i], StoreStats::kSyncSecondsBounds[i] == 0.005 ? 2u : 0u)
        << StoreStats::kSyncSecondsBounds[i];
  }
  EXPECT_EQ(stats.snapshots, 1u);
  EXPECT_EQ(stats.last_snapshot_bytes,
            std::filesystem::file_size(directory_ + "/snapshot-00000000000000000002"));
  EXPECT_GT(stats.last_snapshot_bytes, 0u);
}

// A snapshot in one record could outgrow the 1 GiB a reader accepts; its records are bounded.
TEST_F(JournalStoreTest, SnapshotRecordsAreBoundedByBytes) {
  JournalOptions options = Options();
  options.snapshot_record_bytes = 1000;
  ASSERT_OK_AND_ASSIGN(auto store, JournalStore::Open(options));
  Replayed(*store);
  state::StateBatch batch;
  for (int i = 0; i < 10; ++i) {
    batch.add_records()->set_delete_webhook(absl::StrCat(i, std::string(300, 'x')));
  }
  batch.add_records()->set_delete_webhook(std::string(2000, 'y'));  // Alone in its record.
  ASSERT_OK(store->FinishSnapshot(store->StartSnapshot(), {batch, Delete("last")}));
  ASSERT_OK_AND_ASSIGN(const std::string contents, [&]() -> absl::StatusOr<std::string> {
    std::ifstream in(directory_ + "/snapshot-00000000000000000002", std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }());
  std::vector<size_t> sizes;
  ASSERT_OK(ReadRecords(contents, "snapshot", false, [&](absl::string_view payload) {
              sizes.push_back(payload.size());
              return absl::OkStatus();
            }).status());
  // Three state records of 307 bytes each (with their tags and lengths) fit in 1000 bytes.
  EXPECT_THAT(sizes, ElementsAre(921, 921, 921, 307, 2006, 8));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Open());
  const std::vector<std::string> ids = Replayed(*store);
  ASSERT_EQ(ids.size(), 12u);
  EXPECT_EQ(ids[0], "0" + std::string(300, 'x'));
  EXPECT_EQ(ids[9], "9" + std::string(300, 'x'));
  EXPECT_EQ(ids[11], "last");
}

// A snapshot that does not read back as written is dropped, and the files it would have
// replaced stay.
TEST_F(JournalStoreTest, ASnapshotThatDoesNotReadBackReplacesNothing) {
  JournalOptions options = Options();
  options.write_for_testing = [](int fd, absl::string_view path, absl::string_view data) {
    std::string bytes(data);
    if (absl::EndsWith(path, ".tmp")) bytes.back() ^= 1;  // A disk that garbles silently.
    return ::write(fd, bytes.data(), bytes.size());
  };
  {
    ASSERT_OK_AND_ASSIGN(auto store, JournalStore::Open(options));
    Replayed(*store);
    ASSERT_OK(store->Sync(store->Write(Delete("a"))));
    const uint64_t snapshot = store->StartSnapshot();
    ASSERT_OK(store->Sync(store->Write(Delete("b"))));
    EXPECT_THAT(store->FinishSnapshot(snapshot, {Delete("a")}),
                StatusIs(absl::StatusCode::kDataLoss,
                         absl::StrCat(directory_,
                                      "/snapshot-00000000000000000002.tmp: record checksum "
                                      "mismatch at offset 0")));
    EXPECT_THAT(Files(), ElementsAre("LOCK", "journal-00000000000000000001",
                                     "journal-00000000000000000002"));
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  EXPECT_THAT(Replayed(*store), ElementsAre("a", "b"));
}

TEST_F(JournalStoreTest, WantsSnapshotOnceTheJournalIsLong) {
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  Replayed(*store);
  EXPECT_FALSE(store->WantsSnapshot());
  const std::string big(600 << 10, 'x');
  ASSERT_OK(store->Sync(store->Write(Delete(big))));
  EXPECT_FALSE(store->WantsSnapshot());
  ASSERT_OK(store->Sync(store->Write(Delete(big))));
  EXPECT_TRUE(store->WantsSnapshot());
  ASSERT_OK(store->FinishSnapshot(store->StartSnapshot(), {}));
  EXPECT_FALSE(store->WantsSnapshot());
}

TEST_F(JournalStoreTest, ConcurrentWritersAllLand) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, Open());
    Replayed(*store);
    std::vector<std::thread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          EXPECT_OK(store->Sync(store->Write(Delete(absl::StrCat(t, "-", i)))));
        }
      });
    }
    for (auto& writer : writers) writer.join();
  }
  ASSERT_OK_AND_ASSIGN(auto store, Open());
  const std::vector<std::string> ids = Replayed(*store);
  EXPECT_EQ(ids.size(), 400u);
  // Each writer's records keep their order.
  for (int t = 0; t < 8; ++t) {
    int next = 0;
    for (const std::string& id : ids) {
      if (absl::StartsWith(id, absl::StrCat(t, "-"))) {
        EXPECT_EQ(id, absl::StrCat(t, "-", next++));
      }
    }
    EXPECT_EQ(next, 50);
  }
}

}  // namespace
}  // namespace webhooks
