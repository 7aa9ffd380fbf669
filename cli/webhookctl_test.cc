// webhookctl end to end: each command line through RunWebhookctl against a complete webhookd
// stack in this process (TestEnvironment), asserting the exact output and exit code.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/webhookctl_lib.h"
#include "engine/base/json_codec.h"
#include "gmock/gmock.h"
#include "grpc_service/test_environment.h"
#include "gtest/gtest.h"
#include "testing/fake_transport.h"

namespace webhooks {
namespace cli {
namespace {

using ::testing::HasSubstr;
using testing::kAdminToken;
using ::testing::Not;
using ::testing::StartsWith;
using testing::TestEnvironment;

struct Result {
  int code;
  std::string out;
  std::string err;
};

// Runs webhookctl against a complete webhookd stack in this process (TestEnvironment: fake
// clock, sequential ids, the admin of org Primary).
class WebhookctlTest : public ::testing::Test {
 protected:
  Result Run(std::vector<std::string> args, std::string token = std::string(kAdminToken),
             std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "webhookctl");
    if (!token.empty()) env["WEBHOOKD_TOKEN"] = token;
    std::ostringstream out, err;
    const int code = RunWebhookctl(args, env, Factory(), out, err);
    return {code, out.str(), err.str()};
  }

  ChannelFactory Factory() {
    return [this](const ConnectionOptions& options)
               -> absl::StatusOr<std::shared_ptr<grpc::ChannelInterface>> {
      targets_.push_back(options.target);
      return env_.server().InProcessChannel();
    };
  }

  // Answers every delivery and validation request 200.
  testing::FakeTransport transport_{[](const HttpRequest&) {
    HttpResponse ok;
    ok.status = 200;
    return absl::StatusOr<HttpResponse>(ok);
  }};
  TestEnvironment env_{TestEnvironment::kInProcess, {}, nullptr, &transport_};
  std::vector<std::string> targets_;
};

TEST_F(WebhookctlTest, CreateSearchUpdateDelete) {
  Result created =
      Run({"create", "--name=hook-a", "--url", "https://example.com/a", "--description=first"});
  EXPECT_EQ(created.code, kExitOk) << created.err;
  EXPECT_EQ(created.out, "created webhook hook-a (id 00000000-0000-4000-8000-000000000001)\n");
  EXPECT_EQ(created.err, "");

  Result found = Run({"search", "--json", "--webhook=hook-a"});
  EXPECT_EQ(found.code, kExitOk) << found.err;
  EXPECT_EQ(
      found.out,
      R"({"webhooks":[{"id":"00000000-0000-4000-8000-000000000001","name":"hook-a","description":"first",)"
      R"("org":{"id":"0","name":"Primary"},"url":"https://example.com/a","url_params":null,)"
      R"("events":["LIVEBOARD_SCHEDULE"],"authentication":null,"signature_verification":null,)"
      R"("additional_headers":null,"creation_time_in_millis":1773824614455,)"
      R"("modification_time_in_millis":1773824614455,)"
      R"("created_by":{"id":"u-admin","name":"admin@example.com"},"last_modified_by":null,)"
      R"("storage_destination":null,"status":null}],)"
      R"("pagination":{"record_offset":0,"record_size":50,"total_count":1,"has_more":false}})"
      "\n");

  Result updated = Run({"update", "hook-a", "--name=hook-b", "--url=https://example.com/b"});
  EXPECT_EQ(updated.code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out, "updated webhook hook-a\n");

  Result table = Run({"search"});
  EXPECT_EQ(table.code, kExitOk) << table.err;
  EXPECT_EQ(
      table.out,
      "ID                                    NAME    ORG      STATUS  EVENTS              URL\n"
      "00000000-0000-4000-8000-000000000001  hook-b  Primary  -       LIVEBOARD_SCHEDULE  "
      "https://example.com/b\n"
      "1 of 1 webhooks (offset 0)\n");

  Result deleted = Run({"delete", "hook-b", "no-such-hook"});
  EXPECT_EQ(deleted.code, kExitOk) << deleted.err;
  EXPECT_EQ(deleted.out,
            "deleted webhook hook-b (id 00000000-0000-4000-8000-000000000001)\n"
            "not deleted no-such-hook: Webhook with the specified identifier 'no-such-hook' was "
            "not found.\n"
            "1 deleted, 1 failed\n");

  Result empty = Run({"search", "--json"});
  EXPECT_EQ(empty.code, kExitOk) << empty.err;
  EXPECT_EQ(empty.out,
            R"({"webhooks":[],"pagination":{"record_offset":0,"record_size":50,"total_count":0,)"
            R"("has_more":false}})"
            "\n");
}

TEST_F(WebhookctlTest, RequestAsJsonOrFileWithFlagsOnTop) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/create.json";
  std::ofstream(path) << R"({"name": "from-file", "url": "https://example.com/file",
      "events": ["LIVEBOARD_SCHEDULE"], "authentication": {"BEARER_TOKEN": "Bearer s3cr3t"}})";
  Result created = Run({"create", "--request=@" + path, "--description=flag", "--json"});
  EXPECT_EQ(created.code, kExitOk) << created.err;
  EXPECT_EQ(
      created.out,
      R"({"id":"00000000-0000-4000-8000-000000000001","name":"from-file","description":"flag",)"
      R"("org":{"id":"0","name":"Primary"},"url":"https://example.com/file","url_params":null,)"
      R"("events":["LIVEBOARD_SCHEDULE"],"authentication":{"API_KEY":null,"BASIC_AUTH":null,)"
      R"("BEARER_TOKEN":"***","OAUTH2":null},"signature_verification":null,)"
      R"("additional_headers":null,"creation_time_in_millis":1773824614455,)"
      R"("modification_time_in_millis":1773824614455,)"
      R"("created_by":{"id":"u-admin","name":"admin@example.com"},"last_modified_by":null,)"
      R"("storage_destination":null,"status":null})"
      "\n");

  Result updated = Run({"update", "--request", R"({"webhook_identifier": "from-file",
      "status": "DISABLED"})"});
  EXPECT_EQ(updated.code, kExitOk) << updated.err;
  EXPECT_EQ(updated.out, "updated webhook from-file\n");
  EXPECT_EQ(
      Run({"search"}).out,
      "ID                                    NAME       ORG      STATUS    EVENTS              "
      "URL\n"
      "00000000-0000-4000-8000-000000000001  from-file  Primary  DISABLED  LIVEBOARD_SCHEDULE  "
      "https://example.com/file\n"
      "1 of 1 webhooks (offset 0)\n");
}

TEST_F(WebhookctlTest, WithoutTokenFailsUnauthenticated) {
  Result result = Run({"search"}, /*token=*/"");
  EXPECT_EQ(result.code, kExitCallFailed);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "webhookctl: SearchWebhooks failed: UNAUTHENTICATED: Authentication required: missing "
            "bearer token.\n");
}

TEST_F(WebhookctlTest, UnknownTokenFailsAndIsNeverPrinted) {
  const std::string token = "not-a-known-token-4f1c";
  for (bool json : {false, true}) {
    Result result = Run(
        {"create", "--name=x", "--url=https://example.com", json ? "--json" : "--nojson"}, token);
    EXPECT_EQ(result.code, kExitCallFailed);
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err,
              "webhookctl: CreateWebhook failed: UNAUTHENTICATED: Authentication required: "
              "unknown bearer token.\n");
    EXPECT_THAT(result.out + result.err, Not(HasSubstr(token)));
  }
}

TEST_F(WebhookctlTest, ServerErrorsPrintTheCodeAndExitOne) {
  Result result = Run({"update", "missing", "--name=y"});
  EXPECT_EQ(result.code, kExitCallFailed);
  EXPECT_EQ(result.err,
            "webhookctl: UpdateWebhook failed: NOT_FOUND: Webhook with the specified identifier "
            "'missing' was not found.\n");
}

TEST_F(WebhookctlTest, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate"},
      {"search", "--no_such_flag"},
      {"search", "--timeout=soon"},
      {"delete"},
      {"update"},
      {"create", "--event=NOT_AN_EVENT"},
      {"create", "--request={\"nmae\": 1}"},
      {"create", "--request=@/nonexistent/request.json"},
      {"preferences"},
      {"search", "extra"},
      {"search", "--ca_file=/tmp/x.pem"},
      {"delete", "hook", "--name=other"},
  };
  std::vector<std::string> errors;
  for (const auto& args : bad) {
    Result result = Run(args);
    EXPECT_EQ(result.code, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_EQ(result.out, "");
    const std::string first_line = result.err.substr(0, result.err.find('\n'));
    errors.push_back(first_line);
  }
  EXPECT_THAT(
      errors,
      ::testing::ElementsAre(
          "webhookctl: no command", "webhookctl: unknown command \"frobnicate\"",
          "webhookctl: unknown flag --no_such_flag",
          "webhookctl: bad value for --timeout: Illegal value 'soon' specified for flag 'timeout'",
          "webhookctl: delete takes one or more webhook ids or names",
          "webhookctl: update takes one webhook id or name",
          "webhookctl: --event: unknown event type \"NOT_AN_EVENT\" (known: LIVEBOARD_SCHEDULE)",
          "webhookctl: bad --request: invalid JSON body: nmae: Cannot find field.",
          "webhookctl: cannot read --request file /nonexistent/request.json",
          "webhookctl: preferences takes \"search\" or \"configure\"",
          "webhookctl: search takes no arguments", "webhookctl: --ca_file needs --tls",
          "webhookctl: delete does not take --name"));
  EXPECT_EQ(Run({"frobnicate"}).err, "webhookctl: unknown command \"frobnicate\"\n" + Usage());
}

TEST_F(WebhookctlTest, HelpPrintsUsage) {
  Result result = Run({"--help"});
  EXPECT_EQ(result.code, kExitOk);
  EXPECT_EQ(result.out, Usage());
}

TEST_F(WebhookctlTest, TargetFromFlagThenEnvironmentThenDefault) {
  Run({"search"});
  Run({"search"}, std::string(kAdminToken), {{"WEBHOOKD_TARGET", "env-host:1"}});
  Run({"search", "--target=flag-host:2"}, std::string(kAdminToken),
      {{"WEBHOOKD_TARGET", "env-host:1"}});
  Run({"search"});  // Flags do not leak from one run to the next.
  EXPECT_THAT(targets_, ::testing::ElementsAre("127.0.0.1:50051", "env-host:1", "flag-host:2",
                                               "127.0.0.1:50051"));
}

TEST_F(WebhookctlTest, PreferencesHistoryPublishAndStorageConfig) {
  Result preferences = Run({"preferences", "search"});
  EXPECT_EQ(preferences.code, kExitOk) << preferences.err;
  EXPECT_EQ(preferences.out,
            "cluster LIVEBOARD_SCHEDULE: WEBHOOK\n"
            "org Primary (id 0): no override\n"
            "org testOrg2025 (id 1574427524): no override\n"
            "org testOrg1 (id 2100019165): no override\n");

  Result configured = Run({"preferences", "configure", R"(--request={"org_preferences":
      [{"org_identifier": "Primary", "preferences": [{"event_type": "LIVEBOARD_SCHEDULE",
      "channels": ["EMAIL"]}]}]})"});
  EXPECT_EQ(configured.code, kExitOk) << configured.err;
  EXPECT_EQ(configured.out, "configured channel preferences\n");

  Result org = Run({"preferences", "search", "--org=Primary", "--json"});
  EXPECT_EQ(org.code, kExitOk) << org.err;
  EXPECT_EQ(org.out,
            R"({"cluster_preferences":[],"org_preferences":[{"org":{"id":"0","name":"Primary"},)"
            R"("preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL"]}]}]})"
            "\n");

  Result storage = Run({"storage-config"});
  EXPECT_EQ(storage.code, kExitOk) << storage.err;
  EXPECT_THAT(storage.out,
              StartsWith("AWS_S3 AWS_TO_S3_STORAGE aws_account_id=210987654321\n  1. "));
  // --json prints exactly what the service answers, in the REST API's JSON.
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
  v1::GetStorageConfigResponse direct;
  ASSERT_TRUE(v1::WebhookService::NewStub(env_.server().InProcessChannel())
                  ->GetWebhookStorageConfig(&context, {}, &direct)
                  .ok());
  EXPECT_EQ(Run({"storage-config", "--json"}).out, ToJson(direct) + "\n");
}

TEST_F(WebhookctlTest, PublishThenHistory) {
  const std::string run = R"(--request={"run": {"schedule": {"scheduleId": "s-1", "name": "Daily"},
      "liveboard_id": "lb-1", "liveboard_name": "Sales"}})";
  Result nothing = Run({"publish", run});
  EXPECT_EQ(nothing.code, kExitOk) << nothing.err;
  EXPECT_EQ(nothing.out, "NO_WEBHOOK: org 'Primary' has no LIVEBOARD_SCHEDULE webhook\n");

  ASSERT_EQ(Run({"create", "--name=hook", "--url=https://example.com/h"}).code, kExitOk);
  Result queued = Run({"publish", run, "--org=Primary"});
  EXPECT_EQ(queued.code, kExitOk) << queued.err;
  EXPECT_EQ(queued.out, "QUEUED job n.00000000-0000-4000-8000-000000000002\n");

  env_.engine().RunDueDeliveries();
  Result history = Run({"history", "hook"});
  EXPECT_EQ(history.code, kExitOk) << history.err;
  EXPECT_EQ(history.out,
            "JOB                                     STATUS   TRIES  CREATED               EVENT  "
            "DETAIL\n"
            "n.00000000-0000-4000-8000-000000000002  SUCCESS  1      2026-03-18T09:03:34Z  Daily\n"
            "1 job\n");

  Result json = Run({"history", "hook", "--json"});
  EXPECT_EQ(json.code, kExitOk) << json.err;
  EXPECT_EQ(json.out,
            R"({"jobs":[{"id":"n.00000000-0000-4000-8000-000000000002","status":"SUCCESS",)"
            R"("creation_time_in_millis":1773824614455,"event":{"type":"LIVEBOARD_SCHEDULE",)"
            R"("id":"s-1","name":"Daily","run_id":null},"recipients":null,"detail":"",)"
            R"("try_count":1}]})"
            "\n");

  Result validated = Run({"validate", "hook"});
  EXPECT_EQ(validated.code, kExitOk) << validated.err;
  EXPECT_EQ(validated.out,
            "SUCCESS (webhook hook, job n.validation-00000000-0000-4000-8000-000000000004)\n"
            "  HTTP_CONNECTION_CHECK: SUCCESS HTTP 200\n");
}

TEST_F(WebhookctlTest, RedeliverAndReplay) {
  ASSERT_EQ(Run({"create", "--name=hook", "--url=https://example.com/h"}).code, kExitOk);
  transport_.SetResponder([](const HttpRequest&) {
    HttpResponse gone;
    gone.status = 410;
    return absl::StatusOr<HttpResponse>(gone);
  });
  const std::string run = R"(--request={"run": {"schedule": {"scheduleId": "s-1", "name": "Daily"},
      "liveboard_id": "lb-1", "liveboard_name": "Sales"}})";
  ASSERT_EQ(Run({"publish", run, "--org=Primary"}).code, kExitOk);
  env_.engine().RunDueDeliveries();

  Result redelivered = Run({"redeliver", "n.00000000-0000-4000-8000-000000000002"});
  EXPECT_EQ(redelivered.code, kExitOk) << redelivered.err;
  EXPECT_EQ(redelivered.out,
            "JOB                                     STATUS   TRIES  CREATED               EVENT  "
            "DETAIL\n"
            "n.00000000-0000-4000-8000-000000000002  PENDING  1      2026-03-18T09:03:34Z  Daily  "
            "redelivery requested by admin@example.com\n"
            "1 job\n");
  Result pending = Run({"replay", "hook", "--json"});
  EXPECT_EQ(pending.code, kExitOk) << pending.err;
  EXPECT_EQ(pending.out, "{\"jobs\":[]}\n");  // Nothing FAILED until the attempt.

  env_.engine().RunDueDeliveries();  // 410 again.
  Result replayed = Run({"replay", "hook", "--json"});
  EXPECT_EQ(replayed.code, kExitOk) << replayed.err;
  EXPECT_EQ(replayed.out,
            R"({"jobs":[{"id":"n.00000000-0000-4000-8000-000000000002","status":"PENDING",)"
            R"("creation_time_in_millis":1773824614455,"event":{"type":"LIVEBOARD_SCHEDULE",)"
            R"("id":"s-1","name":"Daily","run_id":null},"recipients":null,)"
            R"("detail":"redelivery requested by admin@example.com","try_count":2}]})"
            "\n");

  Result refused = Run({"redeliver", "n.00000000-0000-4000-8000-000000000002"});
  EXPECT_EQ(refused.code, kExitCallFailed);
  EXPECT_EQ(refused.err,
            "webhookctl: RedeliverJob failed: FAILED_PRECONDITION: job "
            "'n.00000000-0000-4000-8000-000000000002' is PENDING; only a FAILED delivery can be "
            "redelivered\n");
  EXPECT_EQ(Run({"redeliver"}).err, "webhookctl: redeliver takes one job id\n");
  EXPECT_EQ(Run({"replay"}).err, "webhookctl: replay takes one webhook id or name\n");
}

// The factory webhookctl's main uses: a real channel to --target.
TEST(WebhookctlChannelTest, CallsTheTargetOverTheNetwork) {
  TestEnvironment env(TestEnvironment::kListen);
  const std::string target = absl::StrCat("127.0.0.1:", env.server().grpc_port());
  std::ostringstream out, err;
  EXPECT_EQ(RunWebhookctl({"webhookctl", "create", "--target", target, "--name=net",
                           "--url=https://example.com/net"},
                          {{"WEBHOOKD_TOKEN", std::string(kAdminToken)}}, NetworkChannelFactory(),
                          out, err),
            kExitOk)
      << err.str();
  EXPECT_EQ(out.str(), "created webhook net (id 00000000-0000-4000-8000-000000000001)\n");
}

}  // namespace
}  // namespace cli
}  // namespace webhooks
