#include "engine/persistence/postgres/migrations.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "engine/persistence/postgres/postgres_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::webhooks::testing::StatusIs;

// Migrations whose effects show how often each ran: 2 and 3 each add a row.
const std::vector<Migration>& ProbeMigrations() {
  static const auto* const migrations = new std::vector<Migration>{
      {1, "CREATE TABLE probe (migration int)"},
      {2, "INSERT INTO probe VALUES (2)"},
      {3, "INSERT INTO probe VALUES (3); INSERT INTO probe VALUES (30)"},
  };
  return *migrations;
}

using MigrationsTest = PostgresTest;

TEST_F(MigrationsTest, AppliesTheEngineSchemaOnceAndRerunIsANoOp) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(ApplyMigrations(*db), ::testing::Eq(absl::StatusOr<int>(2)));
  EXPECT_THAT(ApplyMigrations(*db), ::testing::Eq(absl::StatusOr<int>(0)));
  EXPECT_EQ(QueryOne("SELECT string_agg(version::text, ',' ORDER BY version) FROM "
                     "webhookd_schema_migrations"),
            "1,2");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_schema_migrations WHERE applied_at <= now()"),
            "2");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "0");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_snapshots"), "0");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_snapshot_batches"), "0");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_job_leases"), "0");
}

TEST_F(MigrationsTest, UpgradesADatabaseOfTheFirstSchemaKeepingItsLog) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> first(PostgresMigrations().begin(),
                                     PostgresMigrations().begin() + 1);
  EXPECT_THAT(ApplyMigrations(*db, first), ::testing::Eq(absl::StatusOr<int>(1)));
  ASSERT_OK(
      db->Exec("write", "INSERT INTO webhookd_log (sequence, batch) VALUES (1, 'x')").status());
  EXPECT_THAT(ApplyMigrations(*db), ::testing::Eq(absl::StatusOr<int>(1)));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_log"), "1");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM webhookd_job_leases"), "0");
}

TEST_F(MigrationsTest, ConcurrentReplicasApplyEachMigrationExactlyOnce) {
  constexpr int kReplicas = 8;
  std::vector<std::unique_ptr<PgConnection>> connections;
  for (int i = 0; i < kReplicas; ++i) {
    connections.push_back(ConnectOrDie());
    ASSERT_NE(connections.back(), nullptr);
  }
  std::vector<absl::StatusOr<int>> applied(kReplicas, absl::UnknownError("did not run"));
  absl::Notification go;
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&, i] {
      go.WaitForNotification();
      applied[i] = ApplyMigrations(*connections[i], ProbeMigrations());
    });
  }
  go.Notify();
  for (std::thread& replica : replicas) replica.join();

  int total = 0;
  for (const absl::StatusOr<int>& count : applied) {
    ASSERT_OK(count.status());
    total += *count;
  }
  // Whoever took the lock first applied all three; the others found them applied.
  EXPECT_EQ(total, 3);
  EXPECT_EQ(QueryOne("SELECT string_agg(migration::text, ',' ORDER BY migration) FROM probe"),
            "2,3,30");
  EXPECT_EQ(QueryOne("SELECT string_agg(version::text, ',' ORDER BY version) FROM "
                     "webhookd_schema_migrations"),
            "1,2,3");
  EXPECT_THAT(ApplyMigrations(*connections[0], ProbeMigrations()),
              ::testing::Eq(absl::StatusOr<int>(0)));
}

TEST_F(MigrationsTest, AppliesOnlyNewMigrations) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> first_two(ProbeMigrations().begin(), ProbeMigrations().begin() + 2);
  EXPECT_THAT(ApplyMigrations(*db, first_two), ::testing::Eq(absl::StatusOr<int>(2)));
  EXPECT_THAT(ApplyMigrations(*db, ProbeMigrations()), ::testing::Eq(absl::StatusOr<int>(1)));
  EXPECT_EQ(QueryOne("SELECT string_agg(migration::text, ',' ORDER BY migration) FROM probe"),
            "2,3,30");
  // An older release finds a newer schema.
  EXPECT_THAT(ApplyMigrations(*db, first_two),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("version 3")));
}

TEST_F(MigrationsTest, AFailedMigrationRollsEverythingBack) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  const std::vector<Migration> broken = {{1, "CREATE TABLE probe (migration int)"},
                                         {2, "INSERT INTO no_such_table VALUES (2)"}};
  EXPECT_THAT(ApplyMigrations(*db, broken),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("postgres: migration 2: "),
                             HasSubstr("relation \"no_such_table\" does not exist"))));
  EXPECT_THAT(QueryOne("SELECT count(*) FROM probe"), HasSubstr("does not exist"));
  EXPECT_THAT(QueryOne("SELECT count(*) FROM webhookd_schema_migrations"),
              HasSubstr("does not exist"));
  EXPECT_THAT(ApplyMigrations(*db, ProbeMigrations()), ::testing::Eq(absl::StatusOr<int>(3)));
}

TEST_F(MigrationsTest, RefusesMisnumberedMigrations) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(ApplyMigrations(*db, {{1, "SELECT 1"}, {3, "SELECT 1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "migration 2 has version 3"));
  EXPECT_THAT(QueryOne("SELECT count(*) FROM webhookd_schema_migrations"),
              HasSubstr("does not exist"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
