// PostgresStateStore against a throwaway PostgreSQL 15 cluster: what one store writes, the next
// one replays; snapshots replace what they cover; replicas see each other's entries, a change
// planned on an old state is refused, one replica at a time holds a job's lease; a lost
// connection loses nothing.
#include "engine/persistence/postgres/postgres_state_store.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/persistence/postgres/postgres_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::webhooks::testing::FakeClock;
using ::webhooks::testing::StatusIs;

// A batch that deletes webhook `id`: one record that names it.
state::StateBatch Batch(const std::string& id) {
  state::StateBatch batch;
  batch.add_records()->set_delete_webhook(id);
  return batch;
}

class PostgresStateStoreTest : public PostgresTest {
 protected:
  std::unique_ptr<PostgresStateStore> OpenStore(PostgresStateStoreOptions options = {}) {
    absl::StatusOr<std::unique_ptr<PostgresStateStore>> store =
        PostgresStateStore::Open(Options(&clock_), options);
    EXPECT_OK(store.status());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // A batch that records the outcome of an attempt on job `id` under lease `claim_id`.
  static state::StateBatch JobUpdate(const std::string& id, const std::string& claim_id,
                                     v1::ChannelHistoryJob::Status status) {
    state::StateBatch batch;
    state::JobUpdate* update = batch.add_records()->mutable_update_job();
    update->set_id(id);
    update->set_claim_id(claim_id);
    update->set_status(status);
    return batch;
  }

  // An ApplyFn that adds the ids of the batches it is handed to `ids`.
  static StateStore::ApplyFn Collect(std::vector<std::string>* ids) {
    return [ids](const state::StateBatch& batch) {
      for (const state::StateRecord& record : batch.records()) {
        ids->push_back(record.delete_webhook());
      }
      return absl::OkStatus();
    };
  }

  // The ids of the batches `store` hands over when it catches up, in order.
  static std::vector<std::string> CaughtUp(PostgresStateStore& store) {
    std::vector<std::string> ids;
    EXPECT_OK(store.CatchUp(Collect(&ids)));
    return ids;
  }

  // One job's claim, through ClaimJobs.
  static absl::StatusOr<StateStore::JobClaim> Claim(PostgresStateStore& store,
                                                    const std::string& job_id, absl::Time now) {
    absl::StatusOr<std::vector<StateStore::JobClaim>> claims = store.ClaimJobs({job_id}, now);
    if (!claims.ok()) return claims.status();
    if (claims->size() != 1) return absl::InternalError("not one claim");
    return (*claims)[0];
  }

  // Plans batch `id` on `store` and returns the ids of the batches handed over first.
  static std::vector<std::string> Planned(PostgresStateStore& store, const std::string& id) {
    std::vector<std::string> ids;
    EXPECT_OK(store
                  .WritePlanned(Collect(&ids),
                                [&] { return absl::StatusOr<state::StateBatch>(Batch(id)); })
                  .status());
    return ids;
  }

  // The ids of the batches `store` replays, in order.
  static std::vector<std::string> Replayed(PostgresStateStore& store) {
    std::vector<std::string> ids;
    EXPECT_OK(store.Replay(Collect(&ids)));
    return ids;
  }

  FakeClock clock_;
};

TEST_F(PostgresStateStoreTest, WhatOneStoreSyncsTheNextReplays) {
  std::unique_ptr<PostgresStateStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Replayed(*store), IsEmpty());
  EXPECT_EQ(store->Write(Batch("a")), 1u);
  EXPECT_EQ(store->Write(Batch("b")), 2u);
  EXPECT_EQ(store->Write(Batch("c")), 3u);
  ASSERT_OK(store->Sync(2));  // Appends everything queued, in one transaction.
  EXPECT_EQ(QueryOne("SELECT string_agg(sequence::text, ',' ORDER BY sequence) FROM webhookd_log"),
            "1,2,3");
  EXPECT_EQ(QueryOne("SELECT count(DISTINCT xmin::text) FROM webhookd_log"), "1");
  ASSERT_OK(store->Sync(3));
  ASSERT_OK(store->Sync(0));

  std::unique_ptr<PostgresStateStore> next = OpenStore();
  ASSERT_NE(next, nullptr);
  EXPECT_THAT(Replayed(*next), ElementsAre("a", "b", "c"));
  ASSERT_OK(next->Sync(next->Write(Batch("d"))));
  EXPECT_EQ(QueryOne("SELECT max(sequence) FROM webhookd_log"), "4");
}

TEST_F(PostgresStateStoreTest, ASnapshotReplacesTheEntriesItCovers) {
  PostgresStateStoreOptions options;
  options.snapshot_after_entries = 2;
  options.log.keep_entries_for = absl::ZeroDuration();
  std::unique_ptr<PostgresStateStore> store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Replayed(*store), IsEmpty());
  ASSERT_OK(store->FinishSnapshot(store->StartSnapshot(), {}));  // Nothing written: no-op.
  store->Write(Batch("a"));
  EXPECT_FALSE(store->WantsSnapshot());
  ASSERT_OK(store->Sync(store->Write(Batch("b"))));
  EXPECT_TRUE(store->WantsSnapshot());

  // The snapshot stands for entries 1 and 2; entry 3 comes after it.
  const uint64_t snapshot = store->StartSnapshot();
  EXPECT_EQ(snapshot, 2u);
  ASSERT_OK(store->Sync(store->Write(Batch("c"))));
  ASSERT_OK(store->FinishSnapshot(snapshot, {Batch("a+b")}));
  EXPECT_FALSE(store->WantsSnapshot());
  // Two commits (b's, c's); one snapshot (the first wrote nothing), of the batches' size.
  const StoreStats stats = store->Stats();
  EXPECT_EQ(stats.syncs, 2u);
  EXPECT_EQ(stats.snapshots, 1u);
  EXPECT_EQ(stats.last_snapshot_bytes, Batch("a+b").ByteSizeLong());
  EXPECT_EQ(QueryOne("SELECT string_agg(sequence::text, ',' ORDER BY sequence) FROM webhookd_log"),
            "3");

  std::unique_ptr<PostgresStateStore> next = OpenStore();
  ASSERT_NE(next, nullptr);
  EXPECT_THAT(Replayed(*next), ElementsAre("a+b", "c"));
}

TEST_F(PostgresStateStoreTest, AChangeIsPlannedAfterEveryOtherReplicasChanges) {
  std::unique_ptr<PostgresStateStore> first = OpenStore();
  std::unique_ptr<PostgresStateStore> second = OpenStore();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(Replayed(*first), IsEmpty());
  EXPECT_THAT(Replayed(*second), IsEmpty());
  EXPECT_THAT(Planned(*first, "first"), ElementsAre());

  // The second has not seen the first's change: it is handed over before the plan is made.
  EXPECT_THAT(Planned(*second, "second"), ElementsAre("first"));
  EXPECT_THAT(CaughtUp(*first), ElementsAre("second"));
  EXPECT_THAT(CaughtUp(*second), IsEmpty());  // Its own entry is not handed back.
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "2");

  // A plan that fails, or that changes nothing, appends nothing.
  EXPECT_THAT(
      first->WritePlanned(
          [](const state::StateBatch&) { return absl::OkStatus(); },
          [] { return absl::StatusOr<state::StateBatch>(absl::AlreadyExistsError("taken")); }),
      StatusIs(absl::StatusCode::kAlreadyExists, "taken"));
  EXPECT_THAT(
      first->WritePlanned([](const state::StateBatch&) { return absl::OkStatus(); },
                          [] { return absl::StatusOr<state::StateBatch>(state::StateBatch()); }),
      ::testing::Eq(absl::StatusOr<uint64_t>(0)));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "2");
}

TEST_F(PostgresStateStoreTest, PlansAtTheSameInstantAreMadeOneAfterTheOther) {
  std::unique_ptr<PostgresStateStore> stores[2] = {OpenStore(), OpenStore()};
  ASSERT_NE(stores[0], nullptr);
  ASSERT_NE(stores[1], nullptr);
  // Each replica plans "count + 1" on what it has seen; serialized plans never repeat a count.
  int seen[2] = {0, 0};
  std::vector<std::thread> writers;
  for (int replica = 0; replica < 2; ++replica) {
    writers.emplace_back([&, replica] {
      for (int i = 0; i < 25; ++i) {
        ASSERT_OK(stores[replica]
                      ->WritePlanned(
                          [&](const state::StateBatch&) {
                            ++seen[replica];
                            return absl::OkStatus();
                          },
                          [&] {
                            ++seen[replica];
                            return absl::StatusOr<state::StateBatch>(
                                Batch(absl::StrCat(seen[replica])));
                          })
                      .status());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "50");
  std::unique_ptr<PostgresStateStore> reader = OpenStore();
  ASSERT_NE(reader, nullptr);
  std::vector<std::string> expected;
  for (int count = 1; count <= 50; ++count) expected.push_back(absl::StrCat(count));
  EXPECT_EQ(Replayed(*reader), expected);
}

TEST_F(PostgresStateStoreTest, JobRecordsGoAfterWhateverIsLastAndOnlyOthersAreHandedOver) {
  std::unique_ptr<PostgresStateStore> first = OpenStore();
  std::unique_ptr<PostgresStateStore> second = OpenStore();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(Replayed(*first), IsEmpty());
  EXPECT_THAT(Replayed(*second), IsEmpty());
  EXPECT_THAT(Planned(*first, "webhook"), ElementsAre());
  ASSERT_OK(second->Sync(second->Write(Batch("job of second"))));  // Entry 2, unseen 1 or not.
  ASSERT_OK(first->Sync(first->Write(Batch("job of first"))));     // Entry 3.
  EXPECT_THAT(Planned(*second, "current"), ElementsAre("webhook", "job of first"));
  EXPECT_THAT(CaughtUp(*first), ElementsAre("job of second", "current"));
}

TEST_F(PostgresStateStoreTest, OneReplicaHoldsAJobsLeaseUntilItExpiresOrIsReleased) {
  PostgresStateStoreOptions options;
  options.clock = &clock_;
  options.lease = absl::Seconds(60);
  std::unique_ptr<PostgresStateStore> first = OpenStore(options);
  std::unique_ptr<PostgresStateStore> second = OpenStore(options);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const absl::Time start = clock_.Now();

  ASSERT_OK_AND_ASSIGN(StateStore::JobClaim held, Claim(*first, "n.job", start));
  EXPECT_TRUE(held.claimed);
  EXPECT_EQ(held.claim_id.size(), 32u);
  ASSERT_OK_AND_ASSIGN(StateStore::JobClaim refused, Claim(*second, "n.job", start));
  EXPECT_FALSE(refused.claimed);
  EXPECT_EQ(refused.retry_at, start + absl::Seconds(60));
  EXPECT_EQ(QueryOne("SELECT owner FROM webhookd_job_leases"), first->owner());

  // Renewed 30 s in, the lease outlives its first minute.
  clock_.Advance(absl::Seconds(30));
  first->WaitForOthers(absl::ZeroDuration());
  ASSERT_OK_AND_ASSIGN(refused, Claim(*second, "n.job", start + absl::Seconds(61)));
  EXPECT_FALSE(refused.claimed);
  EXPECT_EQ(refused.retry_at, start + absl::Seconds(90));

  // Not renewed any more (its replica died): the lease moves on, and the old holder's record
  // of its attempt is dropped.
  ASSERT_OK_AND_ASSIGN(StateStore::JobClaim taken,
                       Claim(*second, "n.job", start + absl::Seconds(90)));
  EXPECT_TRUE(taken.claimed);
  EXPECT_EQ(QueryOne("SELECT owner FROM webhookd_job_leases"), second->owner());
  ASSERT_OK(
      first->Sync(first->Write(JobUpdate("n.job", held.claim_id, v1::ChannelHistoryJob::SUCCESS))));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "0");

  // The holder's record is kept, and finishing releases the lease for good.
  ASSERT_OK(second->Sync(
      second->Write(JobUpdate("n.job", taken.claim_id, v1::ChannelHistoryJob::SUCCESS))));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "1");
  EXPECT_EQ(QueryOne("SELECT concat_ws(',', owner, claim_id, finished) FROM webhookd_job_leases"),
            "t");
  ASSERT_OK_AND_ASSIGN(refused, Claim(*first, "n.job", start + absl::Hours(2)));
  EXPECT_FALSE(refused.claimed);
  EXPECT_EQ(refused.retry_at, start + absl::Hours(2) + absl::Seconds(60));

  // A RETRY releases the lease for the next attempt, whoever makes it.
  ASSERT_OK_AND_ASSIGN(held, Claim(*first, "n.retried", start));
  ASSERT_OK(first->Sync(
      first->Write(JobUpdate("n.retried", held.claim_id, v1::ChannelHistoryJob::RETRY))));
  ASSERT_OK_AND_ASSIGN(taken, Claim(*second, "n.retried", start));
  EXPECT_TRUE(taken.claimed);
}

TEST_F(PostgresStateStoreTest, ClaimsAreAnsweredPerJobInTheOrderAsked) {
  PostgresStateStoreOptions options;
  options.clock = &clock_;
  std::unique_ptr<PostgresStateStore> first = OpenStore(options);
  std::unique_ptr<PostgresStateStore> second = OpenStore(options);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  const absl::Time now = clock_.Now();
  ASSERT_OK(Claim(*first, "n.b", now).status());
  ASSERT_OK_AND_ASSIGN(const std::vector<StateStore::JobClaim> claims,
                       second->ClaimJobs({"n.c", "n.b", "n.a"}, now));
  ASSERT_EQ(claims.size(), 3u);
  EXPECT_TRUE(claims[0].claimed);
  EXPECT_FALSE(claims[1].claimed);
  EXPECT_EQ(claims[1].retry_at, now + options.lease);
  EXPECT_TRUE(claims[2].claimed);
  EXPECT_NE(claims[0].claim_id, claims[2].claim_id);
  EXPECT_EQ(QueryOne("SELECT string_agg(job_id || '=' || claim_id, ',' ORDER BY job_id) FROM "
                     "webhookd_job_leases WHERE owner = '" +
                     second->owner() + "'"),
            absl::StrCat("n.a=", claims[2].claim_id, ",n.c=", claims[0].claim_id));
}

TEST_F(PostgresStateStoreTest, ALostConnectionLosesNothingAndTheStoreComesBack) {
  std::unique_ptr<PostgresStateStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Replayed(*store), IsEmpty());
  ASSERT_OK(store->Sync(store->Write(Batch("acknowledged"))));
  // Every connection but this one's goes: the store's among them.
  EXPECT_EQ(QueryOne("SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()"),
            "3");
  const uint64_t queued = store->Write(Batch("queued"));
  EXPECT_THAT(store->Sync(queued), StatusIs(absl::StatusCode::kUnavailable, _));
  ASSERT_OK(store->Sync(queued));  // Reconnected; the batch waited in the queue.

  std::unique_ptr<PostgresStateStore> restarted = OpenStore();
  ASSERT_NE(restarted, nullptr);
  EXPECT_THAT(Replayed(*restarted), ElementsAre("acknowledged", "queued"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
