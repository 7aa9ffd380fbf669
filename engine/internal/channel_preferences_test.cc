#include "engine/internal/channel_preferences.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;

class ChannelPreferencesTest : public ::testing::Test {
 protected:
  ChannelPreferencesTest()
      : orgs_(*StaticOrgDirectory::Create({MakeOrg("0", "Primary"), MakeOrg("1", "one")})) {
    admin_.org = MakeOrg("0", "Primary");
    admin_.privileges = {v1::ADMINISTRATION};
    admin_.can_act_across_orgs = true;
  }

  void Configure(const v1::ConfigureChannelPreferencesRequest& request) {
    absl::StatusOr<state::StateBatch> batch =
        ChannelPreferences::PlanChange(orgs_, admin_, request);
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (const state::StateRecord& record : batch->records()) preferences_.Apply(record);
  }

  static v1::ConfigureChannelPreferencesRequest Cluster(std::vector<v1::Channel> channels) {
    v1::ConfigureChannelPreferencesRequest request;
    v1::EventChannelConfig* config = request.add_cluster_preferences();
    config->set_event_type(v1::LIVEBOARD_SCHEDULE);
    for (const v1::Channel channel : channels) config->add_channels(channel);
    return request;
  }

  static v1::ConfigureChannelPreferencesRequest Org(v1::PreferenceOperation operation,
                                                    std::vector<v1::Channel> channels) {
    v1::ConfigureChannelPreferencesRequest request;
    v1::OrgChannelConfigInput* input = request.add_org_preferences();
    input->set_org_identifier("one");
    input->set_operation(operation);
    if (operation == v1::RESET) {
      input->add_reset_events(v1::LIVEBOARD_SCHEDULE);
      return request;
    }
    v1::EventChannelConfig* config = input->add_preferences();
    config->set_event_type(v1::LIVEBOARD_SCHEDULE);
    for (const v1::Channel channel : channels) config->add_channels(channel);
    return request;
  }

  StaticOrgDirectory orgs_;
  Principal admin_;
  ChannelPreferences preferences_;
};

TEST_F(ChannelPreferencesTest, OrgPreferenceOverridesTheClusterUntilReset) {
  EXPECT_FALSE(preferences_.WebhookChannelOn("1"));
  Configure(Cluster({v1::WEBHOOK, v1::EMAIL, v1::WEBHOOK}));
  EXPECT_TRUE(preferences_.WebhookChannelOn("1"));
  Configure(Org(v1::REPLACE, {v1::EMAIL}));
  EXPECT_FALSE(preferences_.WebhookChannelOn("1"));
  EXPECT_TRUE(preferences_.WebhookChannelOn("0"));
  Configure(Org(v1::RESET, {}));
  EXPECT_TRUE(preferences_.WebhookChannelOn("1"));
}

TEST_F(ChannelPreferencesTest, SearchAnswersNormalizedChannels) {
  Configure(Cluster({v1::WEBHOOK, v1::EMAIL, v1::WEBHOOK}));
  Configure(Org(v1::REPLACE, {v1::WEBHOOK}));
  absl::StatusOr<PreferenceQuery> query =
      ChannelPreferences::QueryFromRequest(orgs_, admin_, v1::SearchChannelPreferencesRequest());
  ASSERT_TRUE(query.ok()) << query.status();
  const v1::SearchChannelPreferencesResponse response = preferences_.Search(*query);
  ASSERT_EQ(response.cluster_preferences_size(), 1);
  EXPECT_THAT(response.cluster_preferences(0).channels(),
              ::testing::ElementsAre(v1::EMAIL, v1::WEBHOOK));  // Sorted, without repeats.
  ASSERT_EQ(response.org_preferences_size(), 2);
  EXPECT_EQ(response.org_preferences(0).org().id(), "0");
  EXPECT_EQ(response.org_preferences(0).preferences_size(), 0);
  EXPECT_EQ(response.org_preferences(1).preferences(0).channels(0), v1::WEBHOOK);
}

TEST_F(ChannelPreferencesTest, PlanChangeRefusesBadEntriesWhole) {
  v1::ConfigureChannelPreferencesRequest request = Org(v1::REPLACE, {v1::WEBHOOK});
  request.mutable_org_preferences(0)->add_reset_events(v1::LIVEBOARD_SCHEDULE);
  EXPECT_THAT(ChannelPreferences::PlanChange(orgs_, admin_, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "org_preferences[0].reset_events applies only to the RESET operation"));
  request = Cluster({v1::WEBHOOK});
  *request.add_cluster_preferences() = request.cluster_preferences(0);
  EXPECT_THAT(ChannelPreferences::PlanChange(orgs_, admin_, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cluster_preferences[1].event_type repeats an event type"));
  Principal member;
  member.org = MakeOrg("0", "Primary");
  EXPECT_THAT(ChannelPreferences::PlanChange(orgs_, member, Org(v1::RESET, {})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "org_preferences[0].org_identifier 'one' does not match a known org"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
