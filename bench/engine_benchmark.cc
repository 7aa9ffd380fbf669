// Engine benchmarks: create, update, delete and search pages as the cluster grows (one webhook
// per org, 100 / 10,000 / 100,000 webhooks). A page is read off ordered indexes, so a page
// should cost about the same at 100 and at 100,000 webhooks, at the first page and deep in the
// list. bench/run.sh divides each figure at 100,000 (and 10,000) by the same one at 100.
//
//   bazel run -c opt //bench:engine_benchmark -- --benchmark_min_time=0.1
#include <chrono>
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

constexpr int kPageSize = 50;  // SearchWebhooksRequest's default record_size.

// An engine holding `count` webhooks, one per org, a cluster administrator to search it, and
// one spare org without a webhook (where the create benchmark creates and deletes).
struct Cluster {
  explicit Cluster(int count) : count(count) {
    std::vector<v1::Org> list;
    for (int i = 0; i <= count; ++i) {
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
      // Names in an order unrelated to creation, so NAME and CREATED sort differently.
      request.set_name(absl::StrCat("webhook-", (i * 7919) % count));
      clock.Advance(absl::Milliseconds(1));
      (void)engine->CreateWebhook(owner, request);
    }
    spare = admin;
    spare.org = list[count];
    spare.can_act_across_orgs = false;
  }

  int count;
  testing::FakeClock clock;
  testing::SequentialIds ids;
  std::unique_ptr<StaticOrgDirectory> orgs;
  std::unique_ptr<WebhookEngine> engine;
  Principal admin;
  Principal spare;
};

Cluster& ClusterOf(int count) {
  static auto* clusters = new std::vector<std::pair<int, std::unique_ptr<Cluster>>>();
  for (auto& [size, cluster] : *clusters) {
    if (size == count) return *cluster;
  }
  clusters->emplace_back(count, std::make_unique<Cluster>(count));
  return *clusters->back().second;
}

v1::CreateWebhookRequest SpareRequest() {
  v1::CreateWebhookRequest request;
  request.set_name("spare-webhook");
  request.set_description("Webhook for Liveboard schedule");
  request.set_url("https://example.com/spare");
  request.add_events(v1::LIVEBOARD_SCHEDULE);
  return request;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Args: webhooks, sort field, sort order, 0 = first page / 1 = last page (deep offset).
// The caller is the cluster administrator, so every org's webhooks are searched.
void BM_SearchPage(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  v1::SearchWebhooksRequest request;
  request.mutable_sort_options()->set_field_name(static_cast<v1::SortField>(state.range(1)));
  request.mutable_sort_options()->set_order(static_cast<v1::SortOrder>(state.range(2)));
  request.set_record_size(kPageSize);
  if (state.range(3) == 1) request.set_record_offset(cluster.count - kPageSize);
  for (auto _ : state) {
    auto response = cluster.engine->SearchWebhooks(cluster.admin, request);
    benchmark::DoNotOptimize(response);
    if (!response.ok() || response->webhooks_size() != kPageSize) {
      state.SkipWithError("search did not return a full page");
      break;
    }
  }
}
BENCHMARK(BM_SearchPage)
    ->ArgNames({"webhooks", "field", "order", "deep"})
    ->ArgsProduct(
        {{100, 10000, 100000}, {v1::CREATED, v1::MODIFIED, v1::NAME}, {v1::ASC, v1::DESC}, {0, 1}});

// A cross-org administrator naming one org (the admin console's per-org view).
void BM_SearchAdminOneOrg(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  v1::SearchWebhooksRequest request;
  request.set_org_identifier(absl::StrCat("org", cluster.count / 2));
  for (auto _ : state) {
    auto response = cluster.engine->SearchWebhooks(cluster.admin, request);
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_SearchAdminOneOrg)->ArgName("webhooks")->Arg(100)->Arg(10000)->Arg(100000);

// A caller confined to its own org.
void BM_SearchOwnOrg(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  Principal caller = cluster.admin;
  caller.can_act_across_orgs = false;
  for (auto _ : state) {
    auto response = cluster.engine->SearchWebhooks(caller, v1::SearchWebhooksRequest());
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_SearchOwnOrg)->ArgName("webhooks")->Arg(100)->Arg(10000)->Arg(100000);

// Creates the spare org's webhook (timed), then deletes it (untimed).
void BM_Create(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  const v1::CreateWebhookRequest request = SpareRequest();
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers(request.name());
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto created = cluster.engine->CreateWebhook(cluster.spare, request);
    state.SetIterationTime(SecondsSince(start));
    if (!created.ok() || !cluster.engine->DeleteWebhooks(cluster.spare, remove).ok()) {
      state.SkipWithError("create or delete failed");
      break;
    }
  }
}
BENCHMARK(BM_Create)->ArgName("webhooks")->Arg(100)->Arg(10000)->Arg(100000)->UseManualTime();

// Deletes the spare org's webhook by name (timed), after creating it (untimed).
void BM_Delete(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  const v1::CreateWebhookRequest request = SpareRequest();
  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers(request.name());
  for (auto _ : state) {
    if (!cluster.engine->CreateWebhook(cluster.spare, request).ok()) {
      state.SkipWithError("create failed");
      break;
    }
    const auto start = std::chrono::steady_clock::now();
    auto deleted = cluster.engine->DeleteWebhooks(cluster.spare, remove);
    state.SetIterationTime(SecondsSince(start));
    if (!deleted.ok() || deleted->deleted_count() != 1) {
      state.SkipWithError("delete failed");
      break;
    }
  }
}
BENCHMARK(BM_Delete)->ArgName("webhooks")->Arg(100)->Arg(10000)->Arg(100000)->UseManualTime();

// Changes the description of one org's webhook (which moves it in the MODIFIED index).
void BM_Update(benchmark::State& state) {
  Cluster& cluster = ClusterOf(state.range(0));
  Principal owner = cluster.admin;
  owner.can_act_across_orgs = false;
  owner.org.set_id(absl::StrCat(cluster.count / 2));
  owner.org.set_name(absl::StrCat("org", cluster.count / 2));
  v1::UpdateWebhookRequest request;
  request.set_webhook_identifier(
      absl::StrCat("webhook-", (cluster.count / 2 * 7919) % cluster.count));
  int64_t n = 0;
  for (auto _ : state) {
    request.set_description((++n & 1) ? "odd" : "even");
    cluster.clock.Advance(absl::Milliseconds(1));
    const absl::Status updated = cluster.engine->UpdateWebhook(owner, request);
    if (!updated.ok()) {
      state.SkipWithError(std::string(updated.message()).c_str());
      break;
    }
  }
}
BENCHMARK(BM_Update)->ArgName("webhooks")->Arg(100)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace webhooks
