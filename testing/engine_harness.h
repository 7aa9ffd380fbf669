// EngineHarness: what every engine test sets up around a WebhookEngine: a fake clock,
// sequential ids, an org directory, a fake transport and object storage, EngineOptions over
// them with test defaults, the engine itself (started, and restarted as a host would), and
// principals to call it as.
//
//   class SalesTest : public ::testing::Test {
//    protected:
//     void SetUp() override { ASSERT_OK(harness_.StartEngine()); }
//
//     testing::EngineHarness harness_{{MakeOrg("0", "Primary"), MakeOrg("7", "Sales")}};
//   };
//
//   TEST_F(SalesTest, Delivers) {
//     harness_.options().delivery.max_pending_jobs = 1;
//     ASSERT_OK(harness_.StartEngine());  // A new engine with the changed options.
//     ASSERT_OK(harness_.engine().CreateWebhook(harness_.AdminOf("Sales"), create).status());
//     ASSERT_OK(harness_.engine().PublishEvent(harness_.Admin(), event).status());
//     harness_.engine().RunDueDeliveries();
//     EXPECT_EQ(harness_.transport().request_count(), 1u);
//   }
//
// The test defaults: the clock starts at kFakeClockStart and ids are SequentialIds';
// deliveries go to transport() (which, without a responder, keeps each request until the test
// answers it) and files to storage(); deliveries are sent only when the test calls
// RunDueDeliveries() (no dispatcher thread), and retry delays have no jitter; nothing outlives
// the engine unless the test sets options().state_store. StartEngine() turns on the cluster
// WEBHOOK channel, which creating a webhook needs. Principals are all the same user,
// kTestUserId (see MakePrincipal()).
//
// A test may point options() at things of its own (a real transport, a state store); those
// must outlive the engine: declare the harness after them, so that it is destroyed first.
//
// Thread-compatible: the test's thread uses it. The clock, ids, transport and storage are
// thread-safe, as the engine's dispatcher and real transports need.
#ifndef WEBHOOKS_TESTING_ENGINE_HARNESS_H_
#define WEBHOOKS_TESTING_ENGINE_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/org_directory.h"
#include "engine/persistence/journal_store.h"
#include "engine/principal.h"
#include "engine/webhook_engine.h"
#include "proto/delivery.pb.h"
#include "proto/webhook.pb.h"
#include "testing/engine_fixtures.h"
#include "testing/fake_clock.h"
#include "testing/fake_object_storage.h"
#include "testing/fake_transport.h"
#include "testing/sequential_ids.h"

namespace webhooks {
namespace testing {

class EngineHarness {
 public:
  // `orgs` make the org directory; the first is the cluster administrator's (see Admin()). A
  // test failure if StaticOrgDirectory refuses them (the directory is empty then).
  explicit EngineHarness(std::vector<v1::Org> orgs = {MakeOrg("0", "Primary")},
                         absl::Time start = kFakeClockStart);
  // Destroys the engine, then everything it uses.
  ~EngineHarness() = default;

  EngineHarness(const EngineHarness&) = delete;
  EngineHarness& operator=(const EngineHarness&) = delete;

  FakeClock& clock() { return clock_; }
  FakeTransport& transport() { return transport_; }
  FakeObjectStorage& storage() { return storage_; }
  const StaticOrgDirectory& orgs() const { return *orgs_; }

  // Stops the engine (it uses the directory) and replaces the org directory with `orgs`, as the
  // constructor makes it. StartEngine() starts an engine on the new one.
  void SetOrgs(std::vector<v1::Org> orgs);

  // What engines are made with: the harness's clock, ids, orgs, transport and storage, and the
  // test defaults above. Changes apply to the engines made afterwards.
  EngineOptions& options() { return options_; }

  // Stops the engine, if one runs, and makes a new one from options(); with the same state
  // store that is the same host restarted. Then, if `enable_webhook_channel`, turns on the
  // cluster WEBHOOK channel as Admin(). Returns why the engine could not be made or the channel
  // not turned on; no engine runs then.
  absl::Status StartEngine(bool enable_webhook_channel = true);

  // Destroys the engine, which waits for its delivery attempts in flight. Nothing if none runs.
  void StopEngine() { engine_.reset(); }

  // The engine StartEngine() made. Aborts if none runs.
  WebhookEngine& engine();

  // A new engine from options() for the test to keep, as WebhookEngine::Create() returns it; the
  // harness's own engine is left alone. No channel is turned on.
  absl::StatusOr<std::unique_ptr<WebhookEngine>> CreateEngine() const;

  // Stops the engine and keeps the state from now on in a journal in $TEST_TMPDIR/`name`,
  // emptied at the first call: each later call is a restart of the same host (StartEngine()
  // then replays it). The harness owns the journal.
  absl::Status UseJournal(absl::string_view name);

  // Sets the clock to `since_start` after kFakeClockStart (never back).
  void SetClockTo(absl::Duration since_start);

  // Publishes, as Admin(), a run of schedule "sch-1" ("Daily") of Liveboard "lb-1" ("Sales")
  // for org `org` (id or name).
  absl::StatusOr<v1::PublishEventResponse> PublishDailyRun(absl::string_view org);

  // Job `job_id` as the history reports it to Admin(); a test failure and an empty record if
  // there is not exactly one.
  v1::ChannelHistoryJob HistoryJob(const std::string& job_id);

  // The cluster administrator: ADMINISTRATION in the first org, acting across orgs.
  Principal Admin() const;
  // An administrator of the org whose id or name is `org`, confined to it. A test failure if
  // the directory has no such org (the principal's org is empty then).
  Principal AdminOf(absl::string_view org) const;

 private:
  FakeClock clock_;
  SequentialIds ids_;
  FakeTransport transport_;
  FakeObjectStorage storage_;
  v1::Org first_org_;
  std::unique_ptr<StaticOrgDirectory> orgs_;
  EngineOptions options_;
  std::unique_ptr<JournalStore> journal_;  // Set by UseJournal.
  std::string journal_directory_;
  // Last, so that it is destroyed first: it uses everything above.
  std::unique_ptr<WebhookEngine> engine_;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_ENGINE_HARNESS_H_
