// The REST gateway's JSON: a request body parsed into its message (FromJson) and a webhook
// written as JSON (ToJson), per call.
//
//   bazel run -c opt //bench:json_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "engine/base/json_codec.h"
#include "proto/webhook_service.pb.h"

namespace webhooks {
namespace {

// What `bench/rest_search.lua` and most scripts send to /webhooks/search.
void BM_FromJsonEmptySearch(benchmark::State& state) {
  v1::SearchWebhooksRequest request;
  for (auto _ : state) {
    if (!FromJson("{}", &request).ok()) state.SkipWithError("not parsed");
  }
}
BENCHMARK(BM_FromJsonEmptySearch);

// A create request with most of its fields, nested messages and a map included.
void BM_FromJsonCreate(benchmark::State& state) {
  const std::string body = R"({
    "name": "liveboard-webhook", "description": "Sends schedules to the receiver",
    "url": "https://receiver.example.com/hooks/thoughtspot",
    "url_params": {"team": "analytics", "env": "prod"},
    "events": ["LIVEBOARD_SCHEDULE"],
    "authentication": {"BEARER_TOKEN": "token-value"},
    "signature_verification": {"type": "HMAC_SHA256", "header": "X-Signature",
                               "algorithm": "SHA256", "secret": "signing-secret"}
  })";
  v1::CreateWebhookRequest request;
  for (auto _ : state) {
    if (!FromJson(body, &request).ok()) state.SkipWithError("not parsed");
  }
}
BENCHMARK(BM_FromJsonCreate);

}  // namespace
}  // namespace webhooks
