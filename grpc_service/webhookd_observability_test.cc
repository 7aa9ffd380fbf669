// What webhookd tells operators, through its real listeners: GET /metrics read by Prometheus'
// own parser, and the log lines of failed calls with the request ids their callers got back.
#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/persistence/journal_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc_service/server_log.h"
#include "grpc_service/test_client.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/failing_state_store.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::As;
using ::webhooks::testing::Client;
using ::webhooks::testing::CurlResult;
using ::webhooks::testing::ErrorJson;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::kUserATestOrg2025Token;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::TestEnvironment;

// The fields of JSON log line `line`, by name; the test fails if it is not one JSON object of
// strings.
std::map<std::string, std::string> LogFields(const std::string& line) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  std::map<std::string, std::string> fields;
  for (const auto& [name, value] : parsed.fields()) {
    EXPECT_EQ(value.kind_case(), google::protobuf::Value::kStringValue) << name;
    fields[name] = value.string_value();
  }
  return fields;
}

TEST(WebhookdServerErrorTest, ServerSideFailuresHideTheirDetailOnBothPaths) {
  // The log lines the failures make, as JSON.
  absl::Mutex mu;
  std::vector<std::string> lines;
  SetLogFormat(LogFormat::kJson);
  SetLogSinkForTesting([&](absl::string_view line) {
    absl::MutexLock lock(&mu);
    lines.emplace_back(line);
  });
  testing::FailingStateStore store;
  TestEnvironment env(TestEnvironment::kListen, {}, &store);
  store.Break();
  Client client(env.server().http_port());
  const CurlResult rest = client.Send(
      "POST", "/api/rest/2.0/webhooks/create",
      R"({"name":"a","url":"https://example.com/hook","events":["LIVEBOARD_SCHEDULE"]})",
      kUserATestOrg1Token, "application/json", {"X-Request-Id: rest-call-1"});
  EXPECT_EQ(rest.status, 500);
  EXPECT_EQ(NormalizeUuids(rest.body), ErrorJson(10038, "Unexpected server error."));
  EXPECT_EQ(rest.request_id, "rest-call-1");

  auto stub = v1::WebhookService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", env.server().grpc_port()), grpc::InsecureChannelCredentials()));
  v1::CreateWebhookRequest request;
  request.set_name("b");
  request.set_url("https://example.com/hook");
  request.add_events(v1::LIVEBOARD_SCHEDULE);
  v1::Webhook created;
  std::unique_ptr<grpc::ClientContext> context = As(kUserATestOrg2025Token);
  context->AddMetadata("x-request-id", "not usable");  // A space: a new id is made.
  const grpc::Status status = stub->CreateWebhook(context.get(), request, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "Unexpected server error.");
  const auto returned = context->GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(returned, context->GetServerInitialMetadata().end());
  const std::string grpc_id(returned->second.data(), returned->second.size());
  EXPECT_THAT(grpc_id, ::testing::MatchesRegex("[0-9a-f]{32}"));

  SetLogSinkForTesting(nullptr);
  SetLogFormat(LogFormat::kText);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(lines.size(), 2u);
  // The detail the callers never see, under the id each was answered with; no token.
  std::map<std::string, std::string> fields = LogFields(lines[0]);
  EXPECT_THAT(
      fields["time"],
      ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
  fields.erase("time");
  EXPECT_THAT(fields,
              ::testing::ElementsAre(
                  ::testing::Pair("level", "error"),
                  ::testing::Pair("message", HasSubstr("CreateWebhook failed: UNAVAILABLE")),
                  ::testing::Pair("method", "CreateWebhook"), ::testing::Pair("org", "2100019165"),
                  ::testing::Pair("request_id", "rest-call-1")));
  EXPECT_THAT(lines[0], ::testing::StartsWith("{\"time\":"));
  EXPECT_THAT(lines[0],
              ::testing::EndsWith("\"request_id\":\"rest-call-1\",\"method\":\"CreateWebhook\","
                                  "\"org\":\"2100019165\"}"));
  fields = LogFields(lines[1]);
  EXPECT_EQ(fields["request_id"], grpc_id);
  EXPECT_EQ(fields["org"], "1574427524");
  for (const std::string& line : lines) {
    for (const absl::string_view token : {kUserATestOrg1Token, kUserATestOrg2025Token}) {
      EXPECT_THAT(line, Not(HasSubstr(token)));
    }
  }
}

// What Prometheus' own parser (metrics_check.py) reads in exposition `body`: a line per family
// with its name, type and number of samples; fails the test if the parser refuses it.
std::string ParsedMetrics(const std::string& body) {
  const std::string file = absl::StrCat(std::getenv("TEST_TMPDIR"), "/metrics.txt");
  std::ofstream(file) << body;
  FILE* parser = popen(
      absl::StrCat("/usr/bin/python3 grpc_service/metrics_check.py ", file, " 2>&1").c_str(), "r");
  EXPECT_NE(parser, nullptr);
  if (parser == nullptr) return "";
  std::string parsed;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), parser) != nullptr) parsed += buffer;
  EXPECT_EQ(pclose(parser), 0) << parsed;
  return parsed;
}

// GET /metrics: what the calls above count, in a form Prometheus' own parser reads.
TEST(WebhookdMetricsTest, MetricsCountCallsAndResponses) {
  TestEnvironment env(TestEnvironment::kListen);
  Client client(env.server().http_port());
  auto stub = v1::WebhookService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", env.server().grpc_port()), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(client.Post("/api/rest/2.0/webhooks/search", "{}", kAdminToken).status, 200);
  EXPECT_EQ(client.Post("/api/rest/2.0/webhooks/search", "{", kAdminToken).status, 400);
  grpc::ClientContext context;  // No token.
  v1::SearchWebhooksResponse found;
  EXPECT_EQ(stub->SearchWebhooks(&context, v1::SearchWebhooksRequest(), &found).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const CurlResult scraped = client.Send("GET", "/metrics", "", "");
  EXPECT_EQ(scraped.status, 200);
  EXPECT_EQ(scraped.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {
           "webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
           "method=\"SearchWebhooks\",code=\"OK\"} 1\n",
           "webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
           "method=\"SearchWebhooks\",code=\"UNAUTHENTICATED\"} 1\n",
           "webhookd_grpc_request_duration_seconds_count{service=\"webhooks.v1.WebhookService\","
           "method=\"SearchWebhooks\"} 2\n",
           "webhookd_http_responses_total{code=\"200\"} 1\n",
           "webhookd_http_responses_total{code=\"400\"} 1\n",
       }) {
    EXPECT_THAT(scraped.body, HasSubstr(line));
  }
  EXPECT_THAT(scraped.body, Not(HasSubstr(kAdminToken)));

  // The request that malformed JSON made is refused by the gateway before any call; the
  // scrape itself is not counted. Prometheus' parser reads every family. The server has no
  // state store (in memory): no store families.
  EXPECT_EQ(ParsedMetrics(scraped.body),
            "webhookd_grpc_requests counter 2\n"
            "webhookd_grpc_request_duration_seconds histogram 17\n"
            "webhookd_http_responses counter 2\n"
            "webhookd_deliveries_pending gauge 1\n"
            "webhookd_delivery_attempts_in_flight gauge 1\n"
            "webhookd_delivery_attempts counter 3\n"
            "webhookd_delivery_oldest_pending_age_seconds gauge 1\n"
            "webhookd_delivery_attempt_duration_seconds histogram 15\n"
            "webhookd_delivery_deferrals counter 2\n"
            "webhookd_webhooks_disabled counter 1\n"
            "webhookd_storage_uploads counter 4\n"
            "webhookd_oauth2_token_fetches counter 2\n");
}

// A server on a journal: its syncs, and the snapshot the engine writes when it starts on a
// store that holds state, are counted.
TEST(WebhookdStoreMetricsTest, MetricsIncludeTheStateStore) {
  JournalOptions journal;
  journal.directory = absl::StrCat(std::getenv("TEST_TMPDIR"), "/store-metrics");
  const auto scrape = [&journal] {
    absl::StatusOr<std::unique_ptr<JournalStore>> store = JournalStore::Open(journal);
    EXPECT_OK(store.status());
    if (!store.ok()) return std::string();
    WebhookServerOptions options;
    options.state_store = store->get();
    TestEnvironment env(TestEnvironment::kListen, options, store->get());
    const CurlResult scraped = Client(env.server().http_port()).Send("GET", "/metrics", "", "");
    EXPECT_EQ(scraped.status, 200);
    return scraped.body;
  };
  // An empty store: the channel preferences the environment configures are one sync.
  const std::string first = scrape();
  EXPECT_THAT(first, HasSubstr("\nwebhookd_store_sync_duration_seconds_count 1\n"));
  EXPECT_THAT(first, HasSubstr("\nwebhookd_store_snapshots_total 0\n"));
  EXPECT_THAT(first, HasSubstr("\nwebhookd_store_snapshot_bytes 0\n"));
  // Started again on what that left: the start-up snapshot.
  const std::string second = scrape();
  EXPECT_THAT(second, HasSubstr("\nwebhookd_store_snapshots_total 1\n"));
  EXPECT_THAT(second, Not(HasSubstr("\nwebhookd_store_snapshot_bytes 0\n")));
  EXPECT_THAT(ParsedMetrics(second), HasSubstr("webhookd_oauth2_token_fetches counter 2\n"
                                               "webhookd_store_sync_duration_seconds histogram 15\n"
                                               "webhookd_store_snapshots counter 1\n"
                                               "webhookd_store_snapshot_bytes gauge 1\n"));
}

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ::testing::InitGoogleMock(&argc, argv);
  const int result = RUN_ALL_TESTS();
  curl_global_cleanup();
  return result;
}
