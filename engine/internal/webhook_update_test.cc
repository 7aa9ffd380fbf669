#include "engine/internal/webhook_update.h"

#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::StatusIs;

template <typename Message>
Message Parse(absl::string_view json) {
  Message message;
  const absl::Status parsed = FromJson(json, &message);
  EXPECT_TRUE(parsed.ok()) << parsed;
  return message;
}

v1::Webhook Stored() {
  return Parse<v1::Webhook>(R"({"id":"w1","name":"hook","url":"https://example.com/a",
      "url_params":{"k":"v"},"events":["LIVEBOARD_SCHEDULE"],
      "authentication":{"BEARER_TOKEN":"old-token"},
      "signature_verification":{"type":"HMAC_SHA256","header":"X-Sig","algorithm":"SHA256",
                                "secret":"old-secret"},
      "additional_headers":[{"key":"X-A","value":"1"}]})");
}

TEST(WebhookFromRequestTest, CopiesEveryConfiguredField) {
  const auto request = Parse<v1::CreateWebhookRequest>(R"({"name":"hook","description":"d",
      "url":"https://example.com/a","url_params":{"k":"v"},"events":["LIVEBOARD_SCHEDULE"],
      "authentication":{"BEARER_TOKEN":"t"},"additional_headers":[{"key":"X-A","value":"1"}]})");
  ASSERT_OK_AND_ASSIGN(const v1::Webhook webhook, WebhookFromRequest(request));
  EXPECT_EQ(ToJson(webhook), ToJson(Parse<v1::Webhook>(R"({"name":"hook","description":"d",
      "url":"https://example.com/a","url_params":{"k":"v"},"events":["LIVEBOARD_SCHEDULE"],
      "authentication":{"BEARER_TOKEN":"t"},"additional_headers":[{"key":"X-A","value":"1"}]})")));
}

TEST(ApplyUpdateTest, ChangesOnlyTheFieldsGiven) {
  absl::StatusOr<v1::Webhook> updated = ApplyUpdate(
      Stored(), Parse<v1::UpdateWebhookRequest>(
                    R"({"webhook_identifier":"hook","name":"renamed","url_params":{}})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  v1::Webhook expected = Stored();
  expected.set_name("renamed");
  expected.clear_url_params();
  EXPECT_EQ(ToJson(*updated), ToJson(expected));
}

TEST(ApplyUpdateTest, RedactedSecretsKeepTheStoredOnes) {
  absl::StatusOr<v1::Webhook> updated =
      ApplyUpdate(Stored(), Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "authentication":{"BEARER_TOKEN":"***"},
          "signature_verification":{"type":"HMAC_SHA256","header":"X-New","algorithm":"SHA256",
                                    "secret":"***"}})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->authentication().bearer_token(), "old-token");
  EXPECT_EQ(updated->signature_verification().secret(), "old-secret");
  EXPECT_EQ(updated->signature_verification().header(), "X-New");
}

TEST(ApplyUpdateTest, RedactedSecretOfAnotherKindStaysRedacted) {
  // "***" for a kind of authentication the webhook did not have keeps nothing (validation
  // then refuses it).
  absl::StatusOr<v1::Webhook> updated =
      ApplyUpdate(Stored(), Parse<v1::UpdateWebhookRequest>(
                                R"({"webhook_identifier":"hook","authentication":{"API_KEY":
                        {"key":"X-Key","value":"***"}}})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->authentication().api_key().value(), "***");
}

v1::Webhook StoredWithOAuth2() {
  return Parse<v1::Webhook>(R"({"id":"w1","name":"hook","url":"https://example.com/a",
      "events":["LIVEBOARD_SCHEDULE"],"authentication":{"OAUTH2":{
          "authorization_url":"https://auth.example.com/token","client_id":"client",
          "client_secret":"old-secret"}}})");
}

TEST(ApplyUpdateTest, RedactedOAuth2SecretIsKeptForTheSameEndpointAndClient) {
  absl::StatusOr<v1::Webhook> updated = ApplyUpdate(
      StoredWithOAuth2(), Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "authentication":{"OAUTH2":{"authorization_url":"https://auth.example.com/token",
                                      "client_id":"client","client_secret":"***"}}})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->authentication().oauth2().client_secret(), "old-secret");
}

TEST(ApplyUpdateTest, ANewOAuth2EndpointOrClientNeedsTheSecretAgain) {
  const std::string message =
      "authentication.OAUTH2.client_secret must be given again, not as \"***\", when "
      "authorization_url or client_id changes";
  EXPECT_THAT(ApplyUpdate(StoredWithOAuth2(),
                          Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "authentication":{"OAUTH2":{"authorization_url":"https://attacker.example/token",
                                      "client_id":"client","client_secret":"***"}}})")),
              StatusIs(absl::StatusCode::kInvalidArgument, message));
  EXPECT_THAT(ApplyUpdate(StoredWithOAuth2(),
                          Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "authentication":{"OAUTH2":{"authorization_url":"https://auth.example.com/token",
                                      "client_id":"other","client_secret":"***"}}})")),
              StatusIs(absl::StatusCode::kInvalidArgument, message));
  // Given again, the secret goes with the new endpoint.
  absl::StatusOr<v1::Webhook> updated = ApplyUpdate(
      StoredWithOAuth2(), Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "authentication":{"OAUTH2":{"authorization_url":"https://new.example.com/token",
                                      "client_id":"client","client_secret":"new-secret"}}})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->authentication().oauth2().client_secret(), "new-secret");
}

TEST(ApplyUpdateTest, ResetOptionsRemoveConfigurations) {
  absl::StatusOr<v1::Webhook> updated =
      ApplyUpdate(Stored(), Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "reset_options":["AUTHENTICATION","SIGNATURE_VERIFICATION"],"additional_headers":[]})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_FALSE(updated->has_authentication());
  EXPECT_FALSE(updated->has_signature_verification());
  EXPECT_TRUE(updated->additional_headers().empty());
}

TEST(ApplyUpdateTest, RefusesAResetOfWhatTheRequestSets) {
  EXPECT_THAT(
      ApplyUpdate(Stored(), Parse<v1::UpdateWebhookRequest>(R"({"webhook_identifier":"hook",
          "reset_options":["AUTHENTICATION"],"authentication":{"BEARER_TOKEN":"t"}})")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "reset_options[0] removes AUTHENTICATION, which the same request also sets"));
}

TEST(UrlParamsTest, NumbersAndBooleansBecomeTheirJsonTextOnCreateAndUpdate) {
  constexpr char kParams[] =
      R"({"s":"a b","i":5,"f":0.1,"neg":-2,"big":12345678901234,"t":true,"no":false})";
  ASSERT_OK_AND_ASSIGN(
      const v1::Webhook created,
      WebhookFromRequest(Parse<v1::CreateWebhookRequest>(absl::StrCat(
          R"({"name":"hook","url":"https://example.com/a","url_params":)", kParams, "}"))));
  const std::string expected =
      R"("url_params":{"big":"12345678901234","f":"0.1","i":"5","neg":"-2","no":"false",)"
      R"("s":"a b","t":"true"})";
  EXPECT_THAT(ToJson(created), HasSubstr(expected));
  ASSERT_OK_AND_ASSIGN(
      const v1::Webhook updated,
      ApplyUpdate(Stored(), Parse<v1::UpdateWebhookRequest>(absl::StrCat(
                                R"({"webhook_identifier":"hook","url_params":)", kParams, "}"))));
  EXPECT_THAT(ToJson(updated), HasSubstr(expected));
}

TEST(ApplyUpdateTest, RefusesValuesThatAreNotStrings) {
  EXPECT_THAT(
      ApplyUpdate(Stored(), Parse<v1::UpdateWebhookRequest>(
                                R"({"webhook_identifier":"hook","url_params":{"n":{"a":1}}})")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "url_params.n must be a string, a number or a boolean, not an object"));
  EXPECT_THAT(WebhookFromRequest(Parse<v1::CreateWebhookRequest>(
                  R"({"name":"hook","url":"https://example.com/a","url_params":{"n":[1]}})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "url_params.n must be a string, a number or a boolean, not a list"));
  EXPECT_THAT(WebhookFromRequest(Parse<v1::CreateWebhookRequest>(
                  R"({"name":"hook","url":"https://example.com/a","url_params":{"n":null}})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "url_params.n must be a string, a number or a boolean, not null"));
  EXPECT_THAT(ApplyUpdate(Stored(),
                          Parse<v1::UpdateWebhookRequest>(
                              R"({"webhook_identifier":"hook","additional_headers":[{"key":1}]})")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "additional_headers[0] must be an object with string fields key and value"));
}

TEST(DisableFailingWebhookTest, DisablesWithNoUser) {
  v1::Webhook stored = Stored();
  stored.set_status(v1::ENABLED);
  stored.mutable_last_modified_by()->set_id("u1");
  ASSERT_OK_AND_ASSIGN(const state::StateBatch batch, DisableFailingWebhook(&stored, 1234));
  ASSERT_EQ(batch.records_size(), 1);
  v1::Webhook expected = stored;
  expected.set_status(v1::DISABLED);
  expected.set_modification_time_in_millis(1234);
  expected.clear_last_modified_by();
  EXPECT_EQ(batch.records(0).put_webhook().SerializeAsString(), expected.SerializeAsString());
}

TEST(DisableFailingWebhookTest, RefusesAGoneOrDisabledWebhook) {
  EXPECT_THAT(DisableFailingWebhook(nullptr, 1234),
              StatusIs(absl::StatusCode::kNotFound, "the webhook no longer exists"));
  v1::Webhook stored = Stored();
  stored.set_status(v1::DISABLED);
  EXPECT_THAT(DisableFailingWebhook(&stored, 1234),
              StatusIs(absl::StatusCode::kFailedPrecondition, "the webhook is disabled already"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
