#include "engine/base/json_codec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/webhook.pb.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::StatusIs;

TEST(ToJsonTest, WritesUnsetNullableFieldsAsNull) {
  v1::Webhook webhook;
  webhook.set_id("27997a8a-cd33-485d-a039-b40b71d191a8");
  webhook.set_name("webhook-lb-event");
  webhook.set_description("Webhook for Liveboard schedule");
  webhook.mutable_org()->set_id("2100019165");
  webhook.mutable_org()->set_name("testOrg1");
  webhook.set_url("https://webhook-test-server-263n.onrender.com/");
  webhook.add_events(v1::LIVEBOARD_SCHEDULE);
  webhook.set_creation_time_in_millis(1773824614455);
  webhook.set_modification_time_in_millis(1773824614455);
  webhook.mutable_created_by()->set_id("4e6e5692-667e-487d-9672-f301ccc2ea77");
  webhook.mutable_created_by()->set_name("UserA@example.com");

  EXPECT_EQ(ToJson(webhook),
            R"({"id":"27997a8a-cd33-485d-a039-b40b71d191a8","name":"webhook-lb-event",)"
            R"("description":"Webhook for Liveboard schedule",)"
            R"("org":{"id":"2100019165","name":"testOrg1"},)"
            R"("url":"https://webhook-test-server-263n.onrender.com/","url_params":null,)"
            R"("events":["LIVEBOARD_SCHEDULE"],"authentication":null,)"
            R"("signature_verification":null,"additional_headers":null,)"
            R"("creation_time_in_millis":1773824614455,)"
            R"("modification_time_in_millis":1773824614455,)"
            R"("created_by":{"id":"4e6e5692-667e-487d-9672-f301ccc2ea77",)"
            R"("name":"UserA@example.com"},"last_modified_by":null,)"
            R"("storage_destination":null,"status":null})");
}

TEST(ToJsonTest, UsesUpperCaseAuthenticationKeysAndSortedMaps) {
  v1::Webhook webhook;
  webhook.mutable_authentication()->set_bearer_token("***");
  (*webhook.mutable_url_params())["version"] = "v1";
  (*webhook.mutable_url_params())["api_key"] = "abc123";
  const std::string json = ToJson(webhook);
  EXPECT_THAT(json, HasSubstr(R"("url_params":{"api_key":"abc123","version":"v1"})"));
  EXPECT_THAT(json, HasSubstr(R"("authentication":{"API_KEY":null,"BASIC_AUTH":null,)"
                              R"("BEARER_TOKEN":"***","OAUTH2":null})"));
}

TEST(ToJsonTest, EscapesStrings) {
  v1::Org org;
  org.set_name("a\"b\\c\n\x01");
  EXPECT_EQ(ToJson(org), R"({"id":"","name":"a\"b\\c\n\u0001"})");
}

TEST(ToJsonTest, WritesEmptyListsAndPaginationDefaults) {
  v1::SearchWebhooksResponse response;
  response.mutable_pagination()->set_record_size(50);
  EXPECT_EQ(ToJson(response), R"({"webhooks":[],"pagination":{"record_offset":0,"record_size":50,)"
                              R"("total_count":0,"has_more":false}})");
}

TEST(ToJsonTest, WritesWellKnownTypesInTheirOwnForm) {
  v1::UpdateWebhookRequest request;
  (*request.mutable_url_params()->mutable_fields())["a"].set_string_value("b");
  EXPECT_THAT(ToJson(request), HasSubstr(R"("url_params":{"a":"b"})"));
}

// A finding of //fuzz:json_request_fuzzer: Struct keys were written in hash-map order.
TEST(ToJsonTest, SortsTheKeysOfJsonObjects) {
  v1::UpdateWebhookRequest request;
  ASSERT_OK(FromJson(R"({"url_params":{"h":"v","g":"v","f":"v","e":"v","d":"v","c":"v",
                         "b":"v","a":"v"},"additional_headers":[{"value":"1","key":"X"}]})",
                     &request));
  const std::string json = ToJson(request);
  EXPECT_THAT(json, HasSubstr(R"("url_params":{"a":"v","b":"v","c":"v","d":"v","e":"v",)"
                              R"("f":"v","g":"v","h":"v"})"));
  EXPECT_THAT(json, HasSubstr(R"("additional_headers":[{"key":"X","value":"1"}])"));
  // Printing what was parsed from the output gives the output again.
  v1::UpdateWebhookRequest again;
  ASSERT_OK(FromJson(json, &again));
  EXPECT_EQ(ToJson(again), json);
}

TEST(FromJsonTest, AcceptsProtoAndCamelCaseNames) {
  v1::SearchWebhooksRequest request;
  ASSERT_OK(FromJson(R"({"org_identifier":"testOrg1","recordSize":10,)"
                     R"("sort_options":{"field_name":"NAME","order":"ASC"}})",
                     &request));
  EXPECT_EQ(request.org_identifier(), "testOrg1");
  EXPECT_EQ(request.record_size(), 10);
  EXPECT_EQ(request.sort_options().field_name(), v1::NAME);
  EXPECT_EQ(request.sort_options().order(), v1::ASC);
  EXPECT_FALSE(request.has_record_offset());
}

TEST(FromJsonTest, ParsesSeedCreateRequest) {
  v1::CreateWebhookRequest request;
  ASSERT_OK(FromJson(R"({"name":"webhook-lb-event",)"
                     R"("url":"https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d",)"
                     R"("events":["LIVEBOARD_SCHEDULE"],)"
                     R"("authentication":{"BEARER_TOKEN":"Bearer {AUTH_TOKEN}"},)"
                     R"("description":"Webhook for Liveboard schedule"})",
                     &request));
  EXPECT_EQ(request.authentication().bearer_token(), "Bearer {AUTH_TOKEN}");
  EXPECT_EQ(request.events(0), v1::LIVEBOARD_SCHEDULE);
}

TEST(FromJsonTest, NullLeavesFieldUnset) {
  v1::CreateWebhookRequest request;
  ASSERT_OK(FromJson(R"({"name":"n","authentication":null,"description":null})", &request));
  EXPECT_FALSE(request.has_authentication());
  EXPECT_FALSE(request.has_description());
}

// An empty object, however spaced around, is the empty message, as the converter would make it.
TEST(FromJsonTest, EmptyObjectClearsTheMessage) {
  for (const char* empty : {"{}", " \r\n{}\t", "{ }"}) {
    v1::SearchWebhooksRequest request;
    request.set_record_size(5);
    ASSERT_OK(FromJson(empty, &request));
    EXPECT_EQ(request.ByteSizeLong(), 0) << empty;
  }
  v1::SearchWebhooksRequest request;
  EXPECT_THAT(FromJson("{}}", &request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid JSON body")));
}

TEST(FromJsonTest, RejectsUnknownFieldByName) {
  v1::CreateWebhookRequest request;
  EXPECT_THAT(FromJson(R"({"name":"n","colour":"red"})", &request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
  EXPECT_EQ(request.name(), "");  // Nothing half-parsed is left behind.
}

TEST(FromJsonTest, RejectsUnknownEnumValueAndMalformedJson) {
  v1::CreateWebhookRequest request;
  EXPECT_THAT(FromJson(R"({"events":["SOMETHING"]})", &request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid JSON body")));
  EXPECT_THAT(FromJson(R"({"name":)", &request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid JSON body")));
}

// rest_property_test finding: protobuf's message quoted the input around a syntax error.
TEST(FromJsonTest, SyntaxErrorsDoNotQuoteTheInput) {
  v1::CreateWebhookRequest request;
  EXPECT_THAT(FromJson(R"({"authentication":{"BEARER_TOKEN":"my-secret-token" x}})", &request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid JSON body: Expected , or } after key:value pair."));
}

}  // namespace
}  // namespace webhooks
