// Crash tests of the real webhookd binary on a --data_dir, and on a --postgres_url (a database
// on a throwaway PostgreSQL cluster): SIGKILL at chosen moments, then a restart on the same
// directory or database, as a replacement machine would start.
//
// 1. Writes: several threads create, update and delete webhooks (one per org) over gRPC; the
//    server is killed once a chosen number of writes has been acknowledged. After the restart
//    every acknowledged write is there, and each org shows either its last acknowledged state
//    or the state after the one write that was in flight: nothing is half-applied.
// 2. Deliveries: the receiver is down, the jobs are retrying, webhookd is killed; the receiver
//    comes back, webhookd restarts, and every event arrives at least once.
// 3. Replicas: two webhookd processes on one database. Both create in one org at once (one
//    wins; the next request to either sees it); the one holding half the deliveries is killed
//    mid-attempt, and the other delivers every event.
//
// The binary's path is the first argument (see BUILD).
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc_service/authenticator.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/http_receiver.h"
#include "testing/postgres_cluster.h"

namespace webhooks {
namespace {

std::string webhookd_path;  // From argv.

constexpr int kOrgs = 24;

std::string TokenOf(int org) { return absl::StrCat("token-org-", org); }

// A principals file: orgs 0..kOrgs-1, one admin in all of them, one token per org.
std::string PrincipalsText() {
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
  // Starts it and waits for "ready" (at most 30 s); null if it did not get there.
  static std::unique_ptr<Webhookd> Start(const std::vector<std::string>& flags) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return nullptr;
    auto process = std::unique_ptr<Webhookd>(new Webhookd());
    process->pid_ = fork();
    if (process->pid_ == 0) {
      dup2(pipe_fds[1], STDERR_FILENO);
      std::vector<std::string> args = {webhookd_path, "--grpc_listen=127.0.0.1:0",
                                       "--http_listen="};
      args.insert(args.end(), flags.begin(), flags.end());
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(pipe_fds[1]);
    process->stderr_fd_ = pipe_fds[0];
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
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

std::unique_ptr<grpc::ClientContext> As(int org) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", TokenOf(org)));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

// What one org's webhook is, as far as the test knows.
struct OrgState {
  bool exists = false;
  std::string description;
  bool operator==(const OrgState& other) const {
    return exists == other.exists && (!exists || description == other.description);
  }
};

std::string Describe(const OrgState& state) {
  return state.exists ? absl::StrCat("webhook with description '", state.description, "'")
                      : "no webhook";
}

// Where the state is kept: "journal" (--data_dir) or "postgres" (--postgres_url).
class CrashTest : public ::testing::TestWithParam<std::string> {
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
        absl::StrCat(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp", "/crash-",
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

TEST_P(CrashTest, AcknowledgedWritesSurviveSigkill) {
  for (const int kill_after : {3, 40, 150, 400}) {
    auto server = Webhookd::Start(Flags());
    ASSERT_NE(server, nullptr);
    auto stub = server->Stub();
    EnableWebhooks(*stub);
    absl::Mutex mu;
    std::map<int, OrgState> acknowledged;              // By org.
    std::map<int, std::optional<OrgState>> in_flight;  // The write an org has outstanding.
    int acks = 0;
    int stopped = 0;  // Writers that have seen the server go (or failed).
    // Orgs start as the last round left them; read that state first.
    {
      v1::SearchWebhooksRequest all;
      all.set_record_size(1000);
      v1::SearchWebhooksResponse found;
      ASSERT_TRUE(stub->SearchWebhooks(As(0).get(), all, &found).ok());
      for (const v1::Webhook& webhook : found.webhooks()) {
        int org;
        ASSERT_TRUE(absl::SimpleAtoi(webhook.org().id(), &org));
        acknowledged[org] = {true, webhook.description()};
      }
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < 6; ++w) {
      writers.emplace_back([&, w] {
        absl::BitGen local;
        for (int step = 0;; ++step) {
          const int org = 1 + w + 6 * absl::Uniform(local, 0, (kOrgs - 1) / 6);
          OrgState before, after;
          {
            absl::MutexLock lock(&mu);
            before = acknowledged[org];
          }
          grpc::Status status;
          if (!before.exists) {
            v1::CreateWebhookRequest create;
            create.set_name(absl::StrCat("hook-", org));
            create.set_url("https://receiver.example/hook");
            create.add_events(v1::LIVEBOARD_SCHEDULE);
            create.set_description(absl::StrCat("created-", w, "-", step));
            after = {true, create.description()};
            {
              absl::MutexLock lock(&mu);
              in_flight[org] = after;
            }
            v1::Webhook created;
            status = stub->CreateWebhook(As(org).get(), create, &created);
          } else if (absl::Bernoulli(local, 0.7)) {
            v1::UpdateWebhookRequest update;
            update.set_webhook_identifier(absl::StrCat("hook-", org));
            update.set_description(absl::StrCat("updated-", w, "-", step));
            after = {true, update.description()};
            {
              absl::MutexLock lock(&mu);
              in_flight[org] = after;
            }
            google::protobuf::Empty empty;
            status = stub->UpdateWebhook(As(org).get(), update, &empty);
          } else {
            v1::DeleteWebhooksRequest remove;
            remove.add_webhook_identifiers(absl::StrCat("hook-", org));
            after = {false, ""};
            {
              absl::MutexLock lock(&mu);
              in_flight[org] = after;
            }
            v1::DeleteWebhooksResponse deleted;
            status = stub->DeleteWebhooks(As(org).get(), remove, &deleted);
          }
          absl::MutexLock lock(&mu);
          if (!status.ok()) {  // The server is gone; the write may or may not be in.
            ++stopped;
            return;
          }
          acknowledged[org] = after;
          in_flight[org].reset();
          ++acks;
        }
      });
    }
    {
      absl::MutexLock lock(&mu);
      const auto reached = [&]() { return acks >= kill_after || stopped > 0; };
      mu.Await(absl::Condition(&reached));
      ASSERT_EQ(stopped, 0) << "a write failed before the kill";
    }
    server->Kill();  // SIGKILL, mid-traffic.
    for (std::thread& writer : writers) writer.join();

    server = Webhookd::Start(Flags());
    ASSERT_NE(server, nullptr);
    v1::SearchWebhooksRequest all;
    all.set_record_size(1000);
    v1::SearchWebhooksResponse found;
    ASSERT_TRUE(server->Stub()->SearchWebhooks(As(0).get(), all, &found).ok());
    std::map<int, OrgState> recovered;
    for (const v1::Webhook& webhook : found.webhooks()) {
      int org;
      ASSERT_TRUE(absl::SimpleAtoi(webhook.org().id(), &org));
      recovered[org] = {true, webhook.description()};
    }
    for (int org = 1; org < kOrgs; ++org) {
      const OrgState& actual = recovered[org];
      const std::optional<OrgState>& pending = in_flight[org];
      EXPECT_TRUE(actual == acknowledged[org] || (pending.has_value() && actual == *pending))
          << "kill after " << kill_after << " writes: org " << org << " has " << Describe(actual)
          << ", acknowledged " << Describe(acknowledged[org])
          << (pending.has_value() ? ", in flight " + Describe(*pending) : "");
    }
    server->Kill();
  }
}

int FreePort() {
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

TEST_P(CrashTest, RetryingDeliveriesArriveAfterARestart) {
  constexpr int kEvents = 5;
  const int port = FreePort();  // Nothing listens there yet: the receiver is down.
  const std::vector<std::string> flags =
      Flags({"--allow_private_endpoints", "--retry_delays=1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"});
  auto server = Webhookd::Start(flags);
  ASSERT_NE(server, nullptr);
  auto stub = server->Stub();
  EnableWebhooks(*stub);
  v1::CreateWebhookRequest create;
  create.set_name("hook");
  create.set_url(absl::StrCat("http://127.0.0.1:", port, "/hook"));
  create.add_events(v1::LIVEBOARD_SCHEDULE);
  v1::Webhook created;
  ASSERT_TRUE(stub->CreateWebhook(As(1).get(), create, &created).ok());
  std::vector<std::string> job_ids;
  for (int i = 0; i < kEvents; ++i) {
    v1::PublishEventRequest publish;
    publish.set_org_identifier("1");
    publish.mutable_run()->mutable_schedule()->set_scheduleid(absl::StrCat("schedule-", i));
    publish.mutable_run()->mutable_schedule()->set_name("Daily");
    publish.mutable_run()->set_liveboard_id("lb");
    publish.mutable_run()->set_liveboard_name("Sales");
    v1::PublishEventResponse published;
    ASSERT_TRUE(stub->PublishEvent(As(0).get(), publish, &published).ok());
    ASSERT_EQ(published.outcome(), v1::PublishEventResponse::QUEUED);
    job_ids.push_back(published.job_id());
  }
  // Every job has failed once and waits in RETRY (the history says so; asked until it does).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::flat_hash_set<std::string> retrying;
  while (retrying.size() < job_ids.size() && absl::Now() < deadline) {
    for (const std::string& id : job_ids) {
      v1::SearchChannelHistoryRequest history;
      history.set_channel_type(v1::WEBHOOK);
      history.add_job_ids(id);
      v1::SearchChannelHistoryResponse jobs;
      if (stub->SearchChannelHistory(As(0).get(), history, &jobs).ok() && jobs.jobs_size() == 1 &&
          jobs.jobs(0).status() == v1::ChannelHistoryJob::RETRY) {
        retrying.insert(id);
      }
    }
  }
  ASSERT_EQ(retrying.size(), job_ids.size());
  server->Kill();

  testing::HttpReceiver receiver(port);  // The receiver is back...
  server = Webhookd::Start(flags);       // ...and so is webhookd.
  ASSERT_NE(server, nullptr);
  absl::flat_hash_set<std::string> arrived;
  for (size_t seen = kEvents; arrived.size() < job_ids.size(); ++seen) {
    ASSERT_TRUE(receiver.WaitForRequests(seen)) << arrived.size() << " events arrived";
    arrived.clear();
    for (const auto& request : receiver.requests()) {
      arrived.insert(request.Header("idempotency-key"));
    }
  }
  for (const std::string& id : job_ids) EXPECT_TRUE(arrived.contains(id)) << id;
}

// Two webhookd processes on one PostgreSQL database.
class ReplicasTest : public CrashTest {};

TEST_P(ReplicasTest, EitherReplicaAnswersWithWhatTheOtherAcknowledged) {
  auto first = Webhookd::Start(Flags());
  auto second = Webhookd::Start(Flags());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto first_stub = first->Stub();
  auto second_stub = second->Stub();
  EnableWebhooks(*first_stub);
  for (int round = 0; round < 10; ++round) {
    // Both create a webhook in org 1 at once: the org gets one.
    grpc::Status created[2];
    v1::Webhook webhooks[2];
    std::vector<std::thread> creators;
    for (int replica = 0; replica < 2; ++replica) {
      creators.emplace_back([&, replica] {
        v1::CreateWebhookRequest create;
        create.set_name(absl::StrCat("hook-", round, "-", replica));
        create.set_url("https://receiver.example/hook");
        create.add_events(v1::LIVEBOARD_SCHEDULE);
        created[replica] = (replica == 0 ? first_stub : second_stub)
                               ->CreateWebhook(As(1).get(), create, &webhooks[replica]);
      });
    }
    for (std::thread& creator : creators) creator.join();
    ASSERT_NE(created[0].ok(), created[1].ok())
        << created[0].error_message() << " / " << created[1].error_message();
    const int winner = created[0].ok() ? 0 : 1;
    EXPECT_EQ(created[1 - winner].error_code(), grpc::StatusCode::ALREADY_EXISTS);
    // The next request, to either replica, sees it.
    for (auto* stub : {first_stub.get(), second_stub.get()}) {
      v1::SearchWebhooksResponse found;
      ASSERT_TRUE(stub->SearchWebhooks(As(1).get(), v1::SearchWebhooksRequest(), &found).ok());
      ASSERT_EQ(found.webhooks_size(), 1);
      EXPECT_EQ(found.webhooks(0).name(), webhooks[winner].name());
    }
    v1::DeleteWebhooksRequest remove;
    remove.add_webhook_identifiers(webhooks[winner].id());
    v1::DeleteWebhooksResponse deleted;
    ASSERT_TRUE((winner == 0 ? second_stub : first_stub)
                    ->DeleteWebhooks(As(1).get(), remove, &deleted)
                    .ok());
    ASSERT_EQ(deleted.deleted_webhooks_size(), 1);
  }
}

TEST_P(ReplicasTest, KillingTheReplicaThatHoldsDeliveriesLosesNoEvent) {
  constexpr int kEvents = 8;
  // The receiver holds every request until the first replica is killed, then answers 200.
  absl::Mutex mu;
  bool answering = false;
  absl::flat_hash_set<std::string> answered;  // Idempotency keys.
  testing::HttpReceiver receiver;
  receiver.SetHandler([&](const testing::ReceivedRequest& request) {
    absl::MutexLock lock(&mu);
    if (!answering) return testing::ScriptedResponse::Hang();
    answered.insert(request.Header("idempotency-key"));
    return testing::ScriptedResponse();
  });
  const std::vector<std::string> flags =
      Flags({"--allow_private_endpoints", "--delivery_lease=2s", "--delivery_timeout=3s",
             "--retry_delays=1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"});
  auto first = Webhookd::Start(flags);
  auto second = Webhookd::Start(flags);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto stub = first->Stub();
  EnableWebhooks(*stub);
  v1::CreateWebhookRequest create;
  create.set_name("hook");
  create.set_url(receiver.url("/hook"));
  create.add_events(v1::LIVEBOARD_SCHEDULE);
  v1::Webhook created;
  ASSERT_TRUE(stub->CreateWebhook(As(1).get(), create, &created).ok());
  std::vector<std::string> job_ids;
  for (int i = 0; i < kEvents; ++i) {
    v1::PublishEventRequest publish;
    publish.set_org_identifier("1");
    publish.mutable_run()->mutable_schedule()->set_scheduleid(absl::StrCat("schedule-", i));
    publish.mutable_run()->mutable_schedule()->set_name("Daily");
    publish.mutable_run()->set_liveboard_id("lb");
    publish.mutable_run()->set_liveboard_name("Sales");
    v1::PublishEventResponse published;
    const grpc::Status status = stub->PublishEvent(As(0).get(), publish, &published);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(published.outcome(), v1::PublishEventResponse::QUEUED);
    job_ids.push_back(published.job_id());
  }
  // Each event's first attempt hangs at the receiver, under one replica's lease or the other's.
  ASSERT_TRUE(receiver.WaitForRequests(kEvents));
  first->Kill();
  {
    absl::MutexLock lock(&mu);
    answering = true;
  }
  // The second's own attempts time out and are retried; the first's come again from the
  // second once their leases expire. Every event arrives, with its own id.
  const auto all_answered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return answered.size() >= job_ids.size();
  };
  absl::MutexLock lock(&mu);
  mu.AwaitWithTimeout(absl::Condition(&all_answered), absl::Seconds(60));
  for (const std::string& id : job_ids) EXPECT_TRUE(answered.contains(id)) << id;
}

TEST_P(ReplicasTest, PostgresRestartedUnderLoadLosesNoAcknowledgedWrite) {
  auto first = Webhookd::Start(Flags());
  auto second = Webhookd::Start(Flags());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  std::unique_ptr<v1::WebhookService::Stub> stubs[2] = {first->Stub(), second->Stub()};
  EnableWebhooks(*stubs[0]);
  constexpr int kWriters = 4;  // Writer w updates org w + 1's webhook through both replicas.
  for (int w = 0; w < kWriters; ++w) {
    v1::CreateWebhookRequest create;
    create.set_name("hook");
    create.set_url("https://receiver.example/hook");
    create.add_events(v1::LIVEBOARD_SCHEDULE);
    create.set_description("created");
    v1::Webhook created;
    ASSERT_TRUE(stubs[w % 2]->CreateWebhook(As(w + 1).get(), create, &created).ok());
  }
  struct Writer {
    std::string acknowledged = "created";
    std::vector<std::string> unknown;  // Failed after the last acknowledged: in or not.
    int acks = 0;
    int acks_after_restart = 0;
    std::vector<std::string> errors;  // Any failure that is not UNAVAILABLE.
  };
  absl::Mutex mu;
  Writer writers[kWriters];
  bool restarted = false;
  bool stop = false;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int step = 0;; ++step) {
        v1::UpdateWebhookRequest update;
        update.set_webhook_identifier("hook");
        update.set_description(absl::StrCat("update-", step));
        google::protobuf::Empty empty;
        const grpc::Status status = stubs[step % 2]->UpdateWebhook(As(w + 1).get(), update, &empty);
        absl::MutexLock lock(&mu);
        Writer& writer = writers[w];
        if (status.ok()) {
          writer.acknowledged = update.description();
          writer.unknown.clear();
          ++(restarted ? writer.acks_after_restart : writer.acks);
        } else {
          writer.unknown.push_back(update.description());
          if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
            writer.errors.push_back(status.error_message());
          }
        }
        if (stop) return;
      }
    });
  }
  // Every writer is under way, the database restarts, and every writer goes on.
  const auto each_has = [&](int Writer::*count, int at_least) {
    return [&writers, count, at_least]() {
      for (const Writer& writer : writers) {
        if (writer.*count < at_least) return false;
      }
      return true;
    };
  };
  {
    absl::MutexLock lock(&mu);
    const auto loaded = each_has(&Writer::acks, 20);
    mu.AwaitWithTimeout(absl::Condition(&loaded), absl::Seconds(60));
  }
  ASSERT_TRUE(cluster_->Restart().ok());
  {
    absl::MutexLock lock(&mu);
    restarted = true;
    const auto resumed = each_has(&Writer::acks_after_restart, 20);
    mu.AwaitWithTimeout(absl::Condition(&resumed), absl::Seconds(60));
    stop = true;
  }
  for (std::thread& thread : threads) thread.join();

  for (int w = 0; w < kWriters; ++w) {
    const Writer& writer = writers[w];
    EXPECT_GE(writer.acks_after_restart, 20) << "org " << w + 1 << ": the service did not resume";
    EXPECT_TRUE(writer.errors.empty()) << writer.errors.front();
    for (const auto& stub : stubs) {
      v1::SearchWebhooksResponse found;
      ASSERT_TRUE(stub->SearchWebhooks(As(w + 1).get(), v1::SearchWebhooksRequest(), &found).ok());
      ASSERT_EQ(found.webhooks_size(), 1);
      const std::string& description = found.webhooks(0).description();
      EXPECT_TRUE(description == writer.acknowledged ||
                  absl::c_linear_search(writer.unknown, description))
          << "org " << w + 1 << " has '" << description << "', acknowledged '"
          << writer.acknowledged << "'";
    }
  }
}

TEST_P(ReplicasTest, AJournalImportedIntoPostgresCarriesOn) {
  const std::string journal = "--data_dir=" + directory_ + "/journal";
  const std::string principals = "--principals_file=" + principals_;
  {
    auto server = Webhookd::Start({journal, principals});
    ASSERT_NE(server, nullptr);
    auto stub = server->Stub();
    EnableWebhooks(*stub);
    v1::CreateWebhookRequest create;
    create.set_name("hook");
    create.set_url("https://receiver.example/hook");
    create.add_events(v1::LIVEBOARD_SCHEDULE);
    v1::Webhook created;
    ASSERT_TRUE(stub->CreateWebhook(As(3).get(), create, &created).ok());
  }  // Stopped (SIGKILL), as a journal is moved.
  const std::string import = absl::StrCat(webhookd_path, " --postgres_url=", postgres_url_,
                                          " --import_data_dir=", directory_, "/journal");
  ASSERT_EQ(std::system(import.c_str()), 0);
  EXPECT_NE(std::system(import.c_str()), 0);  // The database holds state now: refused.

  auto server = Webhookd::Start(Flags());
  ASSERT_NE(server, nullptr);
  v1::SearchWebhooksResponse found;
  ASSERT_TRUE(
      server->Stub()->SearchWebhooks(As(3).get(), v1::SearchWebhooksRequest(), &found).ok());
  ASSERT_EQ(found.webhooks_size(), 1);
  EXPECT_EQ(found.webhooks(0).name(), "hook");
  EXPECT_EQ(found.webhooks(0).org().id(), "3");
}

INSTANTIATE_TEST_SUITE_P(Postgres, ReplicasTest, ::testing::Values("postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

INSTANTIATE_TEST_SUITE_P(Stores, CrashTest, ::testing::Values("journal", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: crash_test <path to webhookd>\n");
    return 2;
  }
  webhooks::webhookd_path = argv[1];
  return RUN_ALL_TESTS();
}
