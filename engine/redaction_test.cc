#include "engine/redaction.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace webhooks {
namespace {

v1::Webhook Signed() {
  v1::Webhook webhook;
  webhook.set_id("w1");
  webhook.set_url("https://receiver.example/hook");
  webhook.mutable_signature_verification()->set_secret("signing-secret");
  return webhook;
}

TEST(RedactionTest, ReplacesEachKindOfSecretAndNothingElse) {
  v1::Webhook api_key = Signed();
  api_key.mutable_authentication()->mutable_api_key()->set_key("X-Key");
  api_key.mutable_authentication()->mutable_api_key()->set_value("key-value");
  RedactSecrets(&api_key);
  EXPECT_EQ(api_key.authentication().api_key().key(), "X-Key");
  EXPECT_EQ(api_key.authentication().api_key().value(), "***");
  EXPECT_EQ(api_key.signature_verification().secret(), "***");
  EXPECT_EQ(api_key.url(), "https://receiver.example/hook");

  v1::Webhook basic = Signed();
  basic.mutable_authentication()->mutable_basic_auth()->set_username("user");
  basic.mutable_authentication()->mutable_basic_auth()->set_password("password");
  RedactSecrets(&basic);
  EXPECT_EQ(basic.authentication().basic_auth().username(), "user");
  EXPECT_EQ(basic.authentication().basic_auth().password(), "***");

  v1::Webhook bearer;
  bearer.mutable_authentication()->set_bearer_token("token");
  RedactSecrets(&bearer);
  EXPECT_EQ(bearer.authentication().bearer_token(), "***");
  EXPECT_FALSE(bearer.has_signature_verification());

  v1::Webhook oauth2;
  oauth2.mutable_authentication()->mutable_oauth2()->set_client_id("client");
  oauth2.mutable_authentication()->mutable_oauth2()->set_client_secret("client-secret");
  RedactSecrets(&oauth2);
  EXPECT_EQ(oauth2.authentication().oauth2().client_id(), "client");
  EXPECT_EQ(oauth2.authentication().oauth2().client_secret(), "***");
}

TEST(RedactionTest, TakeThenRestoreGivesBackTheWebhook) {
  v1::Webhook webhook = Signed();
  webhook.mutable_authentication()->mutable_basic_auth()->set_username("user");
  webhook.mutable_authentication()->mutable_basic_auth()->set_password("password");
  const std::string original = webhook.SerializeAsString();

  WebhookSecrets secrets = TakeSecrets(&webhook);
  EXPECT_EQ(secrets.authentication, "password");
  EXPECT_EQ(secrets.signing, "signing-secret");
  v1::Webhook redacted = Signed();
  redacted.mutable_authentication()->mutable_basic_auth()->set_username("user");
  redacted.mutable_authentication()->mutable_basic_auth()->set_password("password");
  RedactSecrets(&redacted);
  EXPECT_EQ(webhook.SerializeAsString(), redacted.SerializeAsString());

  RestoreSecrets(std::move(secrets), &webhook);
  EXPECT_EQ(webhook.SerializeAsString(), original);
}

TEST(RedactionTest, AnEmptySecretComesBackEmpty) {
  v1::Webhook webhook;
  webhook.mutable_signature_verification();  // Present, with no secret.
  WebhookSecrets secrets = TakeSecrets(&webhook);
  EXPECT_EQ(webhook.signature_verification().secret(), "***");
  EXPECT_EQ(secrets.signing, "");
  EXPECT_EQ(secrets.authentication, "");
  RestoreSecrets(std::move(secrets), &webhook);
  EXPECT_TRUE(webhook.has_signature_verification());
  EXPECT_EQ(webhook.signature_verification().secret(), "");
  EXPECT_FALSE(webhook.has_authentication());
}

}  // namespace
}  // namespace webhooks
