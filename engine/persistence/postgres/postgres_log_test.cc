#include "engine/persistence/postgres/postgres_log.h"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/persistence/postgres/postgres_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/state.pb.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::webhooks::testing::FakeClock;
using ::webhooks::testing::StatusIs;

// A batch that deletes webhook `tag`: enough to tell batches apart.
state::StateBatch Batch(const std::string& tag) {
  state::StateBatch batch;
  batch.add_records()->set_delete_webhook(tag);
  return batch;
}

// What ReadAfter and Load handed over: (sequence, tag of the batch's first record).
class Collector {
 public:
  PostgresLog::ApplyFn Fn() {
    return [this](uint64_t sequence, const state::StateBatch& batch) {
      seen.emplace_back(sequence,
                        batch.records_size() > 0 ? batch.records(0).delete_webhook() : "");
      return absl::OkStatus();
    };
  }
  std::vector<std::pair<uint64_t, std::string>> seen;
};

class PostgresLogTest : public PostgresTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PostgresTest::SetUp());
    ASSERT_OK_AND_ASSIGN(log_, Open());
  }

  // Snapshots drop the entries they cover at once, unless a test says otherwise.
  static PostgresLogOptions DropCoveredEntries() {
    PostgresLogOptions options;
    options.keep_entries_for = absl::ZeroDuration();
    return options;
  }

  absl::StatusOr<std::unique_ptr<PostgresLog>> Open(
      PostgresLogOptions options = DropCoveredEntries()) {
    return PostgresLog::Open(Options(&clock_), options);
  }

  FakeClock clock_;
  std::unique_ptr<PostgresLog> log_;
};

TEST_F(PostgresLogTest, AnEmptyLogLoadsNothing) {
  Collector collector;
  EXPECT_THAT(log_->Load(collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(0)));
  EXPECT_THAT(collector.seen, ElementsAre());
  EXPECT_THAT(log_->LastSequence(), ::testing::Eq(absl::StatusOr<uint64_t>(0)));
  EXPECT_THAT(log_->ReadAfter(0, collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(0)));
}

TEST_F(PostgresLogTest, ReadAfterHandsOverEntriesInOrder) {
  for (uint64_t sequence = 1; sequence <= 5; ++sequence) {
    ASSERT_OK(log_->Append(sequence, Batch(absl::StrCat("b", sequence))));
  }
  EXPECT_THAT(log_->LastSequence(), ::testing::Eq(absl::StatusOr<uint64_t>(5)));

  Collector all;
  EXPECT_THAT(log_->ReadAfter(0, all.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(5)));
  EXPECT_THAT(all.seen, ElementsAre(Pair(1, "b1"), Pair(2, "b2"), Pair(3, "b3"), Pair(4, "b4"),
                                    Pair(5, "b5")));
  Collector tail;
  EXPECT_THAT(log_->ReadAfter(3, tail.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(5)));
  EXPECT_THAT(tail.seen, ElementsAre(Pair(4, "b4"), Pair(5, "b5")));
  Collector none;
  EXPECT_THAT(log_->ReadAfter(5, none.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(5)));
  EXPECT_THAT(none.seen, ElementsAre());
  EXPECT_THAT(log_->ReadAfter(6, none.Fn()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ends at 5")));

  // Pages of two rows read the same.
  PostgresLogOptions small_pages;
  small_pages.read_page_rows = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresLog> paged, Open(small_pages));
  Collector paged_all;
  EXPECT_THAT(paged->ReadAfter(0, paged_all.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(5)));
  EXPECT_EQ(paged_all.seen, all.seen);
}

TEST_F(PostgresLogTest, ApplyErrorStopsTheRead) {
  for (uint64_t sequence = 1; sequence <= 3; ++sequence) {
    ASSERT_OK(log_->Append(sequence, Batch(absl::StrCat("b", sequence))));
  }
  std::vector<uint64_t> applied;
  EXPECT_THAT(log_->ReadAfter(0,
                              [&](uint64_t sequence, const state::StateBatch&) -> absl::Status {
                                if (sequence == 2) return absl::DataLossError("cannot apply 2");
                                applied.push_back(sequence);
                                return absl::OkStatus();
                              }),
              StatusIs(absl::StatusCode::kDataLoss, "cannot apply 2"));
  EXPECT_THAT(applied, ElementsAre(1));
}

TEST_F(PostgresLogTest, AppendRefusesATakenSequenceAndAGap) {
  ASSERT_OK(log_->Append(1, Batch("first")));
  EXPECT_THAT(log_->Append(1, Batch("again")),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("entry 1 exists")));
  EXPECT_THAT(log_->Append(3, Batch("gap")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("entry 3 after entry 1")));
  Collector collector;
  EXPECT_THAT(log_->ReadAfter(0, collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(1)));
  EXPECT_THAT(collector.seen, ElementsAre(Pair(1, "first")));
}

TEST_F(PostgresLogTest, AppendAtTheEndTakesTheNextSequenceAndNotifiesListeners) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgConnection> listener, PgConnection::Connect(Options()));
  ASSERT_OK(listener->Exec("listen", absl::StrCat("LISTEN ", kLogChannel)).status());
  EXPECT_THAT(listener->WaitForNotification(absl::ZeroDuration()),
              ::testing::Eq(absl::StatusOr<bool>(false)));
  ASSERT_OK(log_->Append(1, Batch("first")));
  EXPECT_THAT(log_->Append(0, Batch("second")), ::testing::Eq(absl::StatusOr<uint64_t>(2)));
  EXPECT_THAT(listener->WaitForNotification(absl::Seconds(30)),
              ::testing::Eq(absl::StatusOr<bool>(true)));
  Collector collector;
  EXPECT_THAT(log_->ReadAfter(0, collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(2)));
  EXPECT_THAT(collector.seen, ElementsAre(Pair(1, "first"), Pair(2, "second")));
}

TEST_F(PostgresLogTest, AppendAllRecordsWhatItKeepsInOneTransaction) {
  ASSERT_OK(log_->Append(1, Batch("first")));
  const state::StateBatch a = Batch("a"), refused = Batch("refused"), b = Batch("b");
  const auto keep = [](PgConnection&, const state::StateBatch& batch) -> absl::StatusOr<bool> {
    return batch.records(0).delete_webhook() != "refused";
  };
  EXPECT_THAT(log_->AppendAll({&a, &refused, &b}, keep),
              ::testing::Eq(absl::StatusOr<std::vector<uint64_t>>(std::vector<uint64_t>{2, 0, 3})));
  // An error of `keep` rolls the whole group back.
  EXPECT_THAT(
      log_->AppendAll({&a, &b},
                      [](PgConnection&, const state::StateBatch& batch) -> absl::StatusOr<bool> {
                        if (batch.records(0).delete_webhook() == "b") {
                          return absl::UnavailableError("gone");
                        }
                        return true;
                      }),
      StatusIs(absl::StatusCode::kUnavailable, "gone"));
  Collector collector;
  EXPECT_THAT(log_->ReadAfter(0, collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(3)));
  EXPECT_THAT(collector.seen, ElementsAre(Pair(1, "first"), Pair(2, "a"), Pair(3, "b")));
}

TEST_F(PostgresLogTest, ImportFillsAnEmptyLogAllOrNothing) {
  ASSERT_OK(log_->Import({Batch("i1"), Batch("i2")}));
  Collector collector;
  EXPECT_THAT(log_->Load(collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(2)));
  EXPECT_THAT(collector.seen, ElementsAre(Pair(1, "i1"), Pair(2, "i2")));
  EXPECT_THAT(log_->Import({Batch("again")}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "postgres: the database already holds state (its log is at entry 2); "
                       "import into an empty database"));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "2");
}

TEST_F(PostgresLogTest, EntriesASnapshotCoversStayReadableForAWhile) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresLog> log, Open(PostgresLogOptions()));
  for (uint64_t sequence = 1; sequence <= 3; ++sequence) {
    ASSERT_OK(log->Append(sequence, Batch(absl::StrCat("b", sequence))));
  }
  ASSERT_OK(log->WriteSnapshot(2, {Batch("s")}));
  Collector behind;
  EXPECT_THAT(log->ReadAfter(1, behind.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(3)));
  EXPECT_THAT(behind.seen, ElementsAre(Pair(2, "b2"), Pair(3, "b3")));
  Collector loaded;
  EXPECT_THAT(log->Load(loaded.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(3)));
  EXPECT_THAT(loaded.seen, ElementsAre(Pair(2, "s"), Pair(3, "b3")));
}

TEST_F(PostgresLogTest, ConcurrentAppendsOfOneSequenceHaveOneWinner) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresLog> other, Open());
  constexpr int kRounds = 20;
  for (uint64_t sequence = 1; sequence <= kRounds; ++sequence) {
    absl::Status first_status, second_status;
    absl::Notification go;
    std::thread first([&] {
      go.WaitForNotification();
      first_status = log_->Append(sequence, Batch(absl::StrCat("first-", sequence))).status();
    });
    std::thread second([&] {
      go.WaitForNotification();
      second_status = other->Append(sequence, Batch(absl::StrCat("second-", sequence))).status();
    });
    go.Notify();
    first.join();
    second.join();
    ASSERT_NE(first_status.ok(), second_status.ok())
        << "round " << sequence << ": " << first_status << " / " << second_status;
    const absl::Status& loser = first_status.ok() ? second_status : first_status;
    EXPECT_THAT(loser, StatusIs(absl::StatusCode::kAborted, HasSubstr("exists")));
    Collector collector;
    ASSERT_THAT(log_->ReadAfter(sequence - 1, collector.Fn()),
                ::testing::Eq(absl::StatusOr<uint64_t>(sequence)));
    EXPECT_THAT(collector.seen,
                ElementsAre(Pair(
                    sequence, absl::StrCat(first_status.ok() ? "first-" : "second-", sequence))));
  }
}

TEST_F(PostgresLogTest, SnapshotReplacesOlderEntriesAndStaleReadersMustReload) {
  for (uint64_t sequence = 1; sequence <= 4; ++sequence) {
    ASSERT_OK(log_->Append(sequence, Batch(absl::StrCat("b", sequence))));
  }
  ASSERT_OK(log_->WriteSnapshot(3, {Batch("s1"), Batch("s2")}));
  EXPECT_EQ(QueryOne("SELECT string_agg(sequence::text, ',') FROM webhookd_log"), "4");

  Collector stale;
  EXPECT_THAT(log_->ReadAfter(2, stale.Fn()),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("snapshot at 3")));
  EXPECT_THAT(stale.seen, ElementsAre());
  Collector current;
  EXPECT_THAT(log_->ReadAfter(3, current.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(4)));
  EXPECT_THAT(current.seen, ElementsAre(Pair(4, "b4")));
  Collector loaded;
  EXPECT_THAT(log_->Load(loaded.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(4)));
  EXPECT_THAT(loaded.seen, ElementsAre(Pair(3, "s1"), Pair(3, "s2"), Pair(4, "b4")));

  // Entries the snapshot covers are still taken.
  EXPECT_THAT(log_->Append(3, Batch("late")), StatusIs(absl::StatusCode::kAborted, _));
  EXPECT_THAT(log_->WriteSnapshot(3, {}), StatusIs(absl::StatusCode::kAlreadyExists, _));
  EXPECT_THAT(log_->WriteSnapshot(2, {}), StatusIs(absl::StatusCode::kAlreadyExists, _));
  EXPECT_THAT(log_->WriteSnapshot(5, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ends at 4")));

  // A snapshot of everything, with no batches: the log is empty, and appends go on after it.
  ASSERT_OK(log_->WriteSnapshot(4, {}));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "0");
  EXPECT_EQ(QueryOne("SELECT string_agg(sequence::text, ',') FROM webhookd_snapshots"), "4");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_snapshot_batches"), "0");
  EXPECT_THAT(log_->LastSequence(), ::testing::Eq(absl::StatusOr<uint64_t>(4)));
  EXPECT_THAT(log_->Append(4, Batch("late")), StatusIs(absl::StatusCode::kAborted, _));
  ASSERT_OK(log_->Append(5, Batch("b5")));
  Collector reloaded;
  EXPECT_THAT(log_->Load(reloaded.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(5)));
  EXPECT_THAT(reloaded.seen, ElementsAre(Pair(5, "b5")));
  EXPECT_THAT(log_->ReadAfter(3, reloaded.Fn()), StatusIs(absl::StatusCode::kOutOfRange, _));
}

TEST_F(PostgresLogTest, BatchesRoundTripByteExact) {
  state::StateBatch batch;
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes.push_back(static_cast<char>(byte));
  batch.add_records()->set_storage_identity_key(all_bytes);
  state::StoredJob* job = batch.add_records()->mutable_put_job();
  job->set_body(all_bytes + all_bytes);
  job->set_org_id("org \xe2\x9c\x93 \"quoted\" \\ back");
  job->set_next_attempt_millis(-1);
  batch.add_records()->set_delete_webhook(std::string(3 << 20, 'x'));  // Several MiB.
  const std::string wire = batch.SerializeAsString();

  ASSERT_OK(log_->Append(1, batch));
  ASSERT_OK(log_->WriteSnapshot(1, {batch, batch}));
  ASSERT_OK(log_->Append(2, batch));
  std::vector<std::pair<uint64_t, std::string>> read;
  EXPECT_THAT(log_->Load([&](uint64_t sequence, const state::StateBatch& got) {
    read.emplace_back(sequence, got.SerializeAsString());
    return absl::OkStatus();
  }),
              ::testing::Eq(absl::StatusOr<uint64_t>(2)));
  EXPECT_THAT(read, ElementsAre(Pair(1, wire), Pair(1, wire), Pair(2, wire)));
  // Stored as the serialized bytes themselves.
  EXPECT_EQ(QueryOne("SELECT md5(batch) = md5(decode('" + absl::BytesToHexString(wire) +
                     "', 'hex')) FROM webhookd_log"),
            "t");
}

TEST_F(PostgresLogTest, RefusesABatchOverTheLimit) {
  PostgresLogOptions options;
  options.max_batch_bytes = 100;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresLog> log, Open(options));
  EXPECT_OK(log->Append(1, Batch(std::string(90, 'a'))));  // 94 bytes serialized.
  EXPECT_THAT(log->Append(2, Batch(std::string(100, 'a'))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "postgres: a batch of 104 bytes is "
                       "over the limit of 100"));
  EXPECT_THAT(log->WriteSnapshot(1, {Batch("small"), Batch(std::string(100, 'a'))}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("104 bytes")));
  EXPECT_THAT(log->LastSequence(), ::testing::Eq(absl::StatusOr<uint64_t>(1)));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_snapshots"), "0");
  EXPECT_EQ(PostgresLogOptions().max_batch_bytes, 256u << 20);
}

TEST_F(PostgresLogTest, ConnectionLossIsUnavailableThenTheNextCallReconnects) {
  ASSERT_OK(log_->Append(1, Batch("b1")));
  ASSERT_OK(log_->Append(2, Batch("b2")));

  ASSERT_OK(cluster_->Restart());
  EXPECT_THAT(log_->Append(3, Batch("b3")), StatusIs(absl::StatusCode::kUnavailable, _));
  ASSERT_OK(log_->Append(3, Batch("b3")));  // Reconnected at once (the clock never moved).

  // A backend terminated by an administrator, likewise.
  EXPECT_EQ(QueryOne("SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE "
                     "datname = current_database() AND pid <> pg_backend_pid() AND backend_type = "
                     "'client backend'"),
            "1");
  Collector collector;
  EXPECT_THAT(log_->ReadAfter(0, collector.Fn()), StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_THAT(collector.seen, ElementsAre());
  EXPECT_THAT(log_->ReadAfter(0, collector.Fn()), ::testing::Eq(absl::StatusOr<uint64_t>(3)));
  // Everything acknowledged is there.
  EXPECT_THAT(collector.seen, ElementsAre(Pair(1, "b1"), Pair(2, "b2"), Pair(3, "b3")));

  // Down for longer: calls fail until it is back and the backoff has passed.
  ASSERT_OK(cluster_->Stop());
  EXPECT_THAT(log_->LastSequence(), StatusIs(absl::StatusCode::kUnavailable, _));
  EXPECT_THAT(log_->LastSequence(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connect")));
  ASSERT_OK(cluster_->Restart());
  clock_.Advance(Options().initial_backoff);
  EXPECT_THAT(log_->LastSequence(), ::testing::Eq(absl::StatusOr<uint64_t>(3)));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
