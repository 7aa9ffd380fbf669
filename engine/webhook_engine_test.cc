#include "engine/webhook_engine.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::EnableWebhookChannel;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::MakePrincipal;
using ::webhooks::testing::StatusIs;

constexpr int64_t kStartMillis = 1773824614455;  // testing::kFakeClockStart.

v1::CreateWebhookRequest SeedCreateRequest() {
  v1::CreateWebhookRequest request;
  EXPECT_OK(FromJson(R"({
      "name": "webhook-lb-event",
      "url": "https://webhook-test-server-263n.onrender.com/",
      "events": ["LIVEBOARD_SCHEDULE"],
      "description": "Webhook for Liveboard schedule"})",
                     &request));
  return request;
}

class WebhookEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(harness_.StartEngine()); }

  // A new engine with `limits`, besides the harness's.
  absl::StatusOr<std::unique_ptr<WebhookEngine>> NewEngine(const EngineLimits& limits) {
    harness_.options().limits = limits;
    return harness_.CreateEngine();
  }

  // Creates a webhook named `name` in `caller`'s org, a second later than the last one.
  v1::Webhook CreateIn(const Principal& caller, const std::string& name) {
    harness_.clock().Advance(absl::Seconds(1));
    v1::CreateWebhookRequest request = SeedCreateRequest();
    request.set_name(name);
    absl::StatusOr<v1::Webhook> webhook = harness_.engine().CreateWebhook(caller, request);
    EXPECT_OK(webhook.status());
    return webhook.value_or(v1::Webhook());
  }

  std::vector<std::string> Names(const v1::SearchWebhooksResponse& response) {
    std::vector<std::string> names;
    for (const v1::Webhook& webhook : response.webhooks()) names.push_back(webhook.name());
    return names;
  }

  const v1::Org primary_ = MakeOrg("0", "Primary");
  const v1::Org test_org_ = MakeOrg("2100019165", "testOrg1");
  const v1::Org other_org_ = MakeOrg("1574427524", "testOrg2025");
  testing::EngineHarness harness_{{primary_, test_org_, other_org_}};
  const Principal cluster_admin_ = harness_.Admin();
  const Principal org_admin_ = harness_.AdminOf("testOrg1");
  const Principal other_admin_ = MakePrincipal(other_org_, {v1::DEVELOPER});
};

TEST_F(WebhookEngineTest, CreateReturnsTheSeedShape) {
  ASSERT_OK_AND_ASSIGN(v1::Webhook webhook,
                       harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()));
  EXPECT_EQ(ToJson(webhook),
            R"({"id":"00000000-0000-4000-8000-000000000001","name":"webhook-lb-event",)"
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

TEST_F(WebhookEngineTest, SearchReturnsTheSeedExample) {
  ASSERT_OK(harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()).status());
  v1::SearchWebhooksRequest request;
  ASSERT_OK(
      FromJson(R"({"org_identifier":"testOrg1","event_type":"LIVEBOARD_SCHEDULE"})", &request));
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse response,
                       harness_.engine().SearchWebhooks(org_admin_, request));
  ASSERT_EQ(response.webhooks_size(), 1);
  EXPECT_EQ(response.webhooks(0).org().name(), "testOrg1");
  EXPECT_THAT(ToJson(response), HasSubstr(R"("pagination":{"record_offset":0,"record_size":50,)"
                                          R"("total_count":1,"has_more":false}})"));
}

TEST_F(WebhookEngineTest, RandomIdsAreUuids) {
  EngineOptions options;
  options.orgs = &harness_.orgs();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WebhookEngine> engine, WebhookEngine::Create(options));
  EnableWebhookChannel(*engine, cluster_admin_);
  ASSERT_OK_AND_ASSIGN(v1::Webhook webhook, engine->CreateWebhook(org_admin_, SeedCreateRequest()));
  EXPECT_THAT(webhook.id(),
              ::testing::MatchesRegex(
                  "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

TEST_F(WebhookEngineTest, CreateRejectsMissingOptions) {
  EXPECT_THAT(WebhookEngine::Create(EngineOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, "EngineOptions.orgs is required"));
  EngineLimits limits;
  limits.max_record_size = 0;
  EXPECT_THAT(NewEngine(limits), StatusIs(absl::StatusCode::kInvalidArgument,
                                          "every EngineLimits value must be positive"));
}

TEST_F(WebhookEngineTest, CreateValidatesTheRequest) {
  v1::CreateWebhookRequest request = SeedCreateRequest();
  request.clear_events();
  EXPECT_THAT(harness_.engine().CreateWebhook(org_admin_, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "At least one event type must be specified in the events field."));
  request = SeedCreateRequest();
  request.set_url("webhook.site/abc");
  EXPECT_THAT(
      harness_.engine().CreateWebhook(org_admin_, request),
      StatusIs(absl::StatusCode::kInvalidArgument, "url must be an absolute http or https URL"));
}

TEST_F(WebhookEngineTest, OneWebhookPerOrg) {
  ASSERT_OK(harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()).status());
  v1::CreateWebhookRequest second = SeedCreateRequest();
  second.set_name("another");
  EXPECT_THAT(harness_.engine().CreateWebhook(org_admin_, second),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       "org 'testOrg1' already has a LIVEBOARD_SCHEDULE webhook (id "
                       "00000000-0000-4000-8000-000000000001); only one is allowed per org"));
  // Other orgs are unaffected.
  EXPECT_OK(harness_.engine().CreateWebhook(other_admin_, second).status());
}

TEST_F(WebhookEngineTest, ConcurrentCreatesInOneOrgHaveOneWinner) {
  constexpr int kThreads = 16;
  std::atomic<int> created{0}, already_exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      v1::CreateWebhookRequest request = SeedCreateRequest();
      request.set_name(absl::StrCat("racer-", i));
      const absl::Status status = harness_.engine().CreateWebhook(org_admin_, request).status();
      if (status.ok()) ++created;
      if (status.code() == absl::StatusCode::kAlreadyExists) ++already_exists;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(already_exists.load(), kThreads - 1);
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse response,
                       harness_.engine().SearchWebhooks(org_admin_, v1::SearchWebhooksRequest()));
  EXPECT_EQ(response.pagination().total_count(), 1);
}

TEST_F(WebhookEngineTest, CreateNeedsTheWebhookChannel) {
  // testOrg1 turns the channel off for itself: its override beats the cluster preference.
  v1::ConfigureChannelPreferencesRequest off;
  auto* org = off.add_org_preferences();
  org->set_org_identifier("testOrg1");
  org->add_preferences()->set_event_type(v1::LIVEBOARD_SCHEDULE);
  org->mutable_preferences(0)->add_channels(v1::EMAIL);
  ASSERT_OK(harness_.engine().ConfigureChannelPreferences(cluster_admin_, off));
  EXPECT_THAT(harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "the WEBHOOK communication channel is not enabled for LIVEBOARD_SCHEDULE "
                       "in org 'testOrg1'; configure it at the cluster level or for the org "
                       "first"));
  EXPECT_OK(harness_.engine().CreateWebhook(other_admin_, SeedCreateRequest()).status());

  // RESET falls back to the cluster preference, which has WEBHOOK.
  v1::ConfigureChannelPreferencesRequest reset;
  auto* back = reset.add_org_preferences();
  back->set_org_identifier("2100019165");
  back->set_operation(v1::RESET);
  back->add_reset_events(v1::LIVEBOARD_SCHEDULE);
  ASSERT_OK(harness_.engine().ConfigureChannelPreferences(cluster_admin_, reset));
  EXPECT_OK(harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()).status());
}

TEST_F(WebhookEngineTest, CreateWithoutAnyPreferenceFails) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<WebhookEngine> fresh, NewEngine(EngineLimits()));
  EXPECT_THAT(fresh->CreateWebhook(org_admin_, SeedCreateRequest()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("WEBHOOK")));
}

TEST_F(WebhookEngineTest, PrivilegesForWebhooks) {
  const Principal nobody = MakePrincipal(test_org_, {});
  const Principal manager_without_rbac = MakePrincipal(test_org_, {v1::CAN_MANAGE_WEBHOOKS});
  Principal manager_with_rbac = manager_without_rbac;
  manager_with_rbac.rbac_enabled = true;
  const std::string denied =
      "Insufficient privileges to create webhook configurations: requires ADMINISTRATION or "
      "DEVELOPER, or CAN_MANAGE_WEBHOOKS when RBAC is enabled.";
  EXPECT_THAT(harness_.engine().CreateWebhook(nobody, SeedCreateRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, denied));
  EXPECT_THAT(harness_.engine().CreateWebhook(manager_without_rbac, SeedCreateRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, denied));
  EXPECT_OK(harness_.engine().CreateWebhook(manager_with_rbac, SeedCreateRequest()).status());
  EXPECT_THAT(harness_.engine().SearchWebhooks(nobody, {}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("to search webhook")));
  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("webhook-lb-event");
  EXPECT_THAT(harness_.engine().UpdateWebhook(nobody, update),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("to update webhook")));
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("webhook-lb-event");
  EXPECT_THAT(harness_.engine().DeleteWebhooks(nobody, remove),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("to delete webhook")));
}

TEST_F(WebhookEngineTest, OtherOrgsWebhooksAreInvisible) {
  const v1::Webhook mine = CreateIn(org_admin_, "mine");
  const v1::Webhook theirs = CreateIn(other_admin_, "theirs");

  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse search,
                       harness_.engine().SearchWebhooks(org_admin_, v1::SearchWebhooksRequest()));
  EXPECT_THAT(Names(search), ElementsAre("mine"));
  EXPECT_EQ(search.pagination().total_count(), 1);

  v1::SearchWebhooksRequest by_id;
  by_id.set_webhook_identifier(theirs.id());
  ASSERT_OK_AND_ASSIGN(search, harness_.engine().SearchWebhooks(org_admin_, by_id));
  EXPECT_EQ(search.webhooks_size(), 0);

  v1::SearchWebhooksRequest other_org;
  other_org.set_org_identifier("testOrg2025");
  EXPECT_THAT(harness_.engine().SearchWebhooks(org_admin_, other_org),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "org_identifier 'testOrg2025' does not match a known org"));

  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier(theirs.id());
  update.set_name("stolen");
  EXPECT_THAT(
      harness_.engine().UpdateWebhook(org_admin_, update),
      StatusIs(absl::StatusCode::kNotFound, absl::StrCat("Webhook with the specified identifier '",
                                                         theirs.id(), "' was not found.")));

  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("theirs");
  ASSERT_OK_AND_ASSIGN(v1::DeleteWebhooksResponse deleted,
                       harness_.engine().DeleteWebhooks(org_admin_, remove));
  EXPECT_EQ(deleted.deleted_count(), 0);
  EXPECT_EQ(deleted.failed_count(), 1);

  // The cluster administrator sees both, newest first, and may narrow to one org.
  ASSERT_OK_AND_ASSIGN(search, harness_.engine().SearchWebhooks(cluster_admin_, {}));
  EXPECT_THAT(Names(search), ElementsAre("theirs", "mine"));
  ASSERT_OK_AND_ASSIGN(search, harness_.engine().SearchWebhooks(cluster_admin_, other_org));
  EXPECT_THAT(Names(search), ElementsAre("theirs"));
  EXPECT_EQ(mine.org().id(), test_org_.id());
}

TEST_F(WebhookEngineTest, UnknownOrgIdentifierIsInvalid) {
  v1::SearchWebhooksRequest request;
  request.set_org_identifier("nowhere");
  EXPECT_THAT(harness_.engine().SearchWebhooks(cluster_admin_, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "org_identifier 'nowhere' does not match a known org"));
}

TEST_F(WebhookEngineTest, EverySecretIsRedacted) {
  v1::CreateWebhookRequest request = SeedCreateRequest();
  ASSERT_OK(FromJson(R"({
      "name": "secretive", "url": "https://example.com/hook", "events": ["LIVEBOARD_SCHEDULE"],
      "authentication": {"OAUTH2": {"authorization_url": "https://auth.example.com/token",
                                    "client_id": "client_123", "client_secret": "oauth-s3cret"}},
      "signature_verification": {"type": "HMAC_SHA256", "header": "X-Webhook-Signature",
                                 "algorithm": "SHA256", "secret": "hmac-s3cret"},
      "additional_headers": [{"key": "X-Team", "value": "analytics"}],
      "url_params": {"api_key": "abc123"}})",
                     &request));
  ASSERT_OK_AND_ASSIGN(v1::Webhook created, harness_.engine().CreateWebhook(org_admin_, request));
  const std::string json = ToJson(created);
  EXPECT_THAT(json, HasSubstr(R"("authentication":{"API_KEY":null,"BASIC_AUTH":null,)"
                              R"("BEARER_TOKEN":null,"OAUTH2":{"authorization_url":)"
                              R"("https://auth.example.com/token","client_id":"client_123",)"
                              R"("client_secret":"***"}})"));
  EXPECT_THAT(json, HasSubstr(R"("signature_verification":{"type":"HMAC_SHA256",)"
                              R"("header":"X-Webhook-Signature","algorithm":"SHA256",)"
                              R"("secret":"***"})"));
  EXPECT_THAT(json, HasSubstr(R"("additional_headers":[{"key":"X-Team","value":"analytics"}])"));
  EXPECT_THAT(json, HasSubstr(R"("url_params":{"api_key":"abc123"})"));

  // Every other kind of authentication, through update, search and delete.
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {R"({"API_KEY":{"key":"X-API-Key","value":"key-s3cret"}})",
       R"({"API_KEY":{"key":"X-API-Key","value":"***"},"BASIC_AUTH":null,"BEARER_TOKEN":null,)"
       R"("OAUTH2":null})"},
      {R"({"BASIC_AUTH":{"username":"svc","password":"basic-s3cret"}})",
       R"({"API_KEY":null,"BASIC_AUTH":{"username":"svc","password":"***"},)"
       R"("BEARER_TOKEN":null,"OAUTH2":null})"},
      {R"({"BEARER_TOKEN":"bearer-s3cret"})",
       R"({"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":"***","OAUTH2":null})"},
  };
  for (const auto& [input, redacted] : kinds) {
    v1::UpdateWebhookRequest update;
    ASSERT_OK(FromJson(absl::StrCat(R"({"authentication":)", input, "}"), &update));
    update.set_webhook_identifier("secretive");
    ASSERT_OK(harness_.engine().UpdateWebhook(org_admin_, update));
    ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse search,
                         harness_.engine().SearchWebhooks(org_admin_, {}));
    const std::string found = ToJson(search);
    EXPECT_THAT(found, HasSubstr(absl::StrCat(R"("authentication":)", redacted))) << input;
    EXPECT_THAT(found, Not(HasSubstr("s3cret")));
  }
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("secretive");
  ASSERT_OK_AND_ASSIGN(v1::DeleteWebhooksResponse deleted,
                       harness_.engine().DeleteWebhooks(org_admin_, remove));
  EXPECT_THAT(ToJson(deleted), Not(HasSubstr("s3cret")));
  EXPECT_THAT(ToJson(deleted), HasSubstr(R"("BEARER_TOKEN":"***")"));
}

TEST_F(WebhookEngineTest, UpdateChangesOnlyTheGivenFields) {
  v1::CreateWebhookRequest create = SeedCreateRequest();
  ASSERT_OK(FromJson(R"({"name":"webhook-lb-test","url":"https://example.com/a",
      "events":["LIVEBOARD_SCHEDULE"],"description":"keep me",
      "url_params":{"a":"1"},"additional_headers":[{"key":"X-A","value":"1"}],
      "authentication":{"BEARER_TOKEN":"token-1"}})",
                     &create));
  ASSERT_OK_AND_ASSIGN(v1::Webhook created, harness_.engine().CreateWebhook(org_admin_, create));
  harness_.clock().Advance(absl::Minutes(5));

  v1::UpdateWebhookRequest update;
  ASSERT_OK(FromJson(R"({"name":"webhook-lb-event","url":"https://example.com/b"})", &update));
  update.set_webhook_identifier("webhook-lb-test");  // By name, as in the seed example.
  const Principal editor = MakePrincipal(test_org_, {v1::DEVELOPER});
  Principal other_user = editor;
  other_user.user_id = "u2";
  other_user.user_name = "dev@example.com";
  ASSERT_OK(harness_.engine().UpdateWebhook(other_user, update));

  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse search,
                       harness_.engine().SearchWebhooks(editor, {}));
  ASSERT_EQ(search.webhooks_size(), 1);
  const v1::Webhook& updated = search.webhooks(0);
  EXPECT_EQ(updated.id(), created.id());
  EXPECT_EQ(updated.name(), "webhook-lb-event");
  EXPECT_EQ(updated.url(), "https://example.com/b");
  EXPECT_EQ(updated.description(), "keep me");
  EXPECT_EQ(updated.url_params().at("a"), "1");
  EXPECT_EQ(updated.additional_headers_size(), 1);
  EXPECT_EQ(updated.authentication().bearer_token(), "***");
  EXPECT_EQ(updated.creation_time_in_millis(), kStartMillis);
  EXPECT_EQ(updated.modification_time_in_millis(), kStartMillis + 5 * 60 * 1000);
  EXPECT_EQ(updated.last_modified_by().id(), "u2");
  EXPECT_EQ(updated.last_modified_by().name(), "dev@example.com");
  EXPECT_EQ(updated.created_by().name(), "UserA@example.com");

  // The old name no longer resolves; the new one does.
  update.set_webhook_identifier("webhook-lb-test");
  EXPECT_THAT(harness_.engine().UpdateWebhook(editor, update),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("webhook-lb-test")));
}

TEST_F(WebhookEngineTest, UpdateClearsListsAndResetsConfigurations) {
  v1::CreateWebhookRequest create;
  ASSERT_OK(FromJson(R"({"name":"w","url":"https://example.com/a",
      "events":["LIVEBOARD_SCHEDULE"], "url_params":{"a":"1"},
      "additional_headers":[{"key":"X-A","value":"1"}],
      "authentication":{"BEARER_TOKEN":"token-1"},
      "signature_verification":{"type":"HMAC_SHA256","header":"X-Sig","algorithm":"SHA256",
                                "secret":"s"}})",
                     &create));
  ASSERT_OK(harness_.engine().CreateWebhook(org_admin_, create).status());
  v1::UpdateWebhookRequest update;
  ASSERT_OK(FromJson(R"({"url_params":{},"additional_headers":[],
      "reset_options":["AUTHENTICATION","SIGNATURE_VERIFICATION"],"status":"DISABLED"})",
                     &update));
  update.set_webhook_identifier("w");
  ASSERT_OK(harness_.engine().UpdateWebhook(org_admin_, update));
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse search,
                       harness_.engine().SearchWebhooks(org_admin_, {}));
  EXPECT_THAT(ToJson(search.webhooks(0)),
              HasSubstr(R"("url_params":null,"events":["LIVEBOARD_SCHEDULE"],)"
                        R"("authentication":null,"signature_verification":null,)"
                        R"("additional_headers":null)"));
  EXPECT_EQ(search.webhooks(0).status(), v1::DISABLED);
}

TEST_F(WebhookEngineTest, UpdateKeepsSecretsSentBackRedacted) {
  v1::CreateWebhookRequest create = SeedCreateRequest();
  create.mutable_authentication()->mutable_api_key()->set_key("X-API-Key");
  create.mutable_authentication()->mutable_api_key()->set_value("real-key");
  ASSERT_OK_AND_ASSIGN(v1::Webhook created, harness_.engine().CreateWebhook(org_admin_, create));

  // Send back what search returned ("***"), with a new header name: the key value stays.
  v1::UpdateWebhookRequest update;
  *update.mutable_authentication() = created.authentication();
  update.mutable_authentication()->mutable_api_key()->set_key("X-Other-Key");
  update.set_webhook_identifier(created.id());
  ASSERT_OK(harness_.engine().UpdateWebhook(org_admin_, update));

  // Switching kind with a placeholder has no stored secret to keep.
  v1::UpdateWebhookRequest switch_kind;
  switch_kind.set_webhook_identifier(created.id());
  switch_kind.mutable_authentication()->set_bearer_token("***");
  EXPECT_THAT(harness_.engine().UpdateWebhook(org_admin_, switch_kind),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "authentication.BEARER_TOKEN must be the secret itself, not the redacted "
                       "placeholder \"***\""));
}

TEST_F(WebhookEngineTest, UpdateRejectsBadInputAndChangesNothing) {
  const v1::Webhook created = CreateIn(org_admin_, "w");
  const auto expect_rejected = [&](const std::string& json, const std::string& message) {
    v1::UpdateWebhookRequest update;
    ASSERT_OK(FromJson(json, &update));
    update.set_webhook_identifier("w");
    EXPECT_THAT(harness_.engine().UpdateWebhook(org_admin_, update),
                StatusIs(absl::StatusCode::kInvalidArgument, message))
        << json;
  };
  expect_rejected(R"({"name":"renamed","url":"notaurl"})",
                  "url must be an absolute http or https URL");
  expect_rejected(R"({"url_params":{"a":[1]}})",
                  "url_params.a must be a string, a number or a boolean, not a list");
  expect_rejected(R"({"additional_headers":[{"key":"X-A"}]})",
                  "additional_headers[0] must be an object with string fields key and value");
  expect_rejected(R"({"reset_options":["AUTHENTICATION"],"authentication":{"BEARER_TOKEN":"t"}})",
                  "reset_options[0] removes AUTHENTICATION, which the same request also sets");
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse search,
                       harness_.engine().SearchWebhooks(org_admin_, {}));
  EXPECT_EQ(ToJson(search.webhooks(0)), ToJson(created));

  v1::UpdateWebhookRequest no_identifier;
  EXPECT_THAT(harness_.engine().UpdateWebhook(org_admin_, no_identifier),
              StatusIs(absl::StatusCode::kInvalidArgument, "webhook_identifier is required"));
}

TEST_F(WebhookEngineTest, DeleteReportsEachIdentifier) {
  const v1::Webhook created = CreateIn(org_admin_, "webhook-test");
  v1::DeleteWebhooksRequest request;
  request.add_webhook_identifiers("webhook-test");
  request.add_webhook_identifiers("Non-existent Webhook");
  ASSERT_OK_AND_ASSIGN(v1::DeleteWebhooksResponse response,
                       harness_.engine().DeleteWebhooks(org_admin_, request));
  EXPECT_EQ(response.deleted_count(), 1);
  EXPECT_EQ(response.failed_count(), 1);
  ASSERT_EQ(response.deleted_webhooks_size(), 1);
  EXPECT_EQ(ToJson(response.deleted_webhooks(0)), ToJson(created));
  EXPECT_EQ(ToJson(response.failed_webhooks(0)),
            R"({"id":"Non-existent Webhook","name":"Non-existent Webhook",)"
            R"("error":"Webhook with the specified identifier 'Non-existent Webhook' was not )"
            R"(found."})");
  // Gone, and the org may create its one webhook again.
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse search,
                       harness_.engine().SearchWebhooks(org_admin_, {}));
  EXPECT_EQ(search.pagination().total_count(), 0);
  EXPECT_OK(harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()).status());
}

TEST_F(WebhookEngineTest, DeleteNeedsIdentifiers) {
  EXPECT_THAT(harness_.engine().DeleteWebhooks(org_admin_, v1::DeleteWebhooksRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "webhook_identifiers must contain at least one identifier."));
}

TEST_F(WebhookEngineTest, AmbiguousNameAcrossOrgsNeedsTheId) {
  CreateIn(org_admin_, "shared");
  CreateIn(other_admin_, "shared");
  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("shared");
  update.set_description("x");
  EXPECT_THAT(harness_.engine().UpdateWebhook(cluster_admin_, update),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "webhook name 'shared' is used in 2 orgs; use the id"));
  // Each org's own admin sees only its own.
  EXPECT_OK(harness_.engine().UpdateWebhook(org_admin_, update));
  // A search by that name lists both for the cluster administrator.
  v1::SearchWebhooksRequest search;
  search.set_webhook_identifier("shared");
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse response,
                       harness_.engine().SearchWebhooks(cluster_admin_, search));
  EXPECT_EQ(response.pagination().total_count(), 2);
}

class PaginationTest : public WebhookEngineTest {
 protected:
  void SetUp() override {
    WebhookEngineTest::SetUp();
    // Five orgs, one webhook each, created a second apart; names out of creation order.
    std::vector<v1::Org> orgs;
    for (int i = 0; i < 5; ++i)
      orgs.push_back(MakeOrg(absl::StrCat(100 + i), absl::StrCat("org", i)));
    harness_.SetOrgs(orgs);
    ASSERT_OK(harness_.StartEngine());  // admin_ is its Admin().
    const char* names[] = {"delta", "Alpha", "echo", "bravo", "charlie"};
    for (int i = 0; i < 5; ++i) CreateIn(MakePrincipal(orgs[i], {v1::ADMINISTRATION}), names[i]);
  }

  v1::SearchWebhooksResponse Search(const std::string& json) {
    v1::SearchWebhooksRequest request;
    EXPECT_OK(FromJson(json, &request));
    absl::StatusOr<v1::SearchWebhooksResponse> response =
        harness_.engine().SearchWebhooks(admin_, request);
    EXPECT_OK(response.status());
    return response.value_or(v1::SearchWebhooksResponse());
  }

  std::string PaginationJson(const v1::SearchWebhooksResponse& response) {
    return ToJson(response.pagination());
  }

  const Principal admin_ = MakePrincipal(MakeOrg("100", "org0"), {v1::ADMINISTRATION},
                                         /*across_orgs=*/true);
};

TEST_F(PaginationTest, DefaultsToNewestFirst) {
  const auto response = Search("{}");
  EXPECT_THAT(Names(response), ElementsAre("charlie", "bravo", "echo", "Alpha", "delta"));
  EXPECT_EQ(PaginationJson(response),
            R"({"record_offset":0,"record_size":50,"total_count":5,"has_more":false})");
}

TEST_F(PaginationTest, SortsByEachFieldAndOrder) {
  EXPECT_THAT(Names(Search(R"({"sort_options":{"field_name":"CREATED","order":"ASC"}})")),
              ElementsAre("delta", "Alpha", "echo", "bravo", "charlie"));
  EXPECT_THAT(Names(Search(R"({"sort_options":{"field_name":"NAME","order":"ASC"}})")),
              ElementsAre("Alpha", "bravo", "charlie", "delta", "echo"));
  EXPECT_THAT(Names(Search(R"({"sort_options":{"field_name":"NAME"}})")),
              ElementsAre("echo", "delta", "charlie", "bravo", "Alpha"));
  // Modifying "Alpha" moves it to the front of MODIFIED DESC.
  harness_.clock().Advance(absl::Seconds(30));
  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("Alpha");
  update.set_description("touched");
  ASSERT_OK(harness_.engine().UpdateWebhook(admin_, update));
  EXPECT_THAT(Names(Search(R"({"sort_options":{"field_name":"MODIFIED"}})")),
              ElementsAre("Alpha", "charlie", "bravo", "echo", "delta"));
}

TEST_F(PaginationTest, TiesAreBrokenById) {
  // Two more webhooks created in the same millisecond sort by id.
  harness_.SetOrgs({MakeOrg("1", "a"), MakeOrg("2", "b")});
  ASSERT_OK(harness_.StartEngine());
  v1::CreateWebhookRequest request = SeedCreateRequest();
  request.set_name("same");
  ASSERT_OK_AND_ASSIGN(
      v1::Webhook first,
      harness_.engine().CreateWebhook(MakePrincipal(MakeOrg("1", "a"), {v1::DEVELOPER}), request));
  ASSERT_OK_AND_ASSIGN(
      v1::Webhook second,
      harness_.engine().CreateWebhook(MakePrincipal(MakeOrg("2", "b"), {v1::DEVELOPER}), request));
  ASSERT_LT(first.id(), second.id());
  const auto asc = Search(R"({"sort_options":{"order":"ASC"}})");
  ASSERT_EQ(asc.webhooks_size(), 2);
  EXPECT_EQ(asc.webhooks(0).id(), first.id());
  const auto desc = Search(R"({"sort_options":{"field_name":"NAME","order":"DESC"}})");
  EXPECT_EQ(desc.webhooks(0).id(), second.id());
}

TEST_F(PaginationTest, PagesAtTheEdges) {
  auto page = Search(R"({"record_offset":0,"record_size":2})");
  EXPECT_THAT(Names(page), ElementsAre("charlie", "bravo"));
  EXPECT_EQ(PaginationJson(page),
            R"({"record_offset":0,"record_size":2,"total_count":5,"has_more":true})");
  page = Search(R"({"record_offset":4,"record_size":2})");
  EXPECT_THAT(Names(page), ElementsAre("delta"));
  EXPECT_EQ(PaginationJson(page),
            R"({"record_offset":4,"record_size":2,"total_count":5,"has_more":false})");
  // Exactly the last full page: no more.
  page = Search(R"({"record_offset":3,"record_size":2})");
  EXPECT_THAT(Names(page), ElementsAre("Alpha", "delta"));
  EXPECT_FALSE(page.pagination().has_more());
  page = Search(R"({"record_offset":0,"record_size":5})");
  EXPECT_EQ(page.webhooks_size(), 5);
  EXPECT_FALSE(page.pagination().has_more());
  // Past the end: an empty page that still counts everything.
  page = Search(R"({"record_offset":9,"record_size":2})");
  EXPECT_EQ(page.webhooks_size(), 0);
  EXPECT_EQ(PaginationJson(page),
            R"({"record_offset":9,"record_size":2,"total_count":5,"has_more":false})");
}

TEST_F(PaginationTest, RecordSizeAboveTheMaximumIsCoerced) {
  EngineLimits limits;
  limits.max_record_size = 3;
  harness_.options().limits = limits;
  ASSERT_OK(harness_.StartEngine());
  v1::SearchWebhooksRequest request;
  request.set_record_size(1000);
  ASSERT_OK_AND_ASSIGN(v1::SearchWebhooksResponse response,
                       harness_.engine().SearchWebhooks(admin_, request));
  EXPECT_EQ(response.pagination().record_size(), 3);
}

TEST_F(PaginationTest, RejectsBadPaging) {
  v1::SearchWebhooksRequest request;
  request.set_record_size(0);
  EXPECT_THAT(
      harness_.engine().SearchWebhooks(admin_, request),
      StatusIs(absl::StatusCode::kInvalidArgument, "record_size must be a positive integer."));
  request.set_record_size(-1);
  EXPECT_THAT(
      harness_.engine().SearchWebhooks(admin_, request),
      StatusIs(absl::StatusCode::kInvalidArgument, "record_size must be a positive integer."));
  request.clear_record_size();
  request.set_record_offset(-1);
  EXPECT_THAT(harness_.engine().SearchWebhooks(admin_, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "record_offset must be a non-negative integer."));
  v1::SearchWebhooksRequest sort;
  sort.mutable_sort_options()->set_field_name(v1::SORT_FIELD_UNSPECIFIED);
  EXPECT_THAT(harness_.engine().SearchWebhooks(admin_, sort),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "sort_options.field_name must be CREATED, MODIFIED or NAME"));
}

TEST_F(PaginationTest, FiltersByStatusAndEvent) {
  v1::UpdateWebhookRequest disable;
  disable.set_webhook_identifier("echo");
  disable.set_status(v1::DISABLED);
  ASSERT_OK(harness_.engine().UpdateWebhook(admin_, disable));
  auto page = Search(R"({"status":"DISABLED"})");
  EXPECT_THAT(Names(page), ElementsAre("echo"));
  EXPECT_EQ(page.pagination().total_count(), 1);
  page = Search(R"({"status":"ENABLED","record_size":2,"record_offset":1})");
  EXPECT_THAT(Names(page), ElementsAre("bravo", "Alpha"));
  EXPECT_EQ(PaginationJson(page),
            R"({"record_offset":1,"record_size":2,"total_count":4,"has_more":true})");
  page = Search(R"({"event_type":"LIVEBOARD_SCHEDULE"})");
  EXPECT_EQ(page.pagination().total_count(), 5);
}

class PreferencesTest : public WebhookEngineTest {};

TEST_F(PreferencesTest, SearchAllListsClusterAndEveryOrg) {
  v1::ConfigureChannelPreferencesRequest configure;
  ASSERT_OK(FromJson(R"({"org_preferences":[{"org_identifier":"testOrg1","operation":"REPLACE",
      "preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK","EMAIL","EMAIL"]}]}]})",
                     &configure));
  ASSERT_OK(harness_.engine().ConfigureChannelPreferences(cluster_admin_, configure));
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelPreferencesResponse response,
                       harness_.engine().SearchChannelPreferences(cluster_admin_, {}));
  EXPECT_EQ(ToJson(response),
            R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE",)"
            R"("channels":["WEBHOOK"]}],"org_preferences":[)"
            R"({"org":{"id":"0","name":"Primary"},"preferences":[]},)"
            R"({"org":{"id":"1574427524","name":"testOrg2025"},"preferences":[]},)"
            R"({"org":{"id":"2100019165","name":"testOrg1"},"preferences":[)"
            R"({"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL","WEBHOOK"]}]}]})");

  // A developer of one org sees only that org, and no cluster preferences.
  ASSERT_OK_AND_ASSIGN(response, harness_.engine().SearchChannelPreferences(
                                     MakePrincipal(test_org_, {v1::DEVELOPER}), {}));
  EXPECT_EQ(ToJson(response),
            R"({"cluster_preferences":[],"org_preferences":[)"
            R"({"org":{"id":"2100019165","name":"testOrg1"},"preferences":[)"
            R"({"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL","WEBHOOK"]}]}]})");
}

TEST_F(PreferencesTest, SearchNarrowsToTheRequest) {
  v1::SearchChannelPreferencesRequest request;
  ASSERT_OK(FromJson(R"({"org_preferences":[{"org_identifier":"testOrg2025"}]})", &request));
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelPreferencesResponse response,
                       harness_.engine().SearchChannelPreferences(cluster_admin_, request));
  EXPECT_EQ(ToJson(response),
            R"({"cluster_preferences":[],"org_preferences":[)"
            R"({"org":{"id":"1574427524","name":"testOrg2025"},"preferences":[]}]})");
  request.Clear();
  request.add_cluster_preferences(v1::LIVEBOARD_SCHEDULE);
  ASSERT_OK_AND_ASSIGN(response,
                       harness_.engine().SearchChannelPreferences(cluster_admin_, request));
  EXPECT_EQ(ToJson(response), R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE",)"
                              R"("channels":["WEBHOOK"]}],"org_preferences":[]})");
}

TEST_F(PreferencesTest, ClusterLevelNeedsAClusterAdministrator) {
  const Principal developer = MakePrincipal(test_org_, {v1::DEVELOPER});
  v1::ConfigureChannelPreferencesRequest configure;
  configure.add_cluster_preferences()->set_event_type(v1::LIVEBOARD_SCHEDULE);
  EXPECT_THAT(harness_.engine().ConfigureChannelPreferences(developer, configure),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Cluster administrator (ADMINISTRATION across orgs) required to configure "
                       "cluster-level communication channel preferences."));
  v1::SearchChannelPreferencesRequest search;
  search.add_cluster_preferences(v1::LIVEBOARD_SCHEDULE);
  EXPECT_THAT(harness_.engine().SearchChannelPreferences(developer, search),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Cluster administrator (ADMINISTRATION across orgs) required to retrieve "
                       "cluster-level communication channel preferences."));
  // The administrator of one org cannot change (nor see) what applies to every org.
  const Principal org_admin = MakePrincipal(test_org_, {v1::ADMINISTRATION});
  EXPECT_THAT(harness_.engine().ConfigureChannelPreferences(org_admin, configure),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Cluster administrator (ADMINISTRATION across orgs) required to configure "
                       "cluster-level communication channel preferences."));
  ASSERT_OK_AND_ASSIGN(v1::SearchChannelPreferencesResponse everything,
                       harness_.engine().SearchChannelPreferences(org_admin, {}));
  EXPECT_EQ(everything.cluster_preferences_size(), 0);
  // Org level is fine for a developer in its own org; with RBAC, APPLICATION_ADMINISTRATION too.
  v1::ConfigureChannelPreferencesRequest own;
  ASSERT_OK(FromJson(R"({"org_preferences":[{"org_identifier":"testOrg1",
      "preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":[]}]}]})",
                     &own));
  EXPECT_OK(harness_.engine().ConfigureChannelPreferences(developer, own));
  Principal app_admin = MakePrincipal(test_org_, {v1::APPLICATION_ADMINISTRATION});
  EXPECT_THAT(harness_.engine().ConfigureChannelPreferences(app_admin, own),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("APPLICATION_ADMINISTRATION when RBAC is enabled")));
  app_admin.rbac_enabled = true;
  EXPECT_OK(harness_.engine().ConfigureChannelPreferences(app_admin, own));
}

TEST_F(PreferencesTest, ConfigureIsAllOrNothing) {
  v1::ConfigureChannelPreferencesRequest request;
  ASSERT_OK(FromJson(R"({
      "cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL"]}],
      "org_preferences":[{"org_identifier":"testOrg1","operation":"RESET"}]})",
                     &request));
  EXPECT_THAT(harness_.engine().ConfigureChannelPreferences(cluster_admin_, request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "RESET operation requires reset_events to be specified "
                       "(org_preferences[0])."));
  // The cluster preference in the same request was not applied: WEBHOOK is still on.
  EXPECT_OK(harness_.engine().CreateWebhook(org_admin_, SeedCreateRequest()).status());
}

TEST_F(PreferencesTest, ConfigureValidatesEntries) {
  const auto expect_invalid = [&](const std::string& json, const std::string& message) {
    v1::ConfigureChannelPreferencesRequest request;
    ASSERT_OK(FromJson(json, &request));
    EXPECT_THAT(harness_.engine().ConfigureChannelPreferences(cluster_admin_, request),
                StatusIs(absl::StatusCode::kInvalidArgument, message))
        << json;
  };
  expect_invalid(R"({"org_preferences":[{"org_identifier":"nowhere","operation":"RESET",
                     "reset_events":["LIVEBOARD_SCHEDULE"]}]})",
                 "org_preferences[0].org_identifier 'nowhere' does not match a known org");
  expect_invalid(R"({"org_preferences":[{"org_identifier":"testOrg1"}]})",
                 "org_preferences[0].preferences is required for the REPLACE operation");
  expect_invalid(R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE",
                     "channels":["CHANNEL_UNSPECIFIED"]}]})",
                 "cluster_preferences[0].channels[0] must be EMAIL or WEBHOOK");
  expect_invalid(R"({"cluster_preferences":[{"channels":["EMAIL"]}]})",
                 "cluster_preferences[0].event_type must be LIVEBOARD_SCHEDULE");
  expect_invalid(R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE"},
                     {"event_type":"LIVEBOARD_SCHEDULE"}]})",
                 "cluster_preferences[1].event_type repeats an event type");
  // An org admin cannot configure another org; it is reported like an unknown one.
  v1::ConfigureChannelPreferencesRequest other;
  ASSERT_OK(FromJson(R"({"org_preferences":[{"org_identifier":"testOrg2025",
      "preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["WEBHOOK"]}]}]})",
                     &other));
  EXPECT_THAT(harness_.engine().ConfigureChannelPreferences(org_admin_, other),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "org_preferences[0].org_identifier 'testOrg2025' does not match a known "
                       "org"));
}

}  // namespace
}  // namespace webhooks
