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
//
// The binary's path is the first argument (see BUILD).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc_service/webhookd_process.h"
#include "gtest/gtest.h"
#include "testing/http_receiver.h"

namespace webhooks {
namespace {

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

using CrashTest = WebhookdStoreTest;

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

TEST_P(CrashTest, RetryingDeliveriesArriveAfterARestart) {
  constexpr int kEvents = 5;
  const int port = FreePort();  // Nothing listens there yet: the receiver is down.
  const std::vector<std::string> flags =
      Flags({"--allow_private_endpoints", "--retry_delays=1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"});
  auto server = Webhookd::Start(flags);
  ASSERT_NE(server, nullptr);
  auto stub = server->Stub();
  EnableWebhooks(*stub);
  CreateHook(*stub, 1, absl::StrCat("http://127.0.0.1:", port, "/hook"));
  const std::vector<std::string> job_ids = PublishRuns(*stub, kEvents);
  ASSERT_FALSE(HasFailure());
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

INSTANTIATE_TEST_SUITE_P(Stores, CrashTest, ::testing::Values("journal", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) { return webhooks::WebhookdTestMain(argc, argv); }
