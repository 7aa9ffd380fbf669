// Property test of webhookd's REST gateway (issue #7): a seeded generator (std::mt19937_64)
// drives random sequences of calls through the in-process gateway of a TestEnvironment: create,
// search, update and delete webhooks, configure and search channel preferences, validate,
// search the delivery history, requests the gateway must refuse (unknown path, wrong method,
// wrong Content-Type), PublishEvent over gRPC (it has no REST path), and deliveries through a
// fake transport on the fake clock. Each seed makes its own orgs and users: random privileges
// among ADMINISTRATION, DEVELOPER, CAN_MANAGE_WEBHOOKS, APPLICATION_ADMINISTRATION or none,
// memberships of several orgs, one token per membership, RBAC on for odd seeds. Every secret
// (the callers' tokens except kAdminToken, webhook credentials, signing secrets, the OAuth2
// access tokens the fake receiver hands out) is a fresh marker "SeKr3t<12 hex digits>t3rKeS".
//
// A model holds each webhook's org, name, status, times and kinds of credentials, the channel
// preferences and the delivery jobs. The status of every call is predicted from it, and after
// every step the invariants hold: isolation of orgs, no secret in any answer, history record
// or log line, at most one webhook per org, consistent paging in the model's order, and only
// documented statuses with ThoughtSpot's error body (numbered in rest_property/invariants.h).
// The parts, in grpc_service/rest_property/:
//   model.h        what the API should hold and answer;
//   generators.h   the seeded random source, the principals and the requests' random values;
//   requests.h     one random request per operation;
//   checks.h       the checks of single answers, and failure reports;
//   invariants.h   the invariants, and the checks that take more than one call;
//   property_run.h one seed's sequence: steps, operations and the fake receiver;
//   json.h, stderr_capture.h  JSON writing and reading; the server's log, captured.
//
// A failure names the seed, the step, the operation, the request and the response; a sequence
// stops at its first failure. Steps are deterministic per seed, so the failure comes back with
// that seed alone, given at least that many steps:
//   bazel test //grpc_service:rest_property_test --test_filter='*Seed3'
// (add --test_env=REST_PROPERTY_STEPS=<N> for a step past the default). REST_PROPERTY_STEPS
// (steps per seed, default 600) and REST_PROPERTY_SEEDS (run seeds 1..N, default 5) make longer
// runs. Each seed runs twice: against one server in memory, and against two replicas on one
// PostgreSQL database that take the calls in turn. At the end the test prints "rest_property_test:
// N steps, M seeds" to stdout, with the calls made and the operations that succeeded.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc_service/rest_property/property_run.h"
#include "gtest/gtest.h"
#include "testing/postgres_cluster.h"

namespace webhooks {
namespace rest_property {
namespace {

// --- Run length and totals ------------------------------------------------------------------

int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int value = 0;
  return text != nullptr && absl::SimpleAtoi(text, &value) && value > 0 ? value : fallback;
}

int StepsPerSeed() { return EnvInt("REST_PROPERTY_STEPS", 600); }

std::vector<uint64_t> Seeds() {
  std::vector<uint64_t> seeds;
  for (int i = 1; i <= EnvInt("REST_PROPERTY_SEEDS", 5); ++i) seeds.push_back(i);
  return seeds;
}

struct Totals {
  int64_t steps = 0;
  int64_t seeds = 0;
  int64_t calls = 0;
  absl::Duration time;
  std::map<std::string, int64_t> succeeded;  // By operation.
};

Totals& AllTotals() {
  static Totals* const totals = new Totals;
  return *totals;
}

class PrintTotals : public ::testing::Environment {
 public:
  void TearDown() override {
    const Totals& totals = AllTotals();
    std::vector<std::string> succeeded;
    for (const auto& [op, count] : totals.succeeded) {
      succeeded.push_back(absl::StrCat(op, " ", count));
    }
    std::printf("rest_property_test: %lld steps, %lld seeds (%lld calls in %s; succeeded: %s)\n",
                static_cast<long long>(totals.steps), static_cast<long long>(totals.seeds),
                static_cast<long long>(totals.calls), absl::FormatDuration(totals.time).c_str(),
                absl::StrJoin(succeeded, ", ").c_str());
    std::fflush(stdout);
  }
};

::testing::Environment* const kPrintTotals = ::testing::AddGlobalTestEnvironment(new PrintTotals);

// --- The test -------------------------------------------------------------------------------

class RestPropertyTest : public ::testing::TestWithParam<uint64_t> {};

// Runs one seed (on replicas sharing `postgres_conninfo`, if given) and adds it to the totals.
void Record(uint64_t seed, const std::string& postgres_conninfo = "") {
  const absl::Time start = absl::Now();
  PropertyRun run(seed, postgres_conninfo);
  const int steps = run.Run(StepsPerSeed());
  Totals& totals = AllTotals();
  totals.steps += steps;
  totals.seeds += 1;
  totals.calls += run.calls();
  totals.time += absl::Now() - start;
  for (const auto& [op, count] : run.succeeded()) totals.succeeded[op] += count;
}

TEST_P(RestPropertyTest, RandomCallSequencesKeepTheInvariants) { Record(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Seeds, RestPropertyTest, ::testing::ValuesIn(Seeds()),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return absl::StrCat("Seed", info.param);
                         });

// The same sequences against two replicas on one PostgreSQL database (a throwaway cluster),
// which take the calls in turn: they must answer as one server does.
class ReplicatedRestPropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ReplicatedRestPropertyTest, TwoReplicasAnswerAsOneServer) {
  absl::StatusOr<testing::PostgresCluster*> cluster = testing::PostgresCluster::Shared();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  absl::StatusOr<std::string> database = (*cluster)->CreateDatabase();
  ASSERT_TRUE(database.ok()) << database.status();
  Record(GetParam(), *database);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicatedRestPropertyTest, ::testing::ValuesIn(Seeds()),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return absl::StrCat("Seed", info.param);
                         });

}  // namespace
}  // namespace rest_property
}  // namespace webhooks
