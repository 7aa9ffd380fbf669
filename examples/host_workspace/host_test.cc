// What a host product does with the engine: give it its orgs, turn the WEBHOOK channel on,
// and create a webhook for the caller's org.
#include <memory>

#include "engine/json_codec.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

TEST(HostTest, CreatesAWebhook) {
  webhooks::v1::Org primary;
  primary.set_id("0");
  primary.set_name("Primary");
  auto orgs = webhooks::StaticOrgDirectory::Create({primary});
  ASSERT_TRUE(orgs.ok()) << orgs.status();

  webhooks::EngineOptions options;
  options.orgs = &*orgs;
  auto engine = webhooks::WebhookEngine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.status();

  webhooks::Principal admin;
  admin.user_id = "u1";
  admin.user_name = "admin@example.com";
  admin.org = primary;
  admin.privileges = {webhooks::v1::ADMINISTRATION};
  admin.can_act_across_orgs = true;

  webhooks::v1::ConfigureChannelPreferencesRequest preferences;
  auto* cluster = preferences.add_cluster_preferences();
  cluster->set_event_type(webhooks::v1::LIVEBOARD_SCHEDULE);
  cluster->add_channels(webhooks::v1::WEBHOOK);
  ASSERT_TRUE((*engine)->ConfigureChannelPreferences(admin, preferences).ok());

  webhooks::v1::CreateWebhookRequest request;
  ASSERT_TRUE(webhooks::FromJson(R"({"name":"reports","url":"https://example.com/hook",
      "events":["LIVEBOARD_SCHEDULE"],"authentication":{"BEARER_TOKEN":"t0ken"}})",
                                 &request)
                  .ok());
  auto created = (*engine)->CreateWebhook(admin, request);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->org().name(), "Primary");
  EXPECT_EQ(created->events(0), webhooks::v1::LIVEBOARD_SCHEDULE);
  EXPECT_THAT(webhooks::ToJson(*created),
              HasSubstr(R"("authentication":{"API_KEY":null,"BASIC_AUTH":null,)"
                        R"("BEARER_TOKEN":"***","OAUTH2":null})"));
}

}  // namespace
