// Small builders for engine tests.
#ifndef WEBHOOKS_TESTING_ENGINE_FIXTURES_H_
#define WEBHOOKS_TESTING_ENGINE_FIXTURES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "engine/webhook_engine.h"
#include "gtest/gtest.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace testing {

inline v1::Org MakeOrg(absl::string_view id, absl::string_view name) {
  v1::Org org;
  org.set_id(std::string(id));
  org.set_name(std::string(name));
  return org;
}

// Turns the WEBHOOK channel on for LIVEBOARD_SCHEDULE at cluster level, which every org then
// inherits (creating a webhook needs it). `admin` needs ADMINISTRATION.
inline void EnableWebhookChannel(WebhookEngine& engine, const Principal& admin) {
  v1::ConfigureChannelPreferencesRequest preferences;
  v1::EventChannelConfig* cluster = preferences.add_cluster_preferences();
  cluster->set_event_type(v1::LIVEBOARD_SCHEDULE);
  cluster->add_channels(v1::WEBHOOK);
  const absl::Status status = engine.ConfigureChannelPreferences(admin, preferences);
  ASSERT_TRUE(status.ok()) << status;
}

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_ENGINE_FIXTURES_H_
