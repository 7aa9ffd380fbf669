// Two webhookd processes on one PostgreSQL database (a throwaway cluster): both create in one
// org at once (one wins; the next request to either sees it); the one holding half the
// deliveries is killed mid-attempt, and the other delivers every event; PostgreSQL restarts
// under load from both, and no acknowledged write is lost; a journal is imported.
//
// The binary's path is the first argument (see BUILD).
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpc_service/webhookd_process.h"
#include "gtest/gtest.h"
#include "testing/http_receiver.h"

namespace webhooks {
namespace {

class ReplicasTest : public WebhookdStoreTest {};

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
  CreateHook(*stub, 1, receiver.url("/hook"));
  const std::vector<std::string> job_ids = PublishRuns(*stub, kEvents);
  ASSERT_FALSE(HasFailure());
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
    int acks_after_restart[2] = {0, 0};  // Through each replica.
    std::vector<std::string> errors;     // Any failure that is not UNAVAILABLE.
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
          ++(restarted ? writer.acks_after_restart[step % 2] : writer.acks);
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
  // Every writer is under way, the database restarts, and every writer goes on through both
  // replicas (each reconnects in its own time).
  const auto each_has = [&](const std::function<int(const Writer&)>& count, int at_least) {
    return [&writers, count, at_least]() {
      for (const Writer& writer : writers) {
        if (count(writer) < at_least) return false;
      }
      return true;
    };
  };
  const auto resumed_through_both = [](const Writer& writer) {
    return std::min(writer.acks_after_restart[0], writer.acks_after_restart[1]);
  };
  {
    absl::MutexLock lock(&mu);
    const auto loaded = each_has([](const Writer& writer) { return writer.acks; }, 20);
    mu.AwaitWithTimeout(absl::Condition(&loaded), absl::Seconds(60));
  }
  ASSERT_TRUE(cluster_->Restart().ok());
  {
    absl::MutexLock lock(&mu);
    restarted = true;
    const auto resumed = each_has(resumed_through_both, 10);
    mu.AwaitWithTimeout(absl::Condition(&resumed), absl::Seconds(60));
    stop = true;
  }
  for (std::thread& thread : threads) thread.join();

  for (int w = 0; w < kWriters; ++w) {
    const Writer& writer = writers[w];
    EXPECT_GE(resumed_through_both(writer), 10)
        << "org " << w + 1 << ": the service did not resume on both replicas";
    EXPECT_TRUE(writer.errors.empty()) << writer.errors.front();
    for (const auto& stub : stubs) {
      v1::SearchWebhooksResponse found;
      const grpc::Status searched =
          stub->SearchWebhooks(As(w + 1).get(), v1::SearchWebhooksRequest(), &found);
      ASSERT_TRUE(searched.ok()) << searched.error_code() << " " << searched.error_message();
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
  const std::string import = absl::StrCat(WebhookdPath(), " --postgres_url=", postgres_url_,
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

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) { return webhooks::WebhookdTestMain(argc, argv); }
