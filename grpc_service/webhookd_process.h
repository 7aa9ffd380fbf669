// What the tests of the real webhookd binary share (grpc_service/crash_test.cc,
// grpc_service/replicas_test.cc): webhookd as a child process, a principals file of kOrgs orgs
// with one token each, and a fixture parameterized by where the state is kept.
//
//   TEST_P(MyTest, Works) {   // class MyTest : public WebhookdStoreTest {};
//     auto server = Webhookd::Start(Flags());
//     ASSERT_NE(server, nullptr);
//     EnableWebhooks(*server->Stub());
//   }
//   int main(int argc, char** argv) { return webhooks::WebhookdTestMain(argc, argv); }
#ifndef WEBHOOKS_GRPC_SERVICE_WEBHOOKD_PROCESS_H_
#define WEBHOOKS_GRPC_SERVICE_WEBHOOKD_PROCESS_H_

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc_service/authenticator.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/postgres_cluster.h"

namespace webhooks {

// The webhookd binary under test: the first argument of the test binary (see BUILD).
inline std::string& WebhookdPath() {
  static auto* const path = new std::string();
  return *path;
}

// gtest's main, taking the webhookd path from the first argument.
inline int WebhookdTestMain(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <path to webhookd>\n", argv[0]);
    return 2;
  }
  WebhookdPath() = argv[1];
  return RUN_ALL_TESTS();
}

inline constexpr int kOrgs = 24;

inline std::string TokenOf(int org) { return absl::StrCat("token-org-", org); }

// A principals file: orgs 0..kOrgs-1, one admin in all of them, one token per org.
inline std::string PrincipalsText() {
  std::string text = "rbac_enabled: true\n";
  std::string user = R"(users { id: "admin" name: "admin@example.com" privileges: ADMINISTRATION)";
  for (int org = 0; org < kOrgs; ++org) {
    absl::StrAppend(&text, "orgs { id: \"", org, "\" name: \"org", org, "\" }\n");
    absl::StrAppend(&user, " org_ids: \"", org, "\"");
    absl::StrAppend(&text, "tokens { sha256: \"", TokenSha256Hex(TokenOf(org)),
                    "\" user_id: \"admin\" org_id: \"", org, "\" }\n");
  }
  return absl::StrCat(text, user, " }\n");
}

// webhookd as a child process.
class Webhookd {
 public:
  // Starts it and waits for "ready" (at most 120 s); null if it did not get there.
  static std::unique_ptr<Webhookd> Start(const std::vector<std::string>& flags) {
    // Everything the child needs is made before fork: the child of a threaded process may only
    // make async-signal-safe calls until execv (an allocation could wait forever on a lock
    // another thread held at fork).
    std::vector<std::string> args = {WebhookdPath(), "--grpc_listen=127.0.0.1:0", "--http_listen="};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return nullptr;
    auto process = std::unique_ptr<Webhookd>(new Webhookd());
    process->pid_ = fork();
    if (process->pid_ == 0) {
      dup2(pipe_fds[1], STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(pipe_fds[1]);
    process->stderr_fd_ = pipe_fds[0];
    // Generous: sanitizer builds on a busy machine start slowly.
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    std::string pending;
    while (absl::Now() < deadline) {
      struct pollfd poll_fd = {process->stderr_fd_, POLLIN, 0};
      if (poll(&poll_fd, 1, 1000) <= 0) continue;
      char buffer[4096];
      const ssize_t got = read(process->stderr_fd_, buffer, sizeof(buffer));
      if (got <= 0) break;
      pending.append(buffer, got);
      process->log_.append(buffer, got);
      size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        const std::string line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        constexpr absl::string_view kPort = "webhookd: gRPC listening on port ";
        if (absl::StartsWith(line, kPort)) {
          (void)absl::SimpleAtoi(absl::string_view(line).substr(kPort.size()), &process->port_);
        }
        if (line == "webhookd: ready") {
          // Its log goes on (an outage logs a line per failed call): read it, or webhookd
          // would block once the pipe is full.
          process->drain_ = std::thread([fd = process->stderr_fd_] {
            char sink[4096];
            while (read(fd, sink, sizeof(sink)) > 0) {
            }
          });
          return process;
        }
      }
    }
    ADD_FAILURE() << "webhookd did not start:\n" << process->log_;
    return nullptr;
  }

  ~Webhookd() { Kill(); }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    if (drain_.joinable()) drain_.join();  // The pipe's writer is gone: it ends.
    close(stderr_fd_);
  }

  std::unique_ptr<v1::WebhookService::Stub> Stub() const {
    return v1::WebhookService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }

 private:
  Webhookd() = default;
  pid_t pid_ = 0;
  int stderr_fd_ = -1;
  std::thread drain_;
  int port_ = 0;
  std::string log_;
};

inline std::unique_ptr<grpc::ClientContext> As(int org) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", TokenOf(org)));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

// Creates org `org`'s webhook "hook", to `url`; a test failure if it cannot.
inline void CreateHook(v1::WebhookService::Stub& stub, int org, const std::string& url) {
  v1::CreateWebhookRequest create;
  create.set_name("hook");
  create.set_url(url);
  create.add_events(v1::LIVEBOARD_SCHEDULE);
  v1::Webhook created;
  const grpc::Status status = stub.CreateWebhook(As(org).get(), create, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Publishes `count` schedule runs for org 1 (as the admin) and returns their job ids; a test
// failure for each that is not queued.
inline std::vector<std::string> PublishRuns(v1::WebhookService::Stub& stub, int count) {
  std::vector<std::string> job_ids;
  for (int i = 0; i < count; ++i) {
    v1::PublishEventRequest publish;
    publish.set_org_identifier("1");
    publish.mutable_run()->mutable_schedule()->set_scheduleid(absl::StrCat("schedule-", i));
    publish.mutable_run()->mutable_schedule()->set_name("Daily");
    publish.mutable_run()->set_liveboard_id("lb");
    publish.mutable_run()->set_liveboard_name("Sales");
    v1::PublishEventResponse published;
    const grpc::Status status = stub.PublishEvent(As(0).get(), publish, &published);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(published.outcome(), v1::PublishEventResponse::QUEUED);
    job_ids.push_back(published.job_id());
  }
  return job_ids;
}

inline int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Where the state is kept: "journal" (--data_dir) or "postgres" (--postgres_url, a new database
// on the test binary's shared throwaway cluster).
class WebhookdStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      absl::StatusOr<testing::PostgresCluster*> cluster = testing::PostgresCluster::Shared();
      ASSERT_TRUE(cluster.ok()) << cluster.status();
      cluster_ = *cluster;
      absl::StatusOr<std::string> database = cluster_->CreateDatabase();
      ASSERT_TRUE(database.ok()) << database.status();
      postgres_url_ = *database;
    }
    directory_ =
        absl::StrCat(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp", "/webhookd-",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    principals_ = directory_ + "/principals.textproto";
    std::ofstream(principals_) << PrincipalsText();
    chmod(principals_.c_str(), 0600);  // webhookd refuses a principals file others may read.
  }

  // Turns the cluster WEBHOOK channel on (a principals file brings no preferences).
  static void EnableWebhooks(v1::WebhookService::Stub& stub) {
    v1::ConfigureChannelPreferencesRequest preferences;
    v1::EventChannelConfig* cluster = preferences.add_cluster_preferences();
    cluster->set_event_type(v1::LIVEBOARD_SCHEDULE);
    cluster->add_channels(v1::WEBHOOK);
    google::protobuf::Empty empty;
    ASSERT_TRUE(stub.ConfigureChannelPreferences(As(0).get(), preferences, &empty).ok());
  }

  std::vector<std::string> Flags(std::vector<std::string> extra = {}) {
    extra.push_back("--principals_file=" + principals_);
    extra.push_back(postgres_url_.empty() ? "--data_dir=" + directory_ + "/data"
                                          : "--postgres_url=" + postgres_url_);
    return extra;
  }

  testing::PostgresCluster* cluster_ = nullptr;  // Null: the journal.
  std::string postgres_url_;                     // Empty: the journal.
  std::string directory_;
  std::string principals_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_WEBHOOKD_PROCESS_H_
