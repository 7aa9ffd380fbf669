#include "engine/internal/webhook_json.h"

#include <string>

#include "engine/base/json_codec.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

std::string Written(const v1::Webhook& webhook) {
  std::string json;
  AppendWebhookJson(webhook, &json);
  return json;
}

// Each message this writes field by field has the fields it writes; a new field fails here.
TEST(WebhookJsonTest, WritesEveryFieldOfTheMessagesItWritesByHand) {
  EXPECT_EQ(v1::Webhook::descriptor()->field_count(), 16);
  EXPECT_EQ(v1::Org::descriptor()->field_count(), 2);
  EXPECT_EQ(v1::User::descriptor()->field_count(), 2);
  EXPECT_EQ(v1::KeyValue::descriptor()->field_count(), 2);
}

TEST(WebhookJsonTest, AnEmptyWebhookIsWrittenAsToJsonWritesIt) {
  const v1::Webhook empty;
  EXPECT_EQ(Written(empty), ToJson(empty));
  EXPECT_EQ(Written(empty),
            R"({"id":"","name":"","description":null,"org":null,"url":"","url_params":null,)"
            R"("events":[],"authentication":null,"signature_verification":null,)"
            R"("additional_headers":null,"creation_time_in_millis":0,)"
            R"("modification_time_in_millis":0,"created_by":null,"last_modified_by":null,)"
            R"("storage_destination":null,"status":null})");
}

TEST(WebhookJsonTest, AFullWebhookIsWrittenAsToJsonWritesIt) {
  v1::Webhook webhook;
  webhook.set_id("w\"1");
  webhook.set_name("name\\with\nescapes\x01");
  webhook.set_description("");
  webhook.mutable_org()->set_id("7");
  webhook.mutable_org()->set_name("Sales");
  webhook.set_url("https://receiver.example/hook?a=1&b=2");
  (*webhook.mutable_url_params())["zeta"] = "1";
  (*webhook.mutable_url_params())["alpha"] = "two";
  (*webhook.mutable_url_params())["mid"] = "\"quoted\"";
  webhook.add_events(v1::LIVEBOARD_SCHEDULE);
  webhook.add_events(static_cast<v1::EventType>(42));  // No name: written as its number.
  webhook.mutable_authentication()->mutable_api_key()->set_key("X-Key");
  webhook.mutable_authentication()->mutable_api_key()->set_value("***");
  webhook.mutable_signature_verification()->set_type(v1::HMAC_SHA256);
  webhook.mutable_signature_verification()->set_header("X-Signature");
  webhook.mutable_signature_verification()->set_algorithm(v1::SHA256);
  webhook.mutable_signature_verification()->set_secret("***");
  v1::KeyValue* header = webhook.add_additional_headers();
  header->set_key("X-Team");
  header->set_value("data");
  webhook.add_additional_headers();
  webhook.set_creation_time_in_millis(1773824614455);
  webhook.set_modification_time_in_millis(-1);
  webhook.mutable_created_by()->set_id("u1");
  webhook.mutable_created_by()->set_name("UserA@example.com");
  webhook.mutable_last_modified_by();
  webhook.mutable_storage_destination()->set_storage_type(v1::AWS_S3);
  webhook.set_status(v1::DISABLED);
  EXPECT_EQ(Written(webhook), ToJson(webhook));

  webhook.set_status(static_cast<v1::WebhookStatus>(9));
  webhook.clear_events();
  EXPECT_EQ(Written(webhook), ToJson(webhook));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
