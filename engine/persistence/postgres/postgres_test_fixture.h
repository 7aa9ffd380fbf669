// PostgresTest: a fixture whose every test gets a new, empty database on the test binary's
// shared throwaway cluster (testing/postgres_cluster.h).
//
//   TEST_F(PostgresTest, Works) {
//     std::unique_ptr<PgConnection> db = ConnectOrDie();
//     ASSERT_NE(db, nullptr);
//     EXPECT_EQ(QueryOne("SELECT 1"), "1");
//   }
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_TEST_FIXTURE_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/persistence/postgres/pg_connection.h"
#include "gtest/gtest.h"
#include "testing/postgres_cluster.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(cluster_, ::webhooks::testing::PostgresCluster::Shared());
    ASSERT_OK_AND_ASSIGN(conninfo_, cluster_->CreateDatabase());
  }

  // Options for this test's database: backoff from 1s to at most 4s, on `clock`.
  PgConnectionOptions Options(Clock* clock = nullptr) const {
    PgConnectionOptions options;
    options.conninfo = conninfo_;
    options.clock = clock;
    options.initial_backoff = absl::Seconds(1);
    options.max_backoff = absl::Seconds(4);
    return options;
  }

  // A connection to this test's database; null, with a test failure, if it cannot connect.
  std::unique_ptr<PgConnection> ConnectOrDie(Clock* clock = nullptr) {
    absl::StatusOr<std::unique_ptr<PgConnection>> connection =
        PgConnection::Connect(Options(clock));
    EXPECT_OK(connection.status());
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  // The first value `sql` returns, as text ("" for none or NULL), on a connection of its own;
  // the error's message if it fails.
  std::string QueryOne(const std::string& sql) {
    absl::StatusOr<std::unique_ptr<PgConnection>> connection = PgConnection::Connect(Options());
    if (!connection.ok()) return std::string(connection.status().message());
    absl::StatusOr<PgResult> result = (*connection)->Exec("query", sql);
    if (!result.ok()) return std::string(result.status().message());
    return result->rows() > 0 ? std::string(result->Get(0, 0)) : "";
  }

  ::webhooks::testing::PostgresCluster* cluster_ = nullptr;
  std::string conninfo_;
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_POSTGRES_TEST_FIXTURE_H_
