#include "engine/persistence/postgres/pg_connection.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/persistence/postgres/postgres_test_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::FakeClock;
using ::webhooks::testing::StatusIs;

constexpr char kPassword[] = "s3cret-pw";

using PgConnectionTest = PostgresTest;

TEST_F(PgConnectionTest, TextAndBinaryParamsAndResults) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("create", "CREATE TABLE t (id bigint, name text, data bytea)").status());
  const std::string bytes("\0\x01\xff\\x'\"", 7);
  ASSERT_OK_AND_ASSIGN(
      PgResult inserted,
      db->Exec("insert", "INSERT INTO t VALUES ($1, $2, $3), ($4, $5, $6)",
               {PgParam::Text("-5000000000"), PgParam::Text("héllo"), PgParam::Bytes(bytes),
                PgParam::Text("7"), PgParam::Null(), PgParam::Null()}));
  EXPECT_EQ(inserted.affected_rows(), 2);

  ASSERT_OK_AND_ASSIGN(PgResult binary,
                       db->Exec("select", "SELECT id, name, data, 3::int4 FROM t ORDER BY id", {},
                                PgResultFormat::kBinary));
  ASSERT_EQ(binary.rows(), 2);
  ASSERT_EQ(binary.columns(), 4);
  EXPECT_EQ(binary.GetInt64(0, 0).value_or(0), -5000000000);
  EXPECT_EQ(binary.Get(0, 1), "héllo");
  EXPECT_EQ(binary.Get(0, 2), bytes);
  EXPECT_EQ(binary.GetInt64(0, 3).value_or(0), 3);
  EXPECT_EQ(binary.GetInt64(1, 0).value_or(0), 7);
  EXPECT_TRUE(binary.IsNull(1, 1));
  EXPECT_TRUE(binary.IsNull(1, 2));
  EXPECT_FALSE(binary.IsNull(0, 2));
  EXPECT_THAT(binary.GetInt64(1, 1), StatusIs(absl::StatusCode::kInternal, HasSubstr("NULL")));

  ASSERT_OK_AND_ASSIGN(PgResult text, db->Exec("select", "SELECT id, name FROM t WHERE id = $1",
                                               {PgParam::Text("7")}));
  ASSERT_EQ(text.rows(), 1);
  EXPECT_EQ(text.Get(0, 0), "7");
  EXPECT_EQ(text.GetInt64(0, 0).value_or(0), 7);
}

TEST_F(PgConnectionTest, MapsSqlStatesToCanonicalCodes) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("create", "CREATE TABLE u (id int PRIMARY KEY)").status());
  ASSERT_OK(db->Exec("insert", "INSERT INTO u VALUES (1)").status());
  EXPECT_THAT(db->Exec("insert again", "INSERT INTO u VALUES (1)"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("postgres: insert again: "), HasSubstr("u_pkey"),
                             HasSubstr("(SQLSTATE 23505)"))));
  EXPECT_THAT(db->ExecScript("raise",
                             "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; "
                             "END $$"),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("(SQLSTATE 40001)")));
  EXPECT_THAT(db->ExecScript("raise",
                             "DO $$ BEGIN RAISE EXCEPTION 'cycle' USING ERRCODE = '40P01'; "
                             "END $$"),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("(SQLSTATE 40P01)")));
  EXPECT_THAT(db->Exec("typo", "SELEC 1"),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("postgres: typo: "), HasSubstr("(SQLSTATE 42601)"))));
  // Still usable after errors.
  ASSERT_OK_AND_ASSIGN(PgResult one, db->Exec("select", "SELECT 1"));
  EXPECT_EQ(one.Get(0, 0), "1");
}

TEST_F(PgConnectionTest, TransactionCommitsOrRollsBack) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("create", "CREATE TABLE v (id int)").status());
  EXPECT_THAT(db->Transaction("fails",
                              [&]() -> absl::Status {
                                EXPECT_OK(db->Exec("insert", "INSERT INTO v VALUES (1)").status());
                                return absl::NotFoundError("body failed");
                              }),
              StatusIs(absl::StatusCode::kNotFound, "body failed"));
  EXPECT_EQ(QueryOne("SELECT count(*) FROM v"), "0");
  EXPECT_OK(db->Transaction(
      "works", [&] { return db->Exec("insert", "INSERT INTO v VALUES (2)").status(); }));
  EXPECT_EQ(QueryOne("SELECT string_agg(id::text, ',') FROM v"), "2");
}

TEST_F(PgConnectionTest, MessagesNeverHoldThePassword) {
  // Nothing listens on port 1.
  const std::string refused =
      absl::StrCat("postgresql://postgres:", kPassword, "@127.0.0.1:1/postgres");
  PgConnectionOptions options;
  options.conninfo = refused;
  EXPECT_THAT(PgConnection::Connect(options),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("postgres: connect: "), Not(HasSubstr(kPassword)))));

  options.conninfo = absl::StrCat("host=127.0.0.1 password=", kPassword, " port");
  EXPECT_THAT(PgConnection::Connect(options),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr(kPassword))));
  // libpq's own message for this one quotes the whole URI.
  options.conninfo = absl::StrCat("postgresql://postgres:", kPassword, "@[::1/postgres");
  EXPECT_THAT(PgConnection::Connect(options),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr(kPassword))));
  // Parsed, then refused when connecting.
  options.conninfo = absl::StrCat("postgresql://postgres:", kPassword, "@127.0.0.1:x:y/");
  EXPECT_THAT(PgConnection::Connect(options),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("\"x:y\""), Not(HasSubstr(kPassword)))));

  // The server refuses the database; its message names the user, not the password.
  options.conninfo = absl::StrCat("postgresql://postgres:", kPassword,
                                  "@127.0.0.1:", cluster_->port(), "/missing_database");
  EXPECT_THAT(PgConnection::Connect(options),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("missing_database"), Not(HasSubstr(kPassword)))));

  // Trust authentication takes any password; a message that would quote it is redacted.
  options.conninfo = absl::StrCat("postgresql://postgres:", kPassword,
                                  "@127.0.0.1:", cluster_->port(), "/postgres");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PgConnection> db, PgConnection::Connect(options));
  EXPECT_THAT(db->Exec("cast", "SELECT $1::int", {PgParam::Text(kPassword)}),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("\"***\""), Not(HasSubstr(kPassword)))));
}

TEST_F(PgConnectionTest, ReconnectsWithCappedBackoff) {
  FakeClock clock;
  std::unique_ptr<PgConnection> db = ConnectOrDie(&clock);
  ASSERT_NE(db, nullptr);
  ASSERT_OK(db->Exec("select", "SELECT 1").status());

  ASSERT_OK(cluster_->Stop());
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("postgres: select: ")));
  EXPECT_FALSE(db->connected());
  // The first attempt is at once; each failure doubles the wait, up to max_backoff (4s).
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("postgres: connect: ")));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("next attempt in 1s")));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("postgres: connect: ")));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("next attempt in 2s")));
  clock.Advance(absl::Seconds(2));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("postgres: connect: ")));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("next attempt in 4s")));
  clock.Advance(absl::Seconds(4));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("postgres: connect: ")));
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("next attempt in 4s")));

  ASSERT_OK(cluster_->Restart());
  // Still waiting out the backoff, though the server is back.
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("next attempt in 4s")));
  clock.Advance(absl::Seconds(4));
  ASSERT_OK_AND_ASSIGN(PgResult one, db->Exec("select", "SELECT 1"));
  EXPECT_EQ(one.Get(0, 0), "1");
  EXPECT_TRUE(db->connected());

  // Success reset the backoff: after the next loss, the first attempt is again at once.
  ASSERT_OK(cluster_->Restart());
  EXPECT_THAT(db->Exec("select", "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("postgres: select: ")));
  EXPECT_OK(db->Exec("select", "SELECT 1").status());

  // Reconnect() connects at once, whatever the backoff.
  ASSERT_OK(cluster_->Stop());
  EXPECT_THAT(db->Reconnect(), StatusIs(absl::StatusCode::kUnavailable, _));
  ASSERT_OK(cluster_->Restart());
  EXPECT_OK(db->Reconnect());
  EXPECT_OK(db->Exec("select", "SELECT 1").status());
}

TEST_F(PgConnectionTest, NoReconnectInsideATransaction) {
  std::unique_ptr<PgConnection> db = ConnectOrDie();
  std::unique_ptr<PgConnection> other = ConnectOrDie();
  ASSERT_NE(db, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_OK(db->Exec("create", "CREATE TABLE w (id int)").status());
  ASSERT_OK_AND_ASSIGN(PgResult pid, db->Exec("pid", "SELECT pg_backend_pid()"));
  const std::string backend(pid.Get(0, 0));
  EXPECT_THAT(db->Transaction(
                  "insert",
                  [&]() -> absl::Status {
                    EXPECT_OK(db->Exec("insert 1", "INSERT INTO w VALUES (1)").status());
                    // Waits (up to 10 s) until the backend has exited.
                    absl::StatusOr<PgResult> killed =
                        other->Exec("terminate", "SELECT pg_terminate_backend($1, 10000)",
                                    {PgParam::Text(backend)});
                    EXPECT_OK(killed.status());
                    if (killed.ok()) {
                      EXPECT_EQ(killed->Get(0, 0), "t");
                    }
                    EXPECT_THAT(db->Exec("insert 2", "INSERT INTO w VALUES (2)"),
                                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("insert 2")));
                    // Not on a new session: the rest of the transaction would run outside it.
                    return db->Exec("insert 3", "INSERT INTO w VALUES (3)").status();
                  }),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("lost during a transaction")));
  // The next call reconnects; nothing of the transaction was committed.
  ASSERT_OK_AND_ASSIGN(PgResult count, db->Exec("count", "SELECT count(*) FROM w"));
  EXPECT_EQ(count.Get(0, 0), "0");
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
