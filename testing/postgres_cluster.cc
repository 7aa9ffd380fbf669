#include "testing/postgres_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/base/status_macros.h"

namespace webhooks {
namespace testing {
namespace {

// The account PostgreSQL runs as when the test runs as root, and the tool that switches to it.
constexpr char kPostgresAccount[] = "postgres";
constexpr char kRunuser[] = "/usr/sbin/runuser";
// Longest directory whose socket, "<directory>/.s.PGSQL.<port>", fits a Unix socket address
// (108 bytes with the terminating NUL).
constexpr size_t kMaxSocketDirectory = 107 - sizeof("/.s.PGSQL.65535");
// pg_ctl's wait for start and stop, in seconds: generous, for a machine shared with builds.
constexpr char kPgCtlTimeoutSeconds[] = "120";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// A port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0).
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  const int error = errno;
  close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(error)));
  return ntohs(address.sin_port);
}

// Where the cluster's directory goes: see the header.
std::string ParentDirectory() {
  if (geteuid() == 0) return "/tmp";
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  if (test_tmpdir == nullptr || *test_tmpdir == '\0') return "/tmp";
  if (std::strlen(test_tmpdir) + sizeof("/postgres.XXXXXX") > kMaxSocketDirectory) return "/tmp";
  return test_tmpdir;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresCluster>> PostgresCluster::Start(bool durable) {
  if (access(absl::StrCat(kBinDir, "/pg_ctl").c_str(), X_OK) != 0 ||
      access(absl::StrCat(kBinDir, "/initdb").c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL 15 is not installed in ", kBinDir, ": run tools/setup.sh"));
  }
  // Built first, so that its destructor cleans up whatever Initialize got done.
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  RETURN_IF_ERROR(cluster->Initialize(durable));
  return cluster;
}

absl::StatusOr<PostgresCluster*> PostgresCluster::Shared() {
  // Destroyed at exit, which stops the server.
  static const absl::StatusOr<std::unique_ptr<PostgresCluster>> shared = Start();
  if (!shared.ok()) return shared.status();
  return shared->get();
}

PostgresCluster::~PostgresCluster() {
  if (running_) {
    // Nothing to do about a failure here: the directory goes anyway.
    Run({absl::StrCat(kBinDir, "/pg_ctl"), "-D", data_directory_, "-m", "immediate", "-w", "-t",
         kPgCtlTimeoutSeconds, "-s", "stop"})
        .IgnoreError();
  }
  if (!directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
}

std::string PostgresCluster::conninfo(const std::string& database) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", database);
}

absl::Status PostgresCluster::Initialize(bool durable) {
  std::string pattern = absl::StrCat(ParentDirectory(), "/postgres.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  directory_ = pattern;
  data_directory_ = absl::StrCat(directory_, "/data");
  if (geteuid() == 0) {
    const passwd* account = getpwnam(kPostgresAccount);
    if (account == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and there is no postgres account to run PostgreSQL as: run "
          "tools/setup.sh");
    }
    if (chown(directory_.c_str(), account->pw_uid, account->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", directory_, ": ", std::strerror(errno)));
    }
  }
  RETURN_IF_ERROR(Run({absl::StrCat(kBinDir, "/initdb"), "-D", data_directory_, "-U", "postgres",
                       "--auth=trust", "--no-locale", "--encoding=UTF8", "--no-sync"}));
  int attempts = 0;
  while (true) {
    ASSIGN_OR_RETURN(port_, FreePort());
    // Appended settings override initdb's.
    std::ofstream conf(absl::StrCat(data_directory_, "/postgresql.conf"), std::ios::app);
    conf << "\n# PostgresCluster\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "port = " << port_ << "\n"
         << "unix_socket_directories = '" << directory_ << "'\n"
         << (durable ? "fsync = on\nfull_page_writes = on\n"
                     : "fsync = off\nfull_page_writes = off\n")
         << "synchronous_commit = on\n"
         << "max_connections = 40\nshared_buffers = 16MB\n";
    conf.close();
    if (!conf) return absl::InternalError("cannot write postgresql.conf");
    absl::Status started = StartServer();
    // Another process may have taken the port since FreePort saw it free.
    if (started.ok() || ++attempts == 3 ||
        ReadFile(absl::StrCat(directory_, "/server.log")).find("could not bind") ==
            std::string::npos) {
      return started;
    }
  }
}

absl::Status PostgresCluster::StartServer() {
  running_ = true;  // Even if pg_ctl fails, a server may have started: stop it at the end.
  return Run({absl::StrCat(kBinDir, "/pg_ctl"), "-D", data_directory_, "-l",
              absl::StrCat(directory_, "/server.log"), "-w", "-t", kPgCtlTimeoutSeconds, "-s",
              "start"});
}

absl::StatusOr<std::string> PostgresCluster::CreateDatabase() {
  const std::string name = absl::StrCat("test_", ++databases_);
  RETURN_IF_ERROR(Run({absl::StrCat(kBinDir, "/createdb"), "-h", directory_, "-p",
                       absl::StrCat(port_), "-U", "postgres", name}));
  return conninfo(name);
}

absl::Status PostgresCluster::Stop() {
  if (!running_) return absl::OkStatus();
  absl::Status stopped = Run({absl::StrCat(kBinDir, "/pg_ctl"), "-D", data_directory_, "-m", "fast",
                              "-w", "-t", kPgCtlTimeoutSeconds, "-s", "stop"});
  if (stopped.ok()) running_ = false;
  return stopped;
}

absl::Status PostgresCluster::Restart() {
  RETURN_IF_ERROR(Stop());
  return StartServer();
}

absl::Status PostgresCluster::Run(const std::vector<std::string>& args) const {
  std::vector<std::string> command;
  if (geteuid() == 0) command = {kRunuser, "-u", kPostgresAccount, "--"};
  command.insert(command.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : command) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // Output goes to a file rather than a pipe: the server pg_ctl starts outlives pg_ctl.
  const std::string output_path = absl::StrCat(directory_, "/command.out");
  const int output = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int input = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (output < 0 || input < 0) {
    if (output >= 0) close(output);
    if (input >= 0) close(input);
    return absl::InternalError(absl::StrCat("open ", output_path, ": ", std::strerror(errno)));
  }
  const char* directory = directory_.c_str();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child of a possibly threaded process: async-signal-safe calls only until execv. The
    // working directory is one the postgres account can enter.
    if (dup2(input, STDIN_FILENO) < 0 || dup2(output, STDOUT_FILENO) < 0 ||
        dup2(output, STDERR_FILENO) < 0 || chdir(directory) != 0) {
      _exit(127);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  const int fork_error = errno;
  close(output);
  close(input);
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_error)));
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      absl::StrJoin(command, " "), " failed (wait status ", wait_status, "): ",
      ReadFile(output_path), " server log: ", ReadFile(absl::StrCat(directory_, "/server.log"))));
}

}  // namespace testing
}  // namespace webhooks
