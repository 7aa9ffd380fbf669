// Two engines on one PostgreSQL database, as two webhookd replicas run: what one acknowledges
// the other answers with; one webhook per org holds when both create at once; a delivery is
// made by one replica, and by the other once the first stops renewing its lease. A throwaway
// PostgreSQL 15 cluster; time is a fake clock.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "engine/base/json_codec.h"
#include "engine/delivery/signing.h"
#include "engine/persistence/postgres/postgres_state_store.h"
#include "engine/persistence/postgres/postgres_test_fixture.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::webhooks::testing::StatusIs;

class ReplicasTest : public engine_internal::PostgresTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PostgresTest::SetUp());
    first_store_ = OpenStore();
    second_store_ = OpenStore();
    ASSERT_NE(first_store_, nullptr);
    ASSERT_NE(second_store_, nullptr);
    harness_.options().state_store = first_store_.get();
    ASSERT_OK(harness_.StartEngine());
    harness_.options().state_store = second_store_.get();
    ASSERT_OK_AND_ASSIGN(second_, harness_.CreateEngine());
  }

  std::unique_ptr<PostgresStateStore> OpenStore() {
    PostgresStateStoreOptions options;
    options.clock = &harness_.clock();
    options.lease = absl::Seconds(60);
    absl::StatusOr<std::unique_ptr<PostgresStateStore>> store =
        PostgresStateStore::Open(Options(&harness_.clock()), options);
    EXPECT_OK(store.status());
    return store.ok() ? *std::move(store) : nullptr;
  }

  WebhookEngine& first() { return harness_.engine(); }
  WebhookEngine& second() { return *second_; }

  static v1::CreateWebhookRequest Create(const std::string& name) {
    v1::CreateWebhookRequest request;
    request.set_name(name);
    request.set_url("https://hooks.example.com/" + name);
    request.add_events(v1::LIVEBOARD_SCHEDULE);
    return request;
  }

  // The names of the webhooks `engine` finds for the admin.
  std::vector<std::string> Names(WebhookEngine& engine) {
    std::vector<std::string> names;
    absl::StatusOr<v1::SearchWebhooksResponse> found =
        engine.SearchWebhooks(admin_, v1::SearchWebhooksRequest());
    EXPECT_OK(found.status());
    if (found.ok()) {
      for (const v1::Webhook& webhook : found->webhooks()) names.push_back(webhook.name());
    }
    return names;
  }

  std::string Publish(WebhookEngine& engine) {
    v1::PublishEventRequest request;
    EXPECT_OK(FromJson(R"({"run":{"schedule":{"scheduleId":"sch-1","name":"Daily"},
        "liveboard_id":"lb-1","liveboard_name":"Sales"}})",
                       &request));
    absl::StatusOr<v1::PublishEventResponse> response = engine.PublishEvent(admin_, request);
    EXPECT_OK(response.status());
    return response.ok() ? response->job_id() : "";
  }

  // The job's status and try count as `engine` reports them, "status/tries".
  std::string Job(WebhookEngine& engine, const std::string& id) {
    v1::SearchChannelHistoryRequest request;
    request.set_channel_type(v1::WEBHOOK);
    request.add_job_ids(id);
    absl::StatusOr<v1::SearchChannelHistoryResponse> found =
        engine.SearchChannelHistory(admin_, request);
    if (!found.ok()) return std::string(found.status().message());
    if (found->jobs_size() != 1) return "no such job";
    return absl::StrCat(v1::ChannelHistoryJob::Status_Name(found->jobs(0).status()), "/",
                        found->jobs(0).try_count());
  }

  static HttpResponse Ok() {
    HttpResponse response;
    response.status = 200;
    return response;
  }

  std::unique_ptr<PostgresStateStore> first_store_;
  std::unique_ptr<PostgresStateStore> second_store_;
  // After the stores, so that the engines go first.
  testing::EngineHarness harness_{{testing::MakeOrg("0", "Primary")}};
  std::unique_ptr<WebhookEngine> second_;
  const Principal admin_ = harness_.AdminOf("Primary");
};

TEST_F(ReplicasTest, WhatOneAcknowledgesTheOtherAnswersWith) {
  ASSERT_OK(first().CreateWebhook(admin_, Create("hook")).status());
  EXPECT_THAT(Names(second()), ElementsAre("hook"));

  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("hook");
  update.set_name("renamed");
  ASSERT_OK(second().UpdateWebhook(admin_, update));
  EXPECT_THAT(Names(first()), ElementsAre("renamed"));

  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("renamed");
  ASSERT_OK(first().DeleteWebhooks(admin_, remove).status());
  EXPECT_THAT(Names(second()), ElementsAre());
  // The second plans on the state the first left: the org has no webhook, so it may create.
  ASSERT_OK(second().CreateWebhook(admin_, Create("again")).status());
  EXPECT_THAT(Names(first()), ElementsAre("again"));
}

TEST_F(ReplicasTest, CreatingAtTheSameInstantLeavesOneWebhookPerOrg) {
  for (int round = 0; round < 10; ++round) {
    absl::StatusOr<v1::Webhook> by_first, by_second;
    absl::Notification go;
    std::thread a([&] {
      go.WaitForNotification();
      by_first = first().CreateWebhook(admin_, Create(absl::StrCat("first-", round)));
    });
    std::thread b([&] {
      go.WaitForNotification();
      by_second = second().CreateWebhook(admin_, Create(absl::StrCat("second-", round)));
    });
    go.Notify();
    a.join();
    b.join();
    ASSERT_NE(by_first.ok(), by_second.ok()) << by_first.status() << " / " << by_second.status();
    const absl::StatusOr<v1::Webhook>& winner = by_first.ok() ? by_first : by_second;
    EXPECT_THAT(by_first.ok() ? by_second.status() : by_first.status(),
                StatusIs(absl::StatusCode::kAlreadyExists, ::testing::HasSubstr("already has")));
    EXPECT_THAT(Names(first()), ElementsAre(winner->name()));
    EXPECT_THAT(Names(second()), ElementsAre(winner->name()));
    v1::DeleteWebhooksRequest remove;
    remove.add_webhook_identifiers(winner->id());
    ASSERT_OK(first().DeleteWebhooks(admin_, remove).status());
  }
}

TEST_F(ReplicasTest, OneReplicaDeliversAnEventAndBothReportIt) {
  ASSERT_OK(first().CreateWebhook(admin_, Create("hook")).status());
  const std::string job = Publish(first());
  EXPECT_EQ(Job(second(), job), "PENDING/0");

  second().RunDueDeliveries();
  first().RunDueDeliveries();  // The second holds the lease: nothing more is sent.
  ASSERT_EQ(harness_.transport().request_count(), 1u);
  ASSERT_OK(harness_.transport().Respond(0, Ok()));
  second().RunDueDeliveries();  // Stores the outcome, as its dispatcher would at once.
  first().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 1u);
  EXPECT_EQ(Job(first(), job), "SUCCESS/1");
  EXPECT_EQ(Job(second(), job), "SUCCESS/1");
}

TEST_F(ReplicasTest, ARedeliveryOnOneReplicaIsSentOnceAndBothReportIt) {
  ASSERT_OK(first().CreateWebhook(admin_, Create("hook")).status());
  const std::string job = Publish(first());
  second().RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 1u);
  HttpResponse gone;
  gone.status = 410;
  ASSERT_OK(harness_.transport().Respond(0, gone));
  second().RunDueDeliveries();
  ASSERT_EQ(Job(first(), job), "FAILED/1");

  v1::RedeliverJobRequest redeliver;
  redeliver.set_job_id(job);
  ASSERT_OK(first().RedeliverJob(admin_, redeliver).status());
  EXPECT_EQ(Job(second(), job), "PENDING/1");
  // The second plans on the first's change: the job is no longer FAILED.
  EXPECT_THAT(second().RedeliverJob(admin_, redeliver),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("job '", job,
                                    "' is PENDING; only a FAILED delivery can be redelivered")));
  second().RunDueDeliveries();
  first().RunDueDeliveries();  // The second holds the lease.
  ASSERT_EQ(harness_.transport().request_count(), 2u);
  EXPECT_EQ(harness_.transport().requests()[1].body, harness_.transport().requests()[0].body);
  ASSERT_OK(harness_.transport().Respond(1, Ok()));
  second().RunDueDeliveries();
  first().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 2u);
  EXPECT_EQ(Job(first(), job), "SUCCESS/2");
  EXPECT_EQ(Job(second(), job), "SUCCESS/2");
}

TEST_F(ReplicasTest, AReplicaThatStopsRenewingItsLeaseHandsTheDeliveryOver) {
  ASSERT_OK(first().CreateWebhook(admin_, Create("hook")).status());
  const std::string job = Publish(first());
  first().RunDueDeliveries();  // Attempt 1, which never finishes: this replica "dies".
  ASSERT_EQ(harness_.transport().request_count(), 1u);
  EXPECT_EQ(Job(second(), job), "PENDING/0");
  second().RunDueDeliveries();  // The lease is the first's for a minute.
  EXPECT_EQ(harness_.transport().request_count(), 1u);

  harness_.clock().Advance(absl::Seconds(60));
  second().RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 2u);
  const std::vector<HttpRequest> sent = harness_.transport().requests();
  EXPECT_THAT(sent[0].headers, Contains(Pair("Idempotency-Key", job)));
  EXPECT_EQ(sent[1].headers, sent[0].headers);  // The same event, signed the same way.
  EXPECT_EQ(sent[1].body, sent[0].body);
  ASSERT_OK(harness_.transport().Respond(1, Ok()));
  second().RunDueDeliveries();
  EXPECT_EQ(Job(first(), job), "SUCCESS/1");

  // The first's attempt ends late: its lease has moved on, so its record is dropped.
  HttpResponse refused;
  refused.status = 500;
  ASSERT_OK(harness_.transport().Respond(0, refused));
  harness_.StopEngine();  // Syncs what it wrote.
  EXPECT_EQ(Job(second(), job), "SUCCESS/1");
  std::unique_ptr<PostgresStateStore> third_store = OpenStore();
  ASSERT_NE(third_store, nullptr);
  harness_.options().state_store = third_store.get();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WebhookEngine> third, harness_.CreateEngine());
  EXPECT_EQ(Job(*third, job), "SUCCESS/1");
}

// A rotation of the signing secret is state like any other: the replica that did not make it,
// and one started after it, sign with both secrets until the overlap ends.
TEST_F(ReplicasTest, ASecretRotationReachesTheOtherReplicas) {
  v1::CreateWebhookRequest create = Create("hook");
  v1::SignatureVerification* signature = create.mutable_signature_verification();
  signature->set_type(v1::HMAC_SHA256);
  signature->set_algorithm(v1::SHA256);
  signature->set_header("X-Webhook-Signature");
  signature->set_secret("first-secret");
  ASSERT_OK(first().CreateWebhook(admin_, create).status());
  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("hook");
  *update.mutable_signature_verification() = *signature;
  update.mutable_signature_verification()->set_secret("second-secret");
  ASSERT_OK(first().UpdateWebhook(admin_, update));
  const auto both = [&](const HttpRequest& sent, const std::string& job) {
    const int64_t seconds = absl::ToUnixSeconds(harness_.clock().Now());
    return Pair("webhook-signature",
                StandardWebhooksSignature("second-secret", job, seconds, sent.body) + " " +
                    StandardWebhooksSignature("first-secret", job, seconds, sent.body));
  };

  const std::string job = Publish(second());
  second().RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 1u);
  const HttpRequest sent = harness_.transport().requests()[0];
  EXPECT_THAT(sent.headers, Contains(both(sent, job)));
  EXPECT_THAT(sent.headers,
              Contains(Pair("X-Webhook-Signature", HmacSha256Hex("second-secret", sent.body))));
  ASSERT_OK(harness_.transport().Respond(0, Ok()));
  second().RunDueDeliveries();

  std::unique_ptr<PostgresStateStore> third_store = OpenStore();
  ASSERT_NE(third_store, nullptr);
  harness_.options().state_store = third_store.get();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WebhookEngine> third, harness_.CreateEngine());
  const std::string later = Publish(*third);
  third->RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 2u);
  const HttpRequest resent = harness_.transport().requests()[1];
  EXPECT_THAT(resent.headers, Contains(both(resent, later)));
  ASSERT_OK(harness_.transport().Respond(1, Ok()));
  third->RunDueDeliveries();
}

}  // namespace
}  // namespace webhooks
