// PostgresStateStore against a throwaway PostgreSQL 15 cluster: what one store writes, the next
// one replays; snapshots replace what they cover; a second writer or a lost connection stops the
// store instead of building on a state it has not seen.
#include "engine/persistence/postgres/postgres_state_store.h"

#include <memory>
#include <string>
#include <vector>

#include "engine/persistence/postgres/postgres_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
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
        PostgresStateStore::Open(Options(), options);
    EXPECT_OK(store.status());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // The ids of the batches `store` replays, in order.
  static std::vector<std::string> Replayed(PostgresStateStore& store) {
    std::vector<std::string> ids;
    EXPECT_OK(store.Replay([&](const state::StateBatch& batch) {
      for (const state::StateRecord& record : batch.records()) {
        ids.push_back(record.delete_webhook());
      }
      return absl::OkStatus();
    }));
    return ids;
  }
};

TEST_F(PostgresStateStoreTest, WhatOneStoreSyncsTheNextReplays) {
  std::unique_ptr<PostgresStateStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Replayed(*store), IsEmpty());
  EXPECT_EQ(store->Write(Batch("a")), 1u);
  EXPECT_EQ(store->Write(Batch("b")), 2u);
  EXPECT_EQ(store->Write(Batch("c")), 3u);
  ASSERT_OK(store->Sync(2));  // Appends 1 and 2; 3 waits for its Sync.
  EXPECT_EQ(QueryOne("SELECT string_agg(sequence::text, ',' ORDER BY sequence) FROM webhookd_log"),
            "1,2");
  ASSERT_OK(store->Sync(3));
  ASSERT_OK(store->Sync(0));

  std::unique_ptr<PostgresStateStore> next = OpenStore();
  ASSERT_NE(next, nullptr);
  EXPECT_THAT(Replayed(*next), ElementsAre("a", "b", "c"));
  EXPECT_EQ(next->Write(Batch("d")), 4u);  // Numbering goes on after what was replayed.
  ASSERT_OK(next->Sync(4));
}

TEST_F(PostgresStateStoreTest, ASnapshotReplacesTheEntriesItCovers) {
  PostgresStateStoreOptions options;
  options.snapshot_after_entries = 2;
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
  store->Write(Batch("c"));
  ASSERT_OK(store->FinishSnapshot(snapshot, {Batch("a+b")}));
  EXPECT_FALSE(store->WantsSnapshot());
  ASSERT_OK(store->Sync(3));
  EXPECT_EQ(QueryOne("SELECT string_agg(sequence::text, ',' ORDER BY sequence) FROM webhookd_log"),
            "3");

  std::unique_ptr<PostgresStateStore> next = OpenStore();
  ASSERT_NE(next, nullptr);
  EXPECT_THAT(Replayed(*next), ElementsAre("a+b", "c"));
}

TEST_F(PostgresStateStoreTest, ASecondWriterStopsInsteadOfOverwriting) {
  std::unique_ptr<PostgresStateStore> first = OpenStore();
  std::unique_ptr<PostgresStateStore> second = OpenStore();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(Replayed(*first), IsEmpty());
  EXPECT_THAT(Replayed(*second), IsEmpty());
  ASSERT_OK(first->Sync(first->Write(Batch("first"))));

  const absl::Status stopped = second->Sync(second->Write(Batch("second")));
  EXPECT_THAT(stopped, StatusIs(absl::StatusCode::kUnavailable,
                                "another process wrote to this database's state log first; only "
                                "one webhookd may write to a database: this server stores "
                                "nothing more until it is restarted"));
  EXPECT_EQ(second->Sync(0), stopped);  // It stays stopped.
  EXPECT_EQ(second->Sync(second->Write(Batch("later"))), stopped);

  ASSERT_OK(first->Sync(first->Write(Batch("first again"))));
  std::unique_ptr<PostgresStateStore> restarted = OpenStore();
  ASSERT_NE(restarted, nullptr);
  EXPECT_THAT(Replayed(*restarted), ElementsAre("first", "first again"));
}

TEST_F(PostgresStateStoreTest, ALostConnectionStopsTheStoreAndLosesNothingAcknowledged) {
  std::unique_ptr<PostgresStateStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Replayed(*store), IsEmpty());
  ASSERT_OK(store->Sync(store->Write(Batch("acknowledged"))));
  // Every connection but this one's goes: the store's among them.
  EXPECT_EQ(QueryOne("SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()"),
            "1");
  EXPECT_THAT(store->Sync(store->Write(Batch("lost"))),
              StatusIs(absl::StatusCode::kUnavailable,
                       ::testing::StartsWith("state entry 2 was not stored (")));

  std::unique_ptr<PostgresStateStore> restarted = OpenStore();
  ASSERT_NE(restarted, nullptr);
  EXPECT_THAT(Replayed(*restarted), ElementsAre("acknowledged"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
