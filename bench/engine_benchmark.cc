// Engine benchmarks: the cost of a search page as the cluster grows (one webhook per org).
// A page is read off ordered indexes, so the first page should cost about the same at 100 and
// at 100,000 webhooks. Run: bazel run -c opt //bench:engine_benchmark
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/webhook_engine.h"
#include "testing/fake_clock.h"
#include "testing/sequential_ids.h"

namespace webhooks {
namespace {

// An engine holding `count` webhooks, one per org, and a cluster administrator to search it.
struct Cluster {
  explicit Cluster(int count) {
    std::vector<v1::Org> list;
    for (int i = 0; i < count; ++i) {
      v1::Org org;
      org.set_id(absl::StrCat(i));
      org.set_name(absl::StrCat("org", i));
      list.push_back(org);
    }
    orgs = std::make_unique<StaticOrgDirectory>(*StaticOrgDirectory::Create(list));
    EngineOptions options;
    options.orgs = orgs.get();
    options.clock = &clock;
    options.ids = &ids;
    engine = *WebhookEngine::Create(options);
    admin.org = list[0];
    admin.privileges = {v1::ADMINISTRATION};
    admin.can_act_across_orgs = true;
    v1::ConfigureChannelPreferencesRequest preferences;
    preferences.add_cluster_preferences()->set_event_type(v1::LIVEBOARD_SCHEDULE);
    preferences.mutable_cluster_preferences(0)->add_channels(v1::WEBHOOK);
    (void)engine->ConfigureChannelPreferences(admin, preferences);
    v1::CreateWebhookRequest request;
    request.set_url("https://example.com/hook");
    request.add_events(v1::LIVEBOARD_SCHEDULE);
    for (int i = 0; i < count; ++i) {
      Principal owner = admin;
      owner.org = list[i];
      request.set_name(absl::StrCat("webhook-", (i * 7919) % count));
      clock.Advance(absl::Milliseconds(1));
      (void)engine->CreateWebhook(owner, request);
    }
  }

  testing::FakeClock clock;
  testing::SequentialIds ids;
  std::unique_ptr<StaticOrgDirectory> orgs;
  std::unique_ptr<WebhookEngine> engine;
  Principal admin;
};

Cluster& ClusterOf(int count) {
  static auto* clusters = new std::vector<std::pair<int, std::unique_ptr<Cluster>>>();
  for (auto& [size, cluster] : *clusters) {
    if (size == count) return *cluster;
  }
  clusters->emplace_back(count, std::make_unique<Cluster>(count));
  return *clusters->back().second;
}

void BM_SearchFirstPage(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  v1::SearchWebhooksRequest request;
  request.mutable_sort_options()->set_field_name(static_cast<v1::SortField>(state.range(1)));
  for (auto _ : state) {
    auto response = cluster.engine->SearchWebhooks(cluster.admin, request);
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_SearchFirstPage)
    ->ArgsProduct({{100, 10000, 100000}, {v1::CREATED, v1::MODIFIED, v1::NAME}});

void BM_SearchOwnOrg(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  Principal caller = cluster.admin;
  caller.can_act_across_orgs = false;
  for (auto _ : state) {
    auto response = cluster.engine->SearchWebhooks(caller, v1::SearchWebhooksRequest());
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_SearchOwnOrg)->Arg(100)->Arg(100000);

}  // namespace
}  // namespace webhooks
