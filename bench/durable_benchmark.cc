// Durable create throughput: webhooks created through the engine on a JournalStore, with 1
// and with 64 concurrent writers. Group commit lets concurrent writers share one fdatasync,
// so 64 writers should create many times more webhooks per second in total than one.
//
//   bazel run -c opt //bench:durable_benchmark -- --benchmark_min_time=2
//
// The journal lives in $WEBHOOKS_BENCH_DIR (default /var/tmp/webhooks-durable-bench), which
// must be on a real disk: tmpfs makes fdatasync free and the comparison meaningless.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/persistence/journal_store.h"
#include "engine/webhook_engine.h"

namespace webhooks {
namespace {

constexpr int kOrgs = 400000;

// One engine on a fresh journal, shared by the benchmark's threads.
struct DurableEngine {
  DurableEngine() {
    const char* dir = std::getenv("WEBHOOKS_BENCH_DIR");
    directory = dir != nullptr ? dir : "/var/tmp/webhooks-durable-bench";
    std::filesystem::remove_all(directory);
    std::vector<v1::Org> list;
    for (int i = 0; i < kOrgs; ++i) {
      v1::Org org;
      org.set_id(absl::StrCat(i));
      org.set_name(absl::StrCat("org", i));
      list.push_back(org);
    }
    orgs = std::make_unique<StaticOrgDirectory>(*StaticOrgDirectory::Create(list));
    JournalOptions journal;
    journal.directory = directory;
    store = *JournalStore::Open(journal);
    EngineOptions options;
    options.orgs = orgs.get();
    options.state_store = store.get();
    engine = *WebhookEngine::Create(options);
    admin.privileges = {v1::ADMINISTRATION};
    admin.org = list[0];
    v1::ConfigureChannelPreferencesRequest preferences;
    preferences.add_cluster_preferences()->set_event_type(v1::LIVEBOARD_SCHEDULE);
    preferences.mutable_cluster_preferences(0)->add_channels(v1::WEBHOOK);
    (void)engine->ConfigureChannelPreferences(admin, preferences);
  }
  ~DurableEngine() {
    engine.reset();
    store.reset();
    std::filesystem::remove_all(directory);
  }

  std::string directory;
  std::unique_ptr<StaticOrgDirectory> orgs;
  std::unique_ptr<JournalStore> store;
  std::unique_ptr<WebhookEngine> engine;
  Principal admin;
  std::atomic<int> next_org{1};
};

DurableEngine* shared = nullptr;

void BM_DurableCreate(benchmark::State& state) {
  if (state.thread_index() == 0) shared = new DurableEngine();
  v1::CreateWebhookRequest request;
  request.set_name("durable");
  request.set_url("https://example.com/hook");
  request.add_events(v1::LIVEBOARD_SCHEDULE);
  int64_t failures = 0;
  for (auto _ : state) {
    const int org = shared->next_org.fetch_add(1);
    if (org >= kOrgs) {
      state.SkipWithError("ran out of orgs; lower --benchmark_min_time");
      break;
    }
    Principal owner = shared->admin;
    owner.org.set_id(absl::StrCat(org));
    owner.org.set_name(absl::StrCat("org", org));
    if (!shared->engine->CreateWebhook(owner, request).ok()) ++failures;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["failures"] = failures;
  if (state.thread_index() == 0) {
    // The threads meet at the loop's end, so no other thread uses the engine now.
    delete shared;
    shared = nullptr;
  }
}
// Real time: the writers mostly wait for the disk, which CPU time would not show.
BENCHMARK(BM_DurableCreate)->Threads(1)->Threads(64)->UseRealTime();

}  // namespace
}  // namespace webhooks
