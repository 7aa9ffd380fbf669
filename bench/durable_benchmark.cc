// Durable create throughput: webhooks created through the engine on a JournalStore, and on
// PostgreSQL with one replica and with two (engines sharing one database, the writers taking
// them in turn), each with 1 and with 64 concurrent writers. Group commit lets concurrent
// writers share one journal fdatasync; on PostgreSQL every create is its own conditional
// append (one transaction each), re-planned when the other replica appended first.
//
//   bazel run -c opt //bench:durable_benchmark -- --benchmark_min_time=2
//
// The journal lives in $WEBHOOKS_BENCH_DIR (default /var/tmp/webhooks-durable-bench), which
// must be on a real disk: tmpfs makes fdatasync free and the comparison meaningless. PostgreSQL
// is a throwaway cluster of Debian's postgresql-15 (testing/postgres_cluster.h), with fsync on.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/persistence/journal_store.h"
#include "engine/persistence/postgres/postgres_state_store.h"
#include "engine/webhook_engine.h"
#include "testing/postgres_cluster.h"

namespace webhooks {
namespace {

constexpr int kOrgs = 400000;

enum class Store { kJournal, kPostgres, kPostgresTwoReplicas };

// Engines on a fresh store (one, or two replicas on one database), shared by the benchmark's
// threads.
struct DurableEngines {
  explicit DurableEngines(Store kind) {
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
    if (kind == Store::kJournal) {
      JournalOptions journal;
      journal.directory = directory;
      stores.push_back(*JournalStore::Open(journal));
    } else {
      cluster = *testing::PostgresCluster::Start(/*durable=*/true);
      engine_internal::PgConnectionOptions connection;
      connection.conninfo = *cluster->CreateDatabase();
      for (int i = 0; i < (kind == Store::kPostgres ? 1 : 2); ++i) {
        stores.push_back(*PostgresStateStore::Open(connection));
      }
    }
    for (const auto& store : stores) {
      EngineOptions options;
      options.orgs = orgs.get();
      options.state_store = store.get();
      engines.push_back(*WebhookEngine::Create(options));
    }
    admin.privileges = {v1::ADMINISTRATION};
    admin.can_act_across_orgs = true;  // Cluster preferences need a cluster administrator.
    admin.org = list[0];
    v1::ConfigureChannelPreferencesRequest preferences;
    preferences.add_cluster_preferences()->set_event_type(v1::LIVEBOARD_SCHEDULE);
    preferences.mutable_cluster_preferences(0)->add_channels(v1::WEBHOOK);
    const absl::Status configured = engines[0]->ConfigureChannelPreferences(admin, preferences);
    if (!configured.ok()) {
      std::fprintf(stderr, "cannot turn the WEBHOOK channel on: %s\n",
                   std::string(configured.message()).c_str());
      std::abort();
    }
  }
  ~DurableEngines() {
    engines.clear();
    stores.clear();
    std::filesystem::remove_all(directory);
  }

  std::string directory;
  std::unique_ptr<testing::PostgresCluster> cluster;
  std::unique_ptr<StaticOrgDirectory> orgs;
  std::vector<std::unique_ptr<StateStore>> stores;
  std::vector<std::unique_ptr<WebhookEngine>> engines;
  Principal admin;
  std::atomic<int> next_org{1};
};

DurableEngines* shared = nullptr;

void BM_DurableCreate(benchmark::State& state, Store kind) {
  if (state.thread_index() == 0) shared = new DurableEngines(kind);
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
    WebhookEngine& engine = *shared->engines[state.thread_index() % shared->engines.size()];
    const absl::StatusOr<v1::Webhook> created = engine.CreateWebhook(owner, request);
    if (!created.ok() && failures++ == 0) {
      std::fprintf(stderr, "create failed: %s\n", created.status().ToString().c_str());
    }
  }
  state.SetItemsProcessed(state.iterations());
  // A create that fails costs nothing durable: a figure with failures would flatter the store.
  if (failures > 0) state.SkipWithError("some creates failed");
  if (state.thread_index() == 0) {
    // The threads meet at the loop's end, so no other thread uses the engine now.
    delete shared;
    shared = nullptr;
  }
}
// Real time: the writers mostly wait for the disk, which CPU time would not show.
BENCHMARK_CAPTURE(BM_DurableCreate, journal, Store::kJournal)
    ->Threads(1)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DurableCreate, postgres, Store::kPostgres)
    ->Threads(1)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DurableCreate, postgres_two_replicas, Store::kPostgresTwoReplicas)
    ->Threads(2)
    ->Threads(64)
    ->UseRealTime();

}  // namespace
}  // namespace webhooks
