#include "engine/delivery/delivery_request.h"

#include "absl/strings/escaping.h"
#include "engine/base/json_codec.h"
#include "engine/delivery/signing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

v1::Webhook MakeWebhook() {
  v1::Webhook webhook;
  webhook.set_id("27997a8a-cd33-485d-a039-b40b71d191a8");
  webhook.set_name("webhook-lb-event");
  webhook.mutable_org()->set_id("0");
  webhook.mutable_org()->set_name("Primary");
  webhook.set_url("https://receiver.example.com/hook");
  webhook.add_events(v1::LIVEBOARD_SCHEDULE);
  return webhook;
}

TEST(FormatIso8601Test, IsUtcToTheSecond) {
  EXPECT_EQ(FormatIso8601(absl::FromUnixMillis(1756459532123)), "2025-08-29T09:25:32Z");
}

TEST(BuildPayloadTest, FollowsSchemaVersionOne) {
  v1::LiveboardScheduleRun run;
  ASSERT_OK(FromJson(R"({
      "schedule": {"scheduleId": "sch-1", "name": "Daily sales", "fileFormat": "pdf",
                   "status": "SCHEDULED",
                   "exportRequest": {"object_type": "LIVEBOARD", "request_type": "SCHEDULE",
                     "output_type": "PDF",
                     "pdf_params": {"orientation": "LANDSCAPE", "page_size": "A4"},
                     "liveboard_params": {"layout_type": "VISUALIZATION",
                       "personalised_view_id": "v-1",
                       "liveboard_viz_selection": {"complete_liveboard": false,
                                                   "included_viz_id": ["viz-1", "viz-2"]},
                       "print_document_params": {"include_cover_page": true,
                         "include_filter_page": false,
                         "pageFooterParams": {"include_logo": true,
                                              "include_page_number": true, "text": "Sales"}},
                       "visualization_format_options": {"truncate_tables": true}}}},
      "liveboard_id": "lb-1", "liveboard_name": "Sales",
      "liveboard_url": "https://ts.example.com/#/pinboard/lb-1",
      "view": {"viewId": "v-1", "viewName": "EMEA"},
      "recipients": [{"type": "USER", "email": "a@example.com", "name": "A"}],
      "run_id": "run-7"})",
                     &run));
  ProductInfo product;
  product.application_url = "https://ts.example.com";
  product.instance_id = "instance-1";
  const v1::WebhookPayload payload =
      BuildPayload(run, MakeWebhook(), "n.820c00f9-0000-4000-8000-000000000001",
                   absl::FromUnixSeconds(1756459532), product);
  EXPECT_EQ(
      ToJson(payload),
      R"({"eventId":"n.820c00f9-0000-4000-8000-000000000001","timestamp":"2025-08-29T09:25:32Z",)"
      R"("eventType":"LIVEBOARD_SCHEDULE","schemaVersion":"1.0",)"
      R"("source":{"applicationName":"ThoughtSpot","applicationUrl":"https://ts.example.com",)"
      R"("instanceId":"instance-1","orgId":"0"},)"
      R"("actor":{"actorType":"SYSTEM","id":null,"name":null,"email":null},)"
      R"json("metadataObject":{"objectType":"LIVEBOARD","id":"lb-1","name":"Sales (View: EMEA)",)json"
      R"("url":"https://ts.example.com/#/pinboard/lb-1"},)"
      R"("data":{"scheduleDetails":{"scheduleId":"sch-1","name":"Daily sales",)"
      R"("creationTime":null,"description":null,"authorId":null,"viewInfo":null,"userIds":[],)"
      R"("groupIds":[],"runId":"run-7",)"
      R"("exportRequest":{"object_type":"LIVEBOARD","request_type":"SCHEDULE",)"
      R"("output_type":"PDF","pdf_params":{"orientation":"LANDSCAPE","page_size":"A4"},)"
      R"("liveboard_params":{"layout_type":"VISUALIZATION","personalised_view_id":"v-1",)"
      R"("liveboard_viz_selection":{"complete_liveboard":false,)"
      R"("included_viz_id":["viz-1","viz-2"]},)"
      R"("print_document_params":{"include_cover_page":true,"include_filter_page":false,)"
      R"("pageFooterParams":{"include_logo":true,"include_page_number":true,"text":"Sales"}},)"
      R"("visualization_format_options":{"truncate_tables":true}}},)"
      R"("fileFormat":"pdf","status":"SCHEDULED","emailIds":[]},)"
      R"("recipients":[{"type":"USER","email":"a@example.com","id":null,"name":"A",)"
      R"("locale":null}],"viewInfo":{"viewId":"v-1","viewName":"EMEA"},"aiHighlights":"",)"
      R"("msgUniqueId":"0ce97e3d-c657-8e8e-8b02-ddc6e28559c2",)"
      R"("channelID":"27997a8a-cd33-485d-a039-b40b71d191a8","channelType":"webhook",)"
      R"("communicationType":"LiveboardSchedules"}})");
}

TEST(BuildPayloadTest, ExportRequestDefaultsToALiveboardSchedule) {
  v1::LiveboardScheduleRun run;
  run.mutable_schedule()->set_scheduleid("sch-1");
  run.set_ai_highlights("Sales rose 4%");
  const v1::WebhookPayload payload = BuildPayload(
      run, MakeWebhook(), "n.820c00f9-0000-4000-8000-000000000001", absl::UnixEpoch(), {});
  EXPECT_EQ(ToJson(payload.data().scheduledetails().exportrequest()),
            R"({"object_type":"LIVEBOARD","request_type":"SCHEDULE","output_type":null,)"
            R"("pdf_params":null,"liveboard_params":null})");
  EXPECT_EQ(payload.data().aihighlights(), "Sales rose 4%");
}

TEST(MessageUniqueIdTest, IsAUuidOfItsOwnAndTheSameForTheSameEvent) {
  const std::string id = MessageUniqueId("n.820c00f9-0000-4000-8000-000000000001");
  EXPECT_EQ(id, "0ce97e3d-c657-8e8e-8b02-ddc6e28559c2");
  EXPECT_EQ(MessageUniqueId("n.820c00f9-0000-4000-8000-000000000001"), id);
  EXPECT_NE(MessageUniqueId("n.820c00f9-0000-4000-8000-000000000002"), id);
  // Version 8 (custom), RFC 9562 variant.
  EXPECT_THAT(id, ::testing::MatchesRegex(
                      "[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

TEST(MultipartBodyTest, HasThePayloadThenEachFile) {
  google::protobuf::RepeatedPtrField<v1::EventFile> files;
  v1::EventFile* pdf = files.Add();
  pdf->set_name("sales \"Q3\".pdf");
  pdf->set_mime_type("application/pdf");
  pdf->set_content(std::string("%PDF\0\x01", 6));
  v1::EventFile* csv = files.Add();
  csv->set_name("sales.csv");
  csv->set_content("a,b\n");
  EXPECT_EQ(MultipartBody("B0UND", R"({"k":1})", files),
            "--B0UND\r\n"
            "Content-Disposition: form-data; name=\"payload\"\r\n"
            "Content-Type: application/json\r\n\r\n"
            "{\"k\":1}\r\n"
            "--B0UND\r\n"
            "Content-Disposition: form-data; name=\"file\"; filename=\"sales %22Q3%22.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n" +
                std::string("%PDF\0\x01", 6) +
                "\r\n"
                "--B0UND\r\n"
                "Content-Disposition: form-data; name=\"file\"; filename=\"sales.csv\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
                "a,b\n\r\n"
                "--B0UND--\r\n");
}

TEST(NewBoundaryTest, AvoidsContent) {
  google::protobuf::RepeatedPtrField<v1::EventFile> files;
  files.Add()->set_content("xx webhookd-abc yy");
  EXPECT_EQ(NewBoundary("abc", "{}", files), "webhookd-abc-1");
  EXPECT_EQ(NewBoundary("def", "{}", files), "webhookd-def");
}

TEST(UrlWithParamsTest, AppendsEncodedSortedParams) {
  google::protobuf::Map<std::string, std::string> params;
  params["version"] = "v1";
  params["api key"] = "a&b=c/é";
  EXPECT_EQ(UrlWithParams("https://h.example/hook#frag", params),
            "https://h.example/hook?api%20key=a%26b%3Dc%2F%C3%A9&version=v1");
  EXPECT_EQ(UrlWithParams("https://h.example/hook?x=1", params),
            "https://h.example/hook?x=1&api%20key=a%26b%3Dc%2F%C3%A9&version=v1");
  EXPECT_EQ(UrlWithParams("https://h.example/hook?", params),
            "https://h.example/hook?api%20key=a%26b%3Dc%2F%C3%A9&version=v1");
  EXPECT_EQ(UrlWithParams("https://h.example/hook", {}), "https://h.example/hook");
}

TEST(BearerValueTest, NeverDoublesThePrefix) {
  EXPECT_EQ(BearerValue("abc"), "Bearer abc");
  EXPECT_EQ(BearerValue("Bearer abc"), "Bearer abc");
  EXPECT_EQ(BearerValue("bearer  abc"), "Bearer abc");
}

// The worked example of the README's "Verifying deliveries" section.
TEST(SignatureExampleTest, MatchesTheReadme) {
  EXPECT_EQ(HmacSha256Hex("whsec_c2VjcmV0LWtleQ==", "hello"),
            "ec5e42b0f5e6b6511e1bda5546195298f0d00ee5f7c934f76d0221d2817d8e24");
  EXPECT_EQ(
      StandardWebhooksSignature("whsec_c2VjcmV0LWtleQ==", "n.00000000-0000-4000-8000-000000000002",
                                1773824614, "hello"),
      "v1,/Xma+DAMMXCxcgadZQGHePvnHN0sDnJWawQdjuTRKsk=");
}

// The same example during a rotation ("Rotating the secret" in the README).
TEST(SignatureExampleTest, RotationMatchesTheReadme) {
  v1::Webhook webhook;
  webhook.mutable_signature_verification()->set_header("X-Webhook-Signature");
  webhook.mutable_signature_verification()->set_secret("whsec_bmV3LXNlY3JldC1rZXk=");
  const auto headers =
      AttemptHeaders(webhook, "n.00000000-0000-4000-8000-000000000002", "B", "hello",
                     absl::FromUnixSeconds(1773824614), "ua", "", "whsec_c2VjcmV0LWtleQ==");
  ASSERT_EQ(headers.size(), 7u);
  EXPECT_THAT(headers[3], Pair("X-Webhook-Signature",
                               "c3b5bb4b8b83af55a2db941c92601d56c1f6b2d8e5a2af454db40069f028e25d"));
  EXPECT_THAT(headers[4], Pair("webhook-id", "n.00000000-0000-4000-8000-000000000002"));
  EXPECT_THAT(headers[5], Pair("webhook-timestamp", "1773824614"));
  EXPECT_THAT(headers[6], Pair("webhook-signature",
                               "v1,Nnk1icXs/S9JBKBRLwXsO+UBildtfMupJTu+MKFUyHg= "
                               "v1,/Xma+DAMMXCxcgadZQGHePvnHN0sDnJWawQdjuTRKsk="));
}

TEST(AttemptHeadersTest, PlainWebhook) {
  EXPECT_THAT(AttemptHeaders(MakeWebhook(), "n.1", "B", "body", absl::FromUnixSeconds(100),
                             "webhookd/1.0", "", ""),
              ElementsAre(Pair("Content-Type", "multipart/form-data; boundary=B"),
                          Pair("User-Agent", "webhookd/1.0"), Pair("Idempotency-Key", "n.1")));
}

TEST(AttemptHeadersTest, EachAuthenticationKind) {
  v1::Webhook webhook = MakeWebhook();
  const auto auth_header = [&](absl::string_view oauth_token = "") {
    return AttemptHeaders(webhook, "n.1", "B", "body", absl::FromUnixSeconds(100), "ua",
                          oauth_token, "")[3];
  };
  webhook.mutable_authentication()->mutable_api_key()->set_key("X-API-Key");
  webhook.mutable_authentication()->mutable_api_key()->set_value("k3y");
  EXPECT_THAT(auth_header(), Pair("X-API-Key", "k3y"));
  webhook.mutable_authentication()->mutable_basic_auth()->set_username("svc");
  webhook.mutable_authentication()->mutable_basic_auth()->set_password("pa55");
  EXPECT_THAT(auth_header(), Pair("Authorization", "Basic " + absl::Base64Escape("svc:pa55")));
  webhook.mutable_authentication()->set_bearer_token("Bearer t0k");
  EXPECT_THAT(auth_header(), Pair("Authorization", "Bearer t0k"));
  webhook.mutable_authentication()->mutable_oauth2()->set_client_id("c");
  EXPECT_THAT(auth_header("access-1"), Pair("Authorization", "Bearer access-1"));
}

TEST(AttemptHeadersTest, CustomHeadersThenSignatures) {
  v1::Webhook webhook = MakeWebhook();
  v1::KeyValue* header = webhook.add_additional_headers();
  header->set_key("X-Team");
  header->set_value("analytics");
  v1::SignatureVerification* signature = webhook.mutable_signature_verification();
  signature->set_type(v1::HMAC_SHA256);
  signature->set_algorithm(v1::SHA256);
  signature->set_header("X-Webhook-Signature");
  signature->set_secret("s3cret");
  const auto headers = AttemptHeaders(webhook, "n.1", "B", "the body",
                                      absl::FromUnixSeconds(1614265330), "ua", "", "");
  ASSERT_EQ(headers.size(), 8u);
  EXPECT_THAT(headers[3], Pair("X-Team", "analytics"));
  EXPECT_THAT(headers[4], Pair("X-Webhook-Signature", HmacSha256Hex("s3cret", "the body")));
  EXPECT_THAT(headers[5], Pair("webhook-id", "n.1"));
  EXPECT_THAT(headers[6], Pair("webhook-timestamp", "1614265330"));
  EXPECT_THAT(headers[7], Pair("webhook-signature",
                               StandardWebhooksSignature("s3cret", "n.1", 1614265330, "the body")));
  // A receiver linking the library accepts exactly these headers.
  VerifyOptions verify;
  verify.secrets = {"s3cret"};
  verify.signature_header = "X-Webhook-Signature";
  EXPECT_OK(VerifySignature(verify, headers, "the body", absl::FromUnixSeconds(1614265330)));
}

TEST(AttemptHeadersTest, DuringARotationWebhookSignatureCarriesBothSecretsNewFirst) {
  v1::Webhook webhook = MakeWebhook();
  v1::SignatureVerification* signature = webhook.mutable_signature_verification();
  signature->set_header("X-Webhook-Signature");
  signature->set_secret("new-secret");
  const auto headers = AttemptHeaders(webhook, "n.1", "B", "the body",
                                      absl::FromUnixSeconds(1614265330), "ua", "", "old-secret");
  ASSERT_EQ(headers.size(), 7u);
  EXPECT_THAT(headers[3], Pair("X-Webhook-Signature", HmacSha256Hex("new-secret", "the body")));
  EXPECT_THAT(headers[6],
              Pair("webhook-signature",
                   StandardWebhooksSignature("new-secret", "n.1", 1614265330, "the body") + " " +
                       StandardWebhooksSignature("old-secret", "n.1", 1614265330, "the body")));
  // A receiver still on the old secret accepts the Standard Webhooks headers.
  VerifyOptions verify;
  verify.secrets = {"old-secret"};
  EXPECT_OK(VerifySignature(verify, headers, "the body", absl::FromUnixSeconds(1614265330)));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
