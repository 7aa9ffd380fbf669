// PostgresCluster: a throwaway PostgreSQL 15 cluster for tests, from Debian's postgresql-15
// (tools/setup.sh installs it).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresCluster> cluster, PostgresCluster::Start());
//   ... connect to cluster->conninfo() ("postgresql://postgres@127.0.0.1:<port>/postgres") ...
//   ASSERT_OK(cluster->Restart());  // Every connection is cut; the data stays.
//
// Start() creates a fresh directory, runs initdb (superuser "postgres", trust authentication for
// local and 127.0.0.1 connections, fsync off unless asked: a test cluster need not survive a
// machine crash, only a server restart) and `pg_ctl -w start`, which returns once the server
// accepts connections. The server listens on 127.0.0.1 at a port the kernel had free, and on a Unix
// socket inside the directory.
//
// PostgreSQL refuses to run as root. When the test runs as root (CI does), initdb, pg_ctl and the
// server run as the `postgres` account (runuser -u postgres), and the directory, owned by that
// account, is created under /tmp rather than under $TEST_TMPDIR, which is inside root's home that
// the account cannot traverse. Otherwise the directory is under $TEST_TMPDIR (or /tmp), unless
// the socket's path would be too long for a Unix socket there.
//
// Not thread-safe. A test binary that is killed leaves its server running (it is stopped by
// nothing but this class's destructor).
#ifndef WEBHOOKS_TESTING_POSTGRES_CLUSTER_H_
#define WEBHOOKS_TESTING_POSTGRES_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace webhooks {
namespace testing {

class PostgresCluster {
 public:
  // Where Debian's postgresql-15 puts initdb, pg_ctl and postgres.
  static constexpr char kBinDir[] = "/usr/lib/postgresql/15/bin";

  // A new cluster, running; with fsync on if `durable` (benchmarks that compare it with a
  // journal's fdatasync). kFailedPrecondition if PostgreSQL 15 is not installed (run
  // tools/setup.sh); kInternal, with the tool's output, if initdb or pg_ctl fails. Nothing is
  // left behind when it fails.
  static absl::StatusOr<std::unique_ptr<PostgresCluster>> Start(bool durable = false);

  // One cluster for the whole test binary, started by the first call and stopped and removed
  // when the binary exits; tests that share it each use a CreateDatabase() of their own (and
  // run one after the other, as a test binary's tests do, if they Stop or Restart it). Every
  // call returns the first call's error if it did not start.
  static absl::StatusOr<PostgresCluster*> Shared();

  // Stops the server at once (pg_ctl -m immediate) and removes the directory.
  ~PostgresCluster();

  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // A libpq URI for `database` as the superuser:
  // "postgresql://postgres@127.0.0.1:<port>/<database>". Tests that share a cluster can each
  // CREATE DATABASE their own (much faster than a cluster of their own).
  std::string conninfo(const std::string& database = "postgres") const;
  int port() const { return port_; }
  // The cluster's directory (data, socket, server log); gone once this is destroyed.
  const std::string& directory() const { return directory_; }

  // Creates a new, empty database ("test_1", "test_2", ...) and returns its conninfo().
  absl::StatusOr<std::string> CreateDatabase();

  // Stops the server (pg_ctl -m fast: open connections are cut) and waits until it has exited.
  // OK if it is not running.
  absl::Status Stop();
  // Stops the server if it is running, then starts it again on the same port with the same
  // data, and returns once it accepts connections.
  absl::Status Restart();

 private:
  PostgresCluster() = default;

  absl::Status Initialize(bool durable);
  absl::Status StartServer();
  // Runs `args` (as the postgres account when this process is root) with its output in a file
  // of the directory; kInternal with that output if it does not exit with status 0.
  absl::Status Run(const std::vector<std::string>& args) const;

  std::string directory_;  // Ours; removed by the destructor.
  std::string data_directory_;
  int port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_POSTGRES_CLUSTER_H_
