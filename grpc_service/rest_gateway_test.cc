// The REST gateway over the real service and engine, in process: ThoughtSpot's seed examples get
// their documented status and exact JSON, and every error mapping answers ThoughtSpot's shape.
#include "grpc_service/rest_gateway.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc_service/test_environment.h"
#include "grpc_service/webhook_service.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::kUserATestOrg2025Token;
using ::webhooks::testing::kViewerToken;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::RestPost;
using ::webhooks::testing::TestEnvironment;

// The seed's create example (the product page's curl request body).
constexpr absl::string_view kSeedCreate = R"json({
"name": "webhook-lb-event",
"url": "https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d",
"events": [
"LIVEBOARD_SCHEDULE"
],
"authentication": {
"BEARER_TOKEN": "Bearer {AUTH_TOKEN}"
},
"description": "Webhook for Liveboard schedule"
})json";

// The webhook the seed create example makes, as UserA in testOrg1, at the fake clock's start.
constexpr absl::string_view kSeedWebhookJson =
    R"json({"id":"00000000-0000-4000-8000-000000000001","name":"webhook-lb-event",)json"
    R"json("description":"Webhook for Liveboard schedule",)json"
    R"json("org":{"id":"2100019165","name":"testOrg1"},)json"
    R"json("url":"https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d","url_params":null,)json"
    R"json("events":["LIVEBOARD_SCHEDULE"],)json"
    R"json("authentication":{"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":"***","OAUTH2":null},)json"
    R"json("signature_verification":null,"additional_headers":null,)json"
    R"json("creation_time_in_millis":1773824614455,"modification_time_in_millis":1773824614455,)json"
    R"json("created_by":{"id":"4e6e5692-667e-487d-9672-f301ccc2ea77","name":"UserA@example.com"},)json"
    R"json("last_modified_by":null,"storage_destination":null,"status":null})json";

// The `error.message` object of a ThoughtSpot error response, after checking its exact shape:
// exactly the keys code, incident_id_guid, trace_id_guid (UUIDs) and debug.
struct ErrorMessage {
  int code = 0;
  std::string debug;
};

ErrorMessage ExpectError(const RestResponse& response, int http_status, int code) {
  EXPECT_EQ(response.status, http_status) << response.body;
  EXPECT_EQ(response.Header("Content-Type"), "application/json");
  google::protobuf::Struct body;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(response.body, &body).ok())
      << response.body;
  ErrorMessage result;
  const auto error = body.fields().find("error");
  if (body.fields().size() != 1 || error == body.fields().end()) {
    ADD_FAILURE() << "not an error body: " << response.body;
    return result;
  }
  const auto& outer = error->second.struct_value().fields();
  const auto message = outer.find("message");
  if (outer.size() != 1 || message == outer.end()) {
    ADD_FAILURE() << "not an error body: " << response.body;
    return result;
  }
  const auto& fields = message->second.struct_value().fields();
  EXPECT_EQ(fields.size(), 4) << response.body;
  for (const char* key : {"code", "incident_id_guid", "trace_id_guid", "debug"}) {
    EXPECT_TRUE(fields.contains(key)) << key << " missing in " << response.body;
  }
  if (fields.contains("incident_id_guid")) {
    EXPECT_EQ(NormalizeUuids(fields.at("incident_id_guid").string_value()), "<uuid>");
  }
  if (fields.contains("trace_id_guid")) {
    EXPECT_EQ(NormalizeUuids(fields.at("trace_id_guid").string_value()), "<uuid>");
  }
  if (fields.contains("code")) result.code = static_cast<int>(fields.at("code").number_value());
  if (fields.contains("debug")) result.debug = fields.at("debug").string_value();
  EXPECT_EQ(result.code, code) << response.body;
  // Field order as ThoughtSpot writes it.
  EXPECT_THAT(NormalizeUuids(response.body),
              ::testing::StartsWith(absl::StrCat(
                  R"({"error":{"message":{"code":)", code,
                  R"(,"incident_id_guid":"<uuid>","trace_id_guid":"<uuid>","debug":)")));
  return result;
}

class RestGatewayTest : public ::testing::Test {
 protected:
  // The gateway's answer, without the X-Request-Id header every answer carries last (checked
  // here; RequestIdsAreTheCallersIfUsableElseNew checks its values).
  RestResponse Handle(const RestRequest& request) {
    RestResponse response = env_.server().gateway().Handle(request);
    EXPECT_FALSE(response.headers.empty());
    if (!response.headers.empty()) {
      EXPECT_EQ(response.headers.back().first, "X-Request-Id");
      response.headers.pop_back();
    }
    return response;
  }

  RestResponse CreateSeedWebhook() {
    return Handle(RestPost("/api/rest/2.0/webhooks/create", kSeedCreate, kUserATestOrg1Token));
  }

  TestEnvironment env_;
};

TEST_F(RestGatewayTest, MethodOfNamesTheRoutedMethod) {
  const RestGateway& gateway = env_.server().gateway();
  const auto method_of = [&](const std::string& verb, const std::string& target) {
    RestRequest request = RestPost(target, "{}", kAdminToken);
    request.method = verb;
    const google::protobuf::MethodDescriptor* method = gateway.MethodOf(request);
    return method == nullptr ? std::string("none") : method->name();
  };
  EXPECT_EQ(method_of("POST", "/api/rest/2.0/webhooks/search"), "SearchWebhooks");
  EXPECT_EQ(method_of("POST", "/api/rest/2.0/webhooks/search?x=1"), "SearchWebhooks");
  EXPECT_EQ(method_of("POST", "/api/rest/2.0/webhooks/hook/update"), "UpdateWebhook");
  EXPECT_EQ(method_of("GET", "/api/rest/2.0/webhooks/search"), "none");
  EXPECT_EQ(method_of("POST", "/api/rest/2.0/nothing"), "none");
}

TEST_F(RestGatewayTest, RoutesComeFromTheServiceAnnotations) {
  std::vector<std::string> routes;
  for (const auto& route : env_.server().gateway().routes()) {
    routes.push_back(absl::StrCat(route.verb, " ", route.pattern, " ", route.method->name()));
  }
  EXPECT_THAT(routes,
              ElementsAre("POST /api/rest/2.0/webhooks/create CreateWebhook",
                          "POST /api/rest/2.0/webhooks/search SearchWebhooks",
                          "POST /api/rest/2.0/webhooks/{webhook_identifier}/update UpdateWebhook",
                          "POST /api/rest/2.0/webhooks/delete DeleteWebhooks",
                          "GET /api/rest/2.0/webhooks/storage-config GetWebhookStorageConfig",
                          "POST /api/rest/2.0/system/preferences/communication-channels/configure "
                          "ConfigureChannelPreferences",
                          "POST /api/rest/2.0/system/preferences/communication-channels/search "
                          "SearchChannelPreferences",
                          "POST /api/rest/2.0/system/communication-channels/validate "
                          "ValidateCommunicationChannel",
                          "POST /api/rest/2.0/jobs/history/communication-channels/search "
                          "SearchChannelHistory",
                          "POST /api/webhookd/v1/jobs/{job_id}/redeliver RedeliverJob",
                          "POST /api/webhookd/v1/webhooks/{webhook_identifier}/replay "
                          "ReplayFailedJobs"));
}

TEST_F(RestGatewayTest, SeedCreateExampleAnswers200WithTheWebhook) {
  const RestResponse response = CreateSeedWebhook();
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(response.body, kSeedWebhookJson);
}

TEST_F(RestGatewayTest, SeedSearchExampleAnswers200WithAPage) {
  ASSERT_EQ(CreateSeedWebhook().status, 200);
  const RestResponse response =
      Handle(RestPost("/api/rest/2.0/webhooks/search",
                      R"({"org_identifier": "testOrg1", "event_type": "LIVEBOARD_SCHEDULE"})",
                      kUserATestOrg1Token));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(response.body, absl::StrCat(R"({"webhooks":[)", kSeedWebhookJson,
                                        R"(],"pagination":{"record_offset":0,"record_size":50,)"
                                        R"("total_count":1,"has_more":false}})"));
}

TEST_F(RestGatewayTest, EmptySearchAnswersAnEmptyPage) {
  RestRequest request = RestPost("/api/rest/2.0/webhooks/search", "", kUserATestOrg1Token);
  request.headers.erase("content-type");  // No body, so no Content-Type is needed.
  const RestResponse response = Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"webhooks":[],"pagination":{"record_offset":0,"record_size":50,)"
                           R"("total_count":0,"has_more":false}})");
}

TEST_F(RestGatewayTest, SeedUpdateExampleAnswers204WithNoBody) {
  ASSERT_EQ(Handle(RestPost("/api/rest/2.0/webhooks/create",
                            R"({"name":"webhook-lb-test","url":"https://example.com/hook",)"
                            R"("events":["LIVEBOARD_SCHEDULE"]})",
                            kUserATestOrg2025Token))
                .status,
            200);
  env_.clock().Advance(absl::Milliseconds(1500));
  const RestResponse response = Handle(RestPost("/api/rest/2.0/webhooks/webhook-lb-test/update",
                                                R"json({
"name": "webhook-lb-event",
"description": "Webhook for Liveboard schedule event",
"url": "https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d/2e5251b2-8274-41f6-80a0-1b82854df31f",
"events": [
"LIVEBOARD_SCHEDULE"
]
})json",
                                                kUserATestOrg2025Token));
  EXPECT_EQ(response.status, 204);
  EXPECT_THAT(response.headers, IsEmpty());
  EXPECT_EQ(response.body, "");

  const RestResponse search =
      Handle(RestPost("/api/rest/2.0/webhooks/search", "{}", kUserATestOrg2025Token));
  EXPECT_EQ(search.status, 200);
  EXPECT_EQ(
      search.body,
      R"json({"webhooks":[{"id":"00000000-0000-4000-8000-000000000001","name":"webhook-lb-event",)json"
      R"json("description":"Webhook for Liveboard schedule event",)json"
      R"json("org":{"id":"1574427524","name":"testOrg2025"},)json"
      R"json("url":"https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d/2e5251b2-8274-41f6-80a0-1b82854df31f",)json"
      R"json("url_params":null,"events":["LIVEBOARD_SCHEDULE"],"authentication":null,)json"
      R"json("signature_verification":null,"additional_headers":null,)json"
      R"json("creation_time_in_millis":1773824614455,"modification_time_in_millis":1773824615955,)json"
      R"json("created_by":{"id":"4e6e5692-667e-487d-9672-f301ccc2ea77","name":"UserA@example.com"},)json"
      R"json("last_modified_by":{"id":"4e6e5692-667e-487d-9672-f301ccc2ea77","name":"UserA@example.com"},)json"
      R"json("storage_destination":null,"status":null}],)json"
      R"json("pagination":{"record_offset":0,"record_size":50,"total_count":1,"has_more":false}})json");
}

TEST_F(RestGatewayTest, PathVariablesArePercentDecoded) {
  ASSERT_EQ(Handle(RestPost("/api/rest/2.0/webhooks/create",
                            R"({"name":"my hook","url":"https://example.com/hook",)"
                            R"("events":["LIVEBOARD_SCHEDULE"]})",
                            kUserATestOrg1Token))
                .status,
            200);
  EXPECT_EQ(Handle(RestPost("/api/rest/2.0/webhooks/my%20hook/update", R"({"description":"d"})",
                            kUserATestOrg1Token))
                .status,
            204);
  // The path wins over a body field of the same name.
  EXPECT_EQ(
      Handle(RestPost("/api/rest/2.0/webhooks/my%20hook/update",
                      R"({"webhook_identifier":"other","description":"e"})", kUserATestOrg1Token))
          .status,
      204);
}

TEST_F(RestGatewayTest, SeedDeleteExampleAnswers200WithTheDeletedWebhook) {
  ASSERT_EQ(
      Handle(
          RestPost(
              "/api/rest/2.0/webhooks/create",
              R"({"name":"webhook-lb-test","description":"Webhook for testing purposes",)"
              R"("url":"https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d/2e5251b2-8274-41f6-80a0-1b82854df31f",)"
              R"("events":["LIVEBOARD_SCHEDULE"]})",
              kUserATestOrg2025Token))
          .status,
      200);
  const RestResponse response = Handle(RestPost("/api/rest/2.0/webhooks/delete", R"json({
"webhook_identifiers": [
"webhook-lb-test"
]
})json",
                                                kUserATestOrg2025Token));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(
      response.body,
      R"json({"deleted_count":1,"failed_count":0,"deleted_webhooks":[{)json"
      R"json("id":"00000000-0000-4000-8000-000000000001","name":"webhook-lb-test",)json"
      R"json("description":"Webhook for testing purposes",)json"
      R"json("org":{"id":"1574427524","name":"testOrg2025"},)json"
      R"json("url":"https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d/2e5251b2-8274-41f6-80a0-1b82854df31f",)json"
      R"json("url_params":null,"events":["LIVEBOARD_SCHEDULE"],"authentication":null,)json"
      R"json("signature_verification":null,"additional_headers":null,)json"
      R"json("creation_time_in_millis":1773824614455,"modification_time_in_millis":1773824614455,)json"
      R"json("created_by":{"id":"4e6e5692-667e-487d-9672-f301ccc2ea77","name":"UserA@example.com"},)json"
      R"json("last_modified_by":null,"storage_destination":null,"status":null}],)json"
      R"json("failed_webhooks":[]})json");
}

TEST_F(RestGatewayTest, ChannelPreferencesConfigure204AndSearch200) {
  const RestResponse configured = Handle(RestPost(
      "/api/rest/2.0/system/preferences/communication-channels/configure",
      R"({"org_preferences":[{"org_identifier":"testOrg1","operation":"REPLACE",)"
      R"("preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL","WEBHOOK"]}]}]})",
      kAdminToken));
  EXPECT_EQ(configured.status, 204);
  EXPECT_THAT(configured.headers, IsEmpty());
  EXPECT_EQ(configured.body, "");

  const RestResponse search = Handle(RestPost(
      "/api/rest/2.0/system/preferences/communication-channels/search", "{}", kAdminToken));
  EXPECT_EQ(search.status, 200);
  EXPECT_THAT(search.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(
      search.body,
      R"json({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK"]}],)json"
      R"json("org_preferences":[{"org":{"id":"0","name":"Primary"},"preferences":[]},)json"
      R"json({"org":{"id":"1574427524","name":"testOrg2025"},"preferences":[]},)json"
      R"json({"org":{"id":"2100019165","name":"testOrg1"},"preferences":)json"
      R"json([{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL","WEBHOOK"]}]}]})json");
}

// --- Error mappings -----------------------------------------------------------------------

TEST_F(RestGatewayTest, InvalidArgumentIs400) {
  const ErrorMessage error =
      ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/create",
                                  R"({"name":"n","url":"https://example.com","events":[]})",
                                  kUserATestOrg1Token)),
                  400, 10002);
  EXPECT_THAT(error.debug, HasSubstr("events"));
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/delete", R"({"webhook_identifiers":[]})",
                              kUserATestOrg1Token)),
              400, 10002);
}

TEST_F(RestGatewayTest, NotFoundIs400) {
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/no-such-webhook/update", R"({"name":"x"})",
                              kUserATestOrg1Token)),
              400, 10002);
}

TEST_F(RestGatewayTest, AlreadyExistsIs400) {
  ASSERT_EQ(CreateSeedWebhook().status, 200);
  ExpectError(
      Handle(RestPost(
          "/api/rest/2.0/webhooks/create",
          R"({"name":"second","url":"https://example.com","events":["LIVEBOARD_SCHEDULE"]})",
          kUserATestOrg1Token)),
      400, 10002);
}

TEST_F(RestGatewayTest, FailedPreconditionIs400) {
  // testOrg2025 turns its webhook channel off, so no webhook may be created there.
  ASSERT_EQ(
      Handle(
          RestPost("/api/rest/2.0/system/preferences/communication-channels/configure",
                   R"({"org_preferences":[{"org_identifier":"1574427524",)"
                   R"("preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL"]}]}]})",
                   kAdminToken))
          .status,
      204);
  ExpectError(
      Handle(RestPost("/api/rest/2.0/webhooks/create", kSeedCreate, kUserATestOrg2025Token)), 400,
      10002);
}

TEST_F(RestGatewayTest, StorageConfigAnswersTheListAsTheBody) {
  RestRequest request;
  request.method = "GET";
  request.target = "/api/rest/2.0/webhooks/storage-config";
  request.headers["authorization"] = absl::StrCat("Bearer ", kUserATestOrg1Token);
  const RestResponse response = Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(
      response.body,
      R"([{"storage_type":"OBJECT_STORAGE","provider":"AWS_S3","config":{)"
      R"("config_type":"AWS_TO_S3_STORAGE","setup_instructions":[)"
      R"("Choose an S3 bucket and the region it is in; report files are written under )"
      R"(<path_prefix>/<org id>/<YYYY-MM-DD>/<event id>/<file name>.",)"
      R"("Create an IAM role whose trust policy is trust_policy_template: it requires your )"
      R"(org's external ID, webhookd-0f76109efb5b7a6b2311a56a0cd85940, which this server issues to your org alone and sends )"
      R"(with every AssumeRole.",)"
      R"("Allow the role s3:PutObject on arn:aws:s3:::<bucket>/<path_prefix>/* (nothing else )"
      R"(is needed: files are only written, never read, listed or deleted).",)"
      R"("Set the webhook's storage_destination: storage_type AWS_S3 and aws_s3_config with )"
      R"(bucket_name, region, role_arn and optionally path_prefix (external_id may be left )"
      R"(out: it is filled in; any other than your org's is refused).",)"
      R"("Check it with POST /api/rest/2.0/system/communication-channels/validate: the )"
      R"(STORAGE_FILE_UPLOAD_CHECK step stores a small test file and reports its key."],)"
      R"("aws_account_id":"210987654321","gcp_service_account_id":null,"oidc_provider":null,)"
      R"("trust_policy_template":{"Statement":[{"Action":"sts:AssumeRole","Condition":)"
      R"({"StringEquals":{"sts:ExternalId":"webhookd-0f76109efb5b7a6b2311a56a0cd85940"}},"Effect":"Allow",)"
      R"("Principal":)"
      R"({"AWS":"arn:aws:iam::210987654321:root"}}],"Version":"2012-10-17"},)"
      R"("service_account_email":null,"required_role":null}}])");

  request.headers["authorization"] = absl::StrCat("Bearer ", kViewerToken);
  ExpectError(Handle(request), 403, 10023);
}

TEST_F(RestGatewayTest, BadStorageDestinationIs400NamingTheField) {
  const ErrorMessage error = ExpectError(
      Handle(RestPost("/api/rest/2.0/webhooks/create",
                      R"({"name":"n","url":"https://example.com","events":["LIVEBOARD_SCHEDULE"],)"
                      R"("storage_destination":{"storage_type":"AWS_S3","storage_config":{)"
                      R"("aws_s3_config":{"bucket_name":"reports","region":"us-west-2",)"
                      R"("role_arn":"WebhookRole"}}}})",
                      kUserATestOrg1Token)),
      400, 10002);
  EXPECT_EQ(error.debug,
            "storage_destination.storage_config.aws_s3_config.role_arn must be an IAM role ARN "
            "(arn:aws:iam::<account-id>:role/<name>)");
}

TEST_F(RestGatewayTest, UnknownJsonFieldIs400NamingIt) {
  const ErrorMessage error = ExpectError(
      Handle(RestPost("/api/rest/2.0/webhooks/search", R"({"record_sise": 5})", kAdminToken)), 400,
      10002);
  EXPECT_THAT(error.debug, HasSubstr("record_sise"));
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/search", "{not json", kAdminToken)), 400,
              10002);
}

TEST_F(RestGatewayTest, MissingUnknownOrMalformedTokenIs401) {
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/search", "{}", "")), 401, 10097);
  const ErrorMessage unknown = ExpectError(
      Handle(RestPost("/api/rest/2.0/webhooks/search", "{}", "guessed-token")), 401, 10097);
  EXPECT_THAT(unknown.debug, Not(HasSubstr("guessed-token")));
  RestRequest basic = RestPost("/api/rest/2.0/webhooks/search", "{}", "");
  basic.headers["authorization"] = "Basic dXNlcjpwYXNz";
  ExpectError(Handle(basic), 401, 10097);
  RestRequest binary = RestPost("/api/rest/2.0/webhooks/search", "{}", "");
  binary.headers["authorization"] = "Bearer \x01\x02";
  ExpectError(Handle(binary), 401, 10097);
}

TEST_F(RestGatewayTest, BearerSchemeIsCaseInsensitive) {
  RestRequest request = RestPost("/api/rest/2.0/webhooks/search", "{}", "");
  request.headers["authorization"] = absl::StrCat("bearer ", kAdminToken);
  EXPECT_EQ(Handle(request).status, 200);
}

TEST_F(RestGatewayTest, MissingPrivilegeIs403) {
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/create", kSeedCreate, kViewerToken)), 403,
              10023);
  ExpectError(Handle(RestPost(
                  "/api/rest/2.0/system/preferences/communication-channels/configure",
                  R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":[]}]})",
                  kUserATestOrg1Token)),
              403, 10023);
}

TEST_F(RestGatewayTest, UnknownPathIs404) {
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks/no-such-endpoint", "{}", kAdminToken)), 404,
              10002);
  ExpectError(Handle(RestPost("/api/rest/2.0/webhooks//update", "{}", kAdminToken)), 404, 10002);
}

TEST_F(RestGatewayTest, WrongMethodIs405WithAllow) {
  RestRequest request = RestPost("/api/rest/2.0/webhooks/search?x=1", "", kAdminToken);
  request.method = "GET";
  const RestResponse response = Handle(request);
  ExpectError(response, 405, 10002);
  EXPECT_EQ(response.Header("Allow"), "POST");
  const RestResponse post =
      Handle(RestPost("/api/rest/2.0/webhooks/storage-config", "{}", kAdminToken));
  ExpectError(post, 405, 10002);
  EXPECT_EQ(post.Header("Allow"), "GET");
}

TEST_F(RestGatewayTest, NonJsonContentTypeIs415) {
  RestRequest request = RestPost("/api/rest/2.0/webhooks/search", "name=x", kAdminToken);
  request.headers["content-type"] = "application/x-www-form-urlencoded";
  ExpectError(Handle(request), 415, 10002);
  request.headers.erase("content-type");
  ExpectError(Handle(request), 415, 10002);
  RestRequest with_charset = RestPost("/api/rest/2.0/webhooks/search", "{}", kAdminToken);
  with_charset.headers["content-type"] = "Application/JSON; charset=utf-8";
  EXPECT_EQ(Handle(with_charset).status, 200);
}

TEST(RestGatewayLimitsTest, BodyOverTheLimitIs413) {
  WebhookServerOptions options;
  options.gateway.max_body_bytes = 64;
  TestEnvironment env(TestEnvironment::kInProcess, options);
  const RestResponse response = env.server().gateway().Handle(RestPost(
      "/api/rest/2.0/webhooks/search",
      absl::StrCat(R"({"webhook_identifier":")", std::string(100, 'x'), R"("})"), kAdminToken));
  ExpectError(response, 413, 10002);
}

// A call target whose every call fails with an internal error that must not leak.
class FailingCalls final : public RestCallTarget {
  grpc::Status Call(const google::protobuf::MethodDescriptor&, const CallInfo&,
                    const google::protobuf::Message&, google::protobuf::Message*) override {
    return grpc::Status(grpc::StatusCode::INTERNAL, "store at /var/lib/secret-db is corrupt");
  }
};

TEST(RestGatewayServerErrorTest, InternalErrorIs500WithNoDetail) {
  FailingCalls calls;
  auto gateway = RestGateway::Create({WebhookServiceDescriptor()}, &calls, {});
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const RestResponse search =
      (*gateway)->Handle(RestPost("/api/rest/2.0/webhooks/search", "{}", kAdminToken));
  const ErrorMessage error = ExpectError(search, 500, 10038);
  EXPECT_EQ(error.debug, "Unexpected server error.");
  EXPECT_THAT(search.body, Not(HasSubstr("secret")));
}

TEST_F(RestGatewayTest, RequestIdsAreTheCallersIfUsableElseNew) {
  RestRequest request = RestPost("/api/rest/2.0/webhooks/search", "{}", kUserATestOrg1Token);
  const auto id_of = [&](const RestRequest& sent) {
    const RestResponse response = env_.server().gateway().Handle(sent);
    EXPECT_EQ(response.status, 200);
    return response.Header("x-request-id");
  };
  request.headers["x-request-id"] = "caller-id_1.2";
  EXPECT_EQ(id_of(request), "caller-id_1.2");
  for (const std::string& unusable :
       {std::string(), std::string("two words"), std::string(65, 'a'), std::string("tab\there")}) {
    request.headers["x-request-id"] = unusable;
    const std::string made = id_of(request);
    EXPECT_THAT(made, ::testing::MatchesRegex("[0-9a-f]{32}")) << unusable;
    EXPECT_NE(made, id_of(request));  // A new one each time.
  }
  // Refused before any call (no route): it still has one.
  EXPECT_THAT(env_.server().gateway().Handle(RestPost("/nowhere", "{}", "")).Header("x-request-id"),
              ::testing::MatchesRegex("[0-9a-f]{32}"));
}

}  // namespace
}  // namespace webhooks
