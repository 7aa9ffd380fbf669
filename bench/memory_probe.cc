// Resident memory per stored webhook: creates N webhooks (one per org, each with a bearer
// token and a description, as a typical configuration) in an in-memory engine and prints
// the growth of the resident set divided by N. The org directory is built before the first
// reading, so only the engine's own memory counts. It also prints the serialized size of one
// stored webhook (the bytes of its record; bench/run.sh's baseline for the per-webhook cost).
//
//   bazel run -c opt //bench:memory_probe -- 100000
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/webhook_engine.h"

namespace {

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 100000;
  std::vector<webhooks::v1::Org> list;
  for (int i = 0; i < count; ++i) {
    webhooks::v1::Org org;
    org.set_id(absl::StrCat(1000000000 + i));
    org.set_name(absl::StrCat("org-", i));
    list.push_back(org);
  }
  auto orgs = *webhooks::StaticOrgDirectory::Create(list);
  webhooks::EngineOptions options;
  options.orgs = &orgs;
  auto engine = *webhooks::WebhookEngine::Create(options);
  webhooks::Principal admin;
  admin.user_id = "4e6e5692-667e-487d-9672-f301ccc2ea77";
  admin.user_name = "UserA@example.com";
  admin.privileges = {webhooks::v1::ADMINISTRATION};
  admin.org = list[0];
  admin.can_act_across_orgs = true;  // Cluster-level preferences need a cluster administrator.
  webhooks::v1::ConfigureChannelPreferencesRequest preferences;
  preferences.add_cluster_preferences()->set_event_type(webhooks::v1::LIVEBOARD_SCHEDULE);
  preferences.mutable_cluster_preferences(0)->add_channels(webhooks::v1::WEBHOOK);
  (void)engine->ConfigureChannelPreferences(admin, preferences);

  webhooks::v1::CreateWebhookRequest request;
  request.set_description("Webhook for Liveboard schedule");
  request.set_url("https://webhook.site/6643eba5-9d3e-42a1-85e0-bb686ba1524d");
  request.add_events(webhooks::v1::LIVEBOARD_SCHEDULE);
  request.mutable_authentication()->set_bearer_token("tok-0123456789abcdef0123456789abcdef");
  const int64_t before = ResidentBytes();
  size_t serialized_bytes = 0;
  for (int i = 0; i < count; ++i) {
    admin.org = list[i];
    request.set_name(absl::StrCat("webhook-lb-event-", i));
    auto created = engine->CreateWebhook(admin, request);
    if (!created.ok()) return 1;
    // The answer has its bearer token as "***"; count the stored token's length instead.
    serialized_bytes +=
        created->ByteSizeLong() - 3 + request.authentication().bearer_token().size();
  }
  const int64_t after = ResidentBytes();
  std::printf(
      "webhooks %d\nresident_bytes_before %lld\nresident_bytes_after %lld\n"
      "bytes_per_webhook %.0f\nserialized_bytes_per_webhook %.0f\n",
      count, static_cast<long long>(before), static_cast<long long>(after),
      static_cast<double>(after - before) / count, static_cast<double>(serialized_bytes) / count);
  return 0;
}
