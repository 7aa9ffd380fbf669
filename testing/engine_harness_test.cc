#include "testing/engine_harness.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace testing {
namespace {

v1::CreateWebhookRequest Webhook(const std::string& name) {
  v1::CreateWebhookRequest request;
  request.set_name(name);
  request.set_url("https://r.example/hook");
  request.add_events(v1::LIVEBOARD_SCHEDULE);
  return request;
}

TEST(EngineHarnessTest, StartsAnEngineWithTheTestDefaults) {
  EngineHarness harness({MakeOrg("0", "Primary"), MakeOrg("7", "Sales")});
  ASSERT_OK(harness.StartEngine());
  EXPECT_EQ(harness.clock().Now(), kFakeClockStart);
  EXPECT_EQ(harness.options().delivery.transport, &harness.transport());
  EXPECT_EQ(harness.options().delivery.storage, &harness.storage());
  EXPECT_FALSE(harness.options().delivery.run_dispatcher);
  EXPECT_EQ(harness.options().delivery.jitter, 0);

  // The channel is on, ids are sequential, times are the fake clock's.
  ASSERT_OK_AND_ASSIGN(v1::Webhook webhook,
                       harness.engine().CreateWebhook(harness.AdminOf("Sales"), Webhook("w")));
  EXPECT_EQ(webhook.id(), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(webhook.org().id(), "7");
  EXPECT_EQ(webhook.creation_time_in_millis(), absl::ToUnixMillis(kFakeClockStart));
  EXPECT_EQ(webhook.created_by().id(), kTestUserId);
}

TEST(EngineHarnessTest, PrincipalsOfTheOrgs) {
  EngineHarness harness({MakeOrg("5", "First"), MakeOrg("1", "Second")});
  const Principal admin = harness.Admin();
  EXPECT_EQ(admin.org.id(), "5");  // The first org given, not the lowest id.
  EXPECT_TRUE(admin.can_act_across_orgs);
  EXPECT_TRUE(admin.Has(v1::ADMINISTRATION));
  const Principal second = harness.AdminOf("Second");
  EXPECT_EQ(second.org.id(), "1");
  EXPECT_FALSE(second.can_act_across_orgs);
  EXPECT_TRUE(second.Has(v1::ADMINISTRATION));
  EXPECT_EQ(harness.AdminOf("1").org.name(), "Second");
  EXPECT_NONFATAL_FAILURE(harness.AdminOf("Nowhere"), "no org has the id or name 'Nowhere'");
}

TEST(EngineHarnessTest, RestartsAndReplacesTheOrgs) {
  EngineHarness harness;
  ASSERT_OK(harness.StartEngine(/*enable_webhook_channel=*/false));
  EXPECT_THAT(harness.engine().CreateWebhook(harness.Admin(), Webhook("w")),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("WEBHOOK")));

  harness.SetOrgs({MakeOrg("100", "org0"), MakeOrg("101", "org1")});
  harness.options().limits.max_record_size = 0;
  EXPECT_THAT(harness.StartEngine(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  harness.options().limits = EngineLimits();
  ASSERT_OK(harness.StartEngine());
  ASSERT_OK(harness.engine().CreateWebhook(harness.AdminOf("org1"), Webhook("w")).status());

  // An engine of the test's own shares the clock, ids and orgs, not the state.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WebhookEngine> own, harness.CreateEngine());
  EXPECT_THAT(own->CreateWebhook(harness.AdminOf("org1"), Webhook("w")),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));

  // Without a state store a restarted engine starts empty: org1 may have its webhook again.
  harness.StopEngine();
  ASSERT_OK(harness.StartEngine());
  EXPECT_OK(harness.engine().CreateWebhook(harness.AdminOf("org1"), Webhook("w")).status());
}

TEST(EngineHarnessTest, AJournalKeepsTheStateAcrossRestartsAndJobsAreFoundById) {
  EngineHarness harness({MakeOrg("0", "Primary")});
  ASSERT_OK(harness.UseJournal("harness"));
  ASSERT_OK(harness.StartEngine());
  ASSERT_OK(harness.engine().CreateWebhook(harness.Admin(), Webhook("w")).status());
  harness.SetClockTo(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(const v1::PublishEventResponse published,
                       harness.PublishDailyRun("Primary"));
  ASSERT_EQ(published.outcome(), v1::PublishEventResponse::QUEUED);

  ASSERT_OK(harness.UseJournal("harness"));  // A restart: the journal is kept.
  ASSERT_OK(harness.StartEngine());
  const v1::ChannelHistoryJob job = harness.HistoryJob(published.job_id());
  EXPECT_EQ(job.status(), v1::ChannelHistoryJob::PENDING);
  EXPECT_EQ(job.event().name(), "Daily");
  EXPECT_EQ(job.creation_time_in_millis(), absl::ToUnixMillis(kFakeClockStart + absl::Minutes(5)));
  EXPECT_NONFATAL_FAILURE(harness.HistoryJob("n.nope"), "0 jobs");
}

TEST(EngineHarnessTest, RefusedOrgsFailTheTest) {
  EXPECT_NONFATAL_FAILURE(EngineHarness({MakeOrg("1", "a"), MakeOrg("1", "b")}),
                          "org id '1' appears twice");
}

}  // namespace
}  // namespace testing
}  // namespace webhooks
