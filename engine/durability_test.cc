// The engine on a JournalStore: everything acknowledged is there after reopening, and
// deliveries that were pending or retrying go on where they stopped.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "engine/persistence/journal_store.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/failing_state_store.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;

// Forty orgs: ids "0" to "39", named "org0" to "org39".
std::vector<v1::Org> FortyOrgs() {
  std::vector<v1::Org> orgs;
  for (int i = 0; i < 40; ++i) orgs.push_back(MakeOrg(absl::StrCat(i), absl::StrCat("org", i)));
  return orgs;
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = absl::StrCat(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp",
                              "/durability-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
  }

  // Opens the store and an engine over it, as a restarted process would.
  void Start(uint64_t snapshot_after_bytes = 64 << 20) {
    harness_.StopEngine();
    store_.reset();
    JournalOptions journal;
    journal.directory = directory_;
    journal.snapshot_after_bytes = snapshot_after_bytes;
    journal.log = [](absl::string_view) {};
    store_ = JournalStore::Open(journal).value();
    harness_.options().state_store = store_.get();
    // The state, channel preferences included, is the store's.
    ASSERT_OK(harness_.StartEngine(/*enable_webhook_channel=*/false));
  }

  // The cluster administrator for org 0, else an administrator of that org only.
  Principal AdminOf(int org) {
    return org == 0 ? harness_.Admin() : harness_.AdminOf(absl::StrCat(org));
  }

  std::string Everything() {
    v1::SearchWebhooksRequest search;
    search.set_record_size(1000);
    auto webhooks = harness_.engine().SearchWebhooks(AdminOf(0), search);
    auto preferences = harness_.engine().SearchChannelPreferences(AdminOf(0), {});
    EXPECT_OK(webhooks.status());
    EXPECT_OK(preferences.status());
    return ToJson(*webhooks) + ToJson(*preferences);
  }

  v1::ChannelHistoryJob Job(const std::string& id) {
    v1::SearchChannelHistoryRequest request;
    request.set_channel_type(v1::WEBHOOK);
    request.add_job_ids(id);
    auto found = harness_.engine().SearchChannelHistory(AdminOf(0), request);
    return found.ok() && found->jobs_size() == 1 ? found->jobs(0) : v1::ChannelHistoryJob();
  }

  std::string directory_;
  std::unique_ptr<JournalStore> store_;
  // After the store, so that the engine is destroyed first.
  testing::EngineHarness harness_{FortyOrgs()};
};

TEST_F(DurabilityTest, TheGeneratedStorageKeyAndSoEveryExternalIdSurviveARestart) {
  // No DeliveryOptions::storage_identity_key: the engine generated one at its first start and
  // keeps it in the state, journal and snapshots alike, so customers' trust policies stay valid.
  const auto external_id = [this](int org) {
    absl::StatusOr<v1::GetStorageConfigResponse> config =
        harness_.engine().GetStorageConfig(AdminOf(org));
    EXPECT_OK(config.status());
    return ToJson(config->configs(0).config().trust_policy_template());
  };
  Start();
  const std::string org1 = external_id(1);
  const std::string org2 = external_id(2);
  EXPECT_NE(org1, org2);
  Start();
  EXPECT_EQ(external_id(1), org1);
  Start(/*snapshot_after_bytes=*/1);  // Now from a snapshot.
  Start();
  EXPECT_EQ(external_id(1), org1);
  EXPECT_EQ(external_id(2), org2);
  // A configured key replaces the generated one.
  harness_.options().delivery.storage_identity_key = "configured-key";
  Start();
  EXPECT_NE(external_id(1), org1);
}

TEST_F(DurabilityTest, EveryKindOfChangeSurvivesARestart) {
  Start();
  v1::ConfigureChannelPreferencesRequest preferences;
  ASSERT_OK(FromJson(R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE",
      "channels":["WEBHOOK","EMAIL"]}],
      "org_preferences":[{"org_identifier":"org2","preferences":[
          {"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL"]}]},
        {"org_identifier":"org3","preferences":[
          {"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK"]}]}]})",
                     &preferences));
  ASSERT_OK(harness_.engine().ConfigureChannelPreferences(AdminOf(0), preferences));
  v1::ConfigureChannelPreferencesRequest reset;
  ASSERT_OK(FromJson(R"({"org_preferences":[{"org_identifier":"org3","operation":"RESET",
                         "reset_events":["LIVEBOARD_SCHEDULE"]}]})",
                     &reset));
  ASSERT_OK(harness_.engine().ConfigureChannelPreferences(AdminOf(0), reset));
  for (int org : {1, 3, 4}) {
    v1::CreateWebhookRequest create;
    ASSERT_OK(FromJson(absl::StrCat(R"({"name":"w)", org, R"(","url":"https://r.example/)", org,
                                    R"(","events":["LIVEBOARD_SCHEDULE"],
                                    "authentication":{"BEARER_TOKEN":"secret-)",
                                    org, R"("}})"),
                       &create));
    ASSERT_OK(harness_.engine().CreateWebhook(AdminOf(org), create).status());
    harness_.clock().Advance(absl::Seconds(1));
  }
  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("w3");
  update.set_description("changed");
  ASSERT_OK(harness_.engine().UpdateWebhook(AdminOf(3), update));
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("w4");
  ASSERT_OK(harness_.engine().DeleteWebhooks(AdminOf(0), remove).status());
  const std::string before = Everything();
  EXPECT_THAT(before, HasSubstr(R"("description":"changed")"));

  Start();
  EXPECT_EQ(Everything(), before);
  // Secrets survived too: a delivery still authenticates with the stored token.
  v1::PublishEventRequest publish;
  ASSERT_OK(FromJson(R"({"org_identifier":"org1","run":{"schedule":{"scheduleId":"s",
      "name":"n"},"liveboard_id":"lb","liveboard_name":"L"}})",
                     &publish));
  ASSERT_OK(harness_.engine().PublishEvent(AdminOf(0), publish).status());
  harness_.engine().RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 1u);
  EXPECT_THAT(harness_.transport().requests()[0].headers,
              ::testing::Contains(::testing::Pair("Authorization", "Bearer secret-1")));
  HttpResponse ok;
  ok.status = 200;
  ASSERT_OK(harness_.transport().Respond(0, ok));  // The engine waits for attempts in flight.
}

TEST_F(DurabilityTest, PendingAndRetryingDeliveriesResumeWithTheSameEventId) {
  Start();
  testing::EnableWebhookChannel(harness_.engine(), AdminOf(0));
  for (int org : {1, 2}) {
    v1::CreateWebhookRequest create;
    ASSERT_OK(FromJson(absl::StrCat(R"({"name":"w)", org, R"(","url":"https://r.example/)", org,
                                    R"(","events":["LIVEBOARD_SCHEDULE"]})"),
                       &create));
    ASSERT_OK(harness_.engine().CreateWebhook(AdminOf(org), create).status());
  }
  const auto publish = [&](int org) {
    v1::PublishEventRequest request;
    EXPECT_OK(FromJson(absl::StrCat(R"({"org_identifier":"org)", org, R"(",
        "run":{"schedule":{"scheduleId":"s","name":"n"},"liveboard_id":"lb",
        "liveboard_name":"L"},"files":[{"name":"r.csv","content":"YQ=="}]})"),
                       &request));
    return harness_.engine().PublishEvent(AdminOf(0), request).value().job_id();
  };
  const std::string retrying = publish(1);
  harness_.engine().RunDueDeliveries();
  HttpResponse failure;
  failure.status = 500;
  ASSERT_OK(harness_.transport().Respond(0, failure));
  EXPECT_EQ(Job(retrying).status(), v1::ChannelHistoryJob::RETRY);
  const std::string pending = publish(2);  // Never attempted before the "crash".
  const std::string first_body = harness_.transport().requests()[0].body;

  Start();
  EXPECT_EQ(Job(retrying).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(retrying).try_count(), 1);
  EXPECT_EQ(Job(pending).status(), v1::ChannelHistoryJob::PENDING);
  harness_.engine().RunDueDeliveries();  // Only the pending one is due yet.
  ASSERT_EQ(harness_.transport().request_count(), 2u);
  EXPECT_EQ(harness_.transport().requests()[1].url, "https://r.example/2");
  harness_.clock().Advance(absl::Minutes(1));
  harness_.engine().RunDueDeliveries();
  ASSERT_EQ(harness_.transport().request_count(), 3u);
  const HttpRequest resumed = harness_.transport().requests()[2];
  EXPECT_EQ(resumed.url, "https://r.example/1");
  EXPECT_EQ(resumed.body, first_body);  // Same event id, same bytes.
  HttpResponse ok;
  ok.status = 200;
  ASSERT_OK(harness_.transport().Respond(2, ok));
  ASSERT_OK(harness_.transport().Respond(1, ok));
  EXPECT_EQ(Job(retrying).status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(Job(retrying).try_count(), 2);

  Start();  // Finished jobs stay finished.
  EXPECT_EQ(Job(retrying).status(), v1::ChannelHistoryJob::SUCCESS);
  EXPECT_EQ(Job(pending).status(), v1::ChannelHistoryJob::SUCCESS);
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.transport().request_count(), 3u);
}

// A receiver's reply that is not UTF-8 (Latin-1, then a euro sign that the 512-byte limit cuts)
// goes into the history; the engine must still restart, and the history answer.
TEST_F(DurabilityTest, AReplyThatIsNotUtf8DoesNotStopARestart) {
  Start();
  testing::EnableWebhookChannel(harness_.engine(), AdminOf(0));
  v1::CreateWebhookRequest create;
  ASSERT_OK(FromJson(R"({"name":"w","url":"https://r.example/1","events":["LIVEBOARD_SCHEDULE"]})",
                     &create));
  ASSERT_OK(harness_.engine().CreateWebhook(AdminOf(1), create).status());
  v1::PublishEventRequest request;
  ASSERT_OK(FromJson(R"({"org_identifier":"org1","run":{"schedule":{"scheduleId":"s",
      "name":"n"},"liveboard_id":"lb","liveboard_name":"L"}})",
                     &request));
  const std::string job = harness_.engine().PublishEvent(AdminOf(0), request).value().job_id();
  harness_.engine().RunDueDeliveries();
  HttpResponse failure;
  failure.status = 500;
  failure.body = std::string(507, 'x') + "\xE9t\xE9\xE2\x82\xAC";  // The euro spans byte 512.
  ASSERT_OK(harness_.transport().Respond(0, failure));
  const std::string detail = "HTTP 500: " + std::string(507, 'x') + "\xEF\xBF\xBDt\xEF\xBF\xBD";
  EXPECT_EQ(Job(job).detail(), detail);

  Start();
  EXPECT_EQ(Job(job).status(), v1::ChannelHistoryJob::RETRY);
  EXPECT_EQ(Job(job).detail(), detail);
}

TEST(StoreFailureTest, AfterAFailedSyncNothingChanges) {
  testing::FailingStateStore store;
  testing::EngineHarness harness({MakeOrg("1", "one")});  // After the store it writes to.
  harness.options().state_store = &store;
  ASSERT_OK(harness.StartEngine(/*enable_webhook_channel=*/false));
  WebhookEngine& engine = harness.engine();
  const Principal admin = harness.Admin();  // Cluster preferences need a cluster admin.
  v1::ConfigureChannelPreferencesRequest preferences;
  ASSERT_OK(FromJson(R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE",
                         "channels":["WEBHOOK"]}]})",
                     &preferences));
  ASSERT_OK(engine.ConfigureChannelPreferences(admin, preferences));
  store.Break();
  v1::CreateWebhookRequest create;
  ASSERT_OK(FromJson(R"({"name":"w","url":"https://r.example/","events":["LIVEBOARD_SCHEDULE"]})",
                     &create));
  const std::string full_disk = "cannot write /var/lib/webhookd/journal-7: No space left";
  EXPECT_THAT(engine.CreateWebhook(admin, create),
              StatusIs(absl::StatusCode::kUnavailable, full_disk));
  const uint64_t written = store.written();
  // The store has failed: every later change is refused before it is made.
  EXPECT_THAT(engine.CreateWebhook(admin, create),
              StatusIs(absl::StatusCode::kUnavailable, full_disk));
  EXPECT_THAT(engine.ConfigureChannelPreferences(admin, preferences),
              StatusIs(absl::StatusCode::kUnavailable, full_disk));
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("w");
  EXPECT_THAT(engine.DeleteWebhooks(admin, remove),
              StatusIs(absl::StatusCode::kUnavailable, full_disk));
  EXPECT_EQ(store.written(), written);
}

TEST_F(DurabilityTest, FilesForAStorageDestinationAreKeptUntilUploadedAndUploadedOnce) {
  Start();
  testing::EnableWebhookChannel(harness_.engine(), AdminOf(0));
  v1::CreateWebhookRequest create;
  ASSERT_OK(FromJson(R"({"name":"w","url":"https://r.example/1","events":["LIVEBOARD_SCHEDULE"],
      "storage_destination":{"storage_type":"AWS_S3","storage_config":{"aws_s3_config":{
          "bucket_name":"reports","region":"eu-west-1",
          "role_arn":"arn:aws:iam::123456789012:role/R"}}}})",
                     &create));
  ASSERT_OK(harness_.engine().CreateWebhook(AdminOf(1), create).status());
  v1::PublishEventRequest event;
  ASSERT_OK(FromJson(R"({"org_identifier":"org1","run":{"schedule":{"scheduleId":"s",
      "name":"n"},"liveboard_id":"lb","liveboard_name":"L"},
      "files":[{"name":"r.csv","mime_type":"text/csv","content":"YQ=="}]})",
                     &event));
  const std::string job = harness_.engine().PublishEvent(AdminOf(0), event).value().job_id();

  Start(/*snapshot_after_bytes=*/1);  // Restarted before the attempt, and snapshotted.
  harness_.engine().RunDueDeliveries();
  ASSERT_EQ(harness_.storage().puts().size(), 1u);
  EXPECT_EQ(harness_.storage().puts()[0].objects[0].content, "a");
  HttpResponse failure;
  failure.status = 503;
  ASSERT_OK(harness_.transport().Respond(0, failure));
  EXPECT_EQ(Job(job).status(), v1::ChannelHistoryJob::RETRY);

  Start();  // Restarted after the upload: the next attempt posts the same manifest.
  harness_.clock().Advance(absl::Minutes(1));
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(harness_.storage().puts().size(), 1u);
  ASSERT_EQ(harness_.transport().request_count(), 2u);
  EXPECT_EQ(harness_.transport().requests()[1].body, harness_.transport().requests()[0].body);
  EXPECT_THAT(harness_.transport().requests()[1].body, HasSubstr(R"("uploadStatus":"SUCCESS")"));
  HttpResponse ok;
  ok.status = 200;
  ASSERT_OK(harness_.transport().Respond(1, ok));
  EXPECT_EQ(Job(job).status(), v1::ChannelHistoryJob::SUCCESS);
}

TEST_F(DurabilityTest, SnapshotsKeepTheJournalShortAndTheStateWhole) {
  Start(/*snapshot_after_bytes=*/2000);
  testing::EnableWebhookChannel(harness_.engine(), AdminOf(0));
  for (int org = 1; org < 40; ++org) {
    v1::CreateWebhookRequest create;
    ASSERT_OK(FromJson(absl::StrCat(R"({"name":"w)", org, R"(","url":"https://r.example/)", org,
                                    R"(","events":["LIVEBOARD_SCHEDULE"]})"),
                       &create));
    ASSERT_OK(harness_.engine().CreateWebhook(AdminOf(org), create).status());
  }
  const std::string before = Everything();
  int snapshots = 0;
  uint64_t journal_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "snapshot-")) ++snapshots;
    if (absl::StartsWith(name, "journal-")) journal_bytes += entry.file_size();
  }
  EXPECT_EQ(snapshots, 1);  // Older snapshots are removed.
  EXPECT_LT(journal_bytes, 2000u + 400u);
  Start(/*snapshot_after_bytes=*/2000);
  EXPECT_EQ(Everything(), before);
}

TEST_F(DurabilityTest, DeliveriesAloneKeepTheJournalShort) {
  // 200 deliveries to one webhook at one instant of the fake clock: no per-second limit.
  harness_.options().delivery.max_attempts_per_second_per_webhook = 0;
  Start(/*snapshot_after_bytes=*/20000);
  testing::EnableWebhookChannel(harness_.engine(), AdminOf(0));
  v1::CreateWebhookRequest create;
  ASSERT_OK(FromJson(R"({"name":"w","url":"https://r.example/1","events":["LIVEBOARD_SCHEDULE"]})",
                     &create));
  ASSERT_OK(harness_.engine().CreateWebhook(AdminOf(1), create).status());
  harness_.transport().SetResponder([](const HttpRequest&) {
    HttpResponse ok;
    ok.status = 200;
    return absl::StatusOr<HttpResponse>(ok);
  });
  v1::PublishEventRequest event;
  ASSERT_OK(FromJson(R"({"org_identifier":"org1","run":{"schedule":{"scheduleId":"s",
      "name":"n"},"liveboard_id":"lb","liveboard_name":"L"},
      "files":[{"name":"r.csv","content":"YQ=="}]})",
                     &event));
  std::vector<std::string> jobs;
  for (int i = 0; i < 200; ++i) {  // About 300 kB of journal without snapshots.
    jobs.push_back(harness_.engine().PublishEvent(AdminOf(0), event).value().job_id());
    harness_.engine().RunDueDeliveries();
  }
  int snapshots = 0;
  uint64_t journal_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "snapshot-")) ++snapshots;
    if (absl::StartsWith(name, "journal-")) journal_bytes += entry.file_size();
  }
  EXPECT_EQ(snapshots, 1);
  EXPECT_LT(journal_bytes, 20000u + 4000u);
  Start(/*snapshot_after_bytes=*/20000);
  for (const std::string& job : jobs) {
    EXPECT_EQ(Job(job).status(), v1::ChannelHistoryJob::SUCCESS) << job;
  }
}

}  // namespace
}  // namespace webhooks
