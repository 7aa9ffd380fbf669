#include "testing/postgres_cluster.h"

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libpq-fe.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The text of the one value `sql` returns on a new connection to `conninfo`, or "error: ..."
// when the connection or the query fails.
std::string QueryOne(const std::string& conninfo, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return absl::StrCat("error: ", PQerrorMessage(connection.get()));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()),
                                                       &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK &&
      PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return absl::StrCat("error: ", PQresultErrorMessage(result.get()));
  }
  return PQntuples(result.get()) == 1 ? PQgetvalue(result.get(), 0, 0) : "";
}

TEST(PostgresClusterTest, ServesPostgres15AtItsConninfo) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresCluster> cluster, PostgresCluster::Start());
  EXPECT_EQ(cluster->conninfo(),
            absl::StrCat("postgresql://postgres@127.0.0.1:", cluster->port(), "/postgres"));
  EXPECT_THAT(QueryOne(cluster->conninfo(), "SHOW server_version"), StartsWith("15."));
  EXPECT_EQ(QueryOne(cluster->conninfo(), "SELECT current_user"), "postgres");
  EXPECT_EQ(QueryOne(cluster->conninfo(), "SHOW synchronous_commit"), "on");
  ASSERT_OK_AND_ASSIGN(const std::string first, cluster->CreateDatabase());
  ASSERT_OK_AND_ASSIGN(const std::string second, cluster->CreateDatabase());
  EXPECT_EQ(first, cluster->conninfo("test_1"));
  EXPECT_EQ(second, absl::StrCat("postgresql://postgres@127.0.0.1:", cluster->port(), "/test_2"));
  EXPECT_EQ(QueryOne(second, "SELECT current_database()"), "test_2");
  // The Unix socket is in the cluster's directory.
  EXPECT_EQ(QueryOne(absl::StrCat("host=", cluster->directory(), " port=", cluster->port(),
                                  " user=postgres dbname=postgres"),
                     "SELECT 1"),
            "1");
}

TEST(PostgresClusterTest, RestartKeepsDataAndPort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresCluster> cluster, PostgresCluster::Start());
  const int port = cluster->port();
  ASSERT_EQ(QueryOne(cluster->conninfo(), "CREATE TABLE kept (x int)"), "");
  ASSERT_EQ(QueryOne(cluster->conninfo(), "INSERT INTO kept VALUES (7)"), "");

  ASSERT_OK(cluster->Stop());
  EXPECT_THAT(QueryOne(cluster->conninfo(), "SELECT 1"), HasSubstr("Connection refused"));
  EXPECT_OK(cluster->Stop());  // Already stopped.

  ASSERT_OK(cluster->Restart());
  EXPECT_EQ(cluster->port(), port);
  EXPECT_EQ(QueryOne(cluster->conninfo(), "SELECT x FROM kept"), "7");
  ASSERT_OK(cluster->Restart());  // From running, too.
  EXPECT_EQ(QueryOne(cluster->conninfo(), "SELECT x FROM kept"), "7");
}

TEST(PostgresClusterTest, DestructorStopsTheServerAndRemovesEverything) {
  std::string conninfo;
  std::string directory;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresCluster> cluster, PostgresCluster::Start());
    conninfo = cluster->conninfo();
    directory = cluster->directory();
    ASSERT_TRUE(std::filesystem::exists(directory + "/data/PG_VERSION"));
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_THAT(QueryOne(conninfo, "SELECT 1"), HasSubstr("Connection refused"));
}

TEST(PostgresClusterTest, TwoClustersRunSideBySide) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresCluster> first, PostgresCluster::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresCluster> second, PostgresCluster::Start());
  EXPECT_NE(first->port(), second->port());
  ASSERT_EQ(QueryOne(first->conninfo(), "CREATE TABLE only_in_first (x int)"), "");
  EXPECT_EQ(QueryOne(first->conninfo(), "SELECT count(*) FROM only_in_first"), "0");
  EXPECT_THAT(QueryOne(second->conninfo(), "SELECT count(*) FROM only_in_first"),
              HasSubstr("does not exist"));
}

}  // namespace
}  // namespace testing
}  // namespace webhooks
