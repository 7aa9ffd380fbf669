// Small builders for engine tests. EngineHarness (engine_harness.h) puts them together.
#ifndef WEBHOOKS_TESTING_ENGINE_FIXTURES_H_
#define WEBHOOKS_TESTING_ENGINE_FIXTURES_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/principal.h"
#include "engine/webhook_engine.h"
#include "gtest/gtest.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace testing {

// The user test principals are unless a test says otherwise: the seed's "UserA", whom the
// engine records as created_by and last_modified_by.
inline constexpr char kTestUserId[] = "4e6e5692-667e-487d-9672-f301ccc2ea77";
inline constexpr char kTestUserName[] = "UserA@example.com";

inline v1::Org MakeOrg(absl::string_view id, absl::string_view name) {
  v1::Org org;
  org.set_id(std::string(id));
  org.set_name(std::string(name));
  return org;
}

// The test user acting in `org` with `privileges`, without RBAC; across every org if
// `across_orgs` (a cluster administrator acting in the Primary org).
inline Principal MakePrincipal(const v1::Org& org, std::initializer_list<v1::Privilege> privileges,
                               bool across_orgs = false) {
  Principal principal;
  principal.user_id = kTestUserId;
  principal.user_name = kTestUserName;
  principal.org = org;
  principal.privileges = privileges;
  principal.can_act_across_orgs = across_orgs;
  return principal;
}

// Turns the WEBHOOK channel on for LIVEBOARD_SCHEDULE at cluster level, which every org then
// inherits (creating a webhook needs it).
inline v1::ConfigureChannelPreferencesRequest WebhookChannelOnRequest() {
  v1::ConfigureChannelPreferencesRequest preferences;
  v1::EventChannelConfig* cluster = preferences.add_cluster_preferences();
  cluster->set_event_type(v1::LIVEBOARD_SCHEDULE);
  cluster->add_channels(v1::WEBHOOK);
  return preferences;
}

// Sends WebhookChannelOnRequest() as `admin`, who needs ADMINISTRATION; a fatal test failure
// if the engine refuses it.
inline void EnableWebhookChannel(WebhookEngine& engine, const Principal& admin) {
  const absl::Status status = engine.ConfigureChannelPreferences(admin, WebhookChannelOnRequest());
  ASSERT_TRUE(status.ok()) << status;
}

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_ENGINE_FIXTURES_H_
