#include "testing/engine_harness.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace testing {

EngineHarness::EngineHarness(std::vector<v1::Org> orgs, absl::Time start) : clock_(start) {
  options_.clock = &clock_;
  options_.ids = &ids_;
  options_.delivery.transport = &transport_;
  options_.delivery.storage = &storage_;
  options_.delivery.run_dispatcher = false;  // Tests call RunDueDeliveries().
  options_.delivery.jitter = 0;              // Retries fall due exactly when scheduled.
  SetOrgs(std::move(orgs));
}

void EngineHarness::SetOrgs(std::vector<v1::Org> orgs) {
  StopEngine();
  first_org_ = orgs.empty() ? v1::Org() : orgs.front();
  absl::StatusOr<StaticOrgDirectory> directory = StaticOrgDirectory::Create(std::move(orgs));
  if (!directory.ok()) {
    ADD_FAILURE() << "EngineHarness: " << directory.status();
    directory = StaticOrgDirectory::Create({});
  }
  orgs_ = std::make_unique<StaticOrgDirectory>(*std::move(directory));
  options_.orgs = orgs_.get();
}

absl::Status EngineHarness::StartEngine(bool enable_webhook_channel) {
  StopEngine();
  absl::StatusOr<std::unique_ptr<WebhookEngine>> engine = CreateEngine();
  if (!engine.ok()) return engine.status();
  if (enable_webhook_channel) {
    const absl::Status enabled =
        (*engine)->ConfigureChannelPreferences(Admin(), WebhookChannelOnRequest());
    if (!enabled.ok()) return enabled;
  }
  engine_ = *std::move(engine);
  return absl::OkStatus();
}

WebhookEngine& EngineHarness::engine() {
  ABSL_RAW_CHECK(engine_ != nullptr,
                 "EngineHarness::engine(): no engine runs; StartEngine() first");
  return *engine_;
}

absl::StatusOr<std::unique_ptr<WebhookEngine>> EngineHarness::CreateEngine() const {
  return WebhookEngine::Create(options_);
}

absl::Status EngineHarness::UseJournal(absl::string_view name) {
  StopEngine();
  const std::string directory = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  if (directory != journal_directory_) std::filesystem::remove_all(directory);
  journal_.reset();
  journal_directory_ = directory;
  JournalOptions journal;
  journal.directory = directory;
  journal.log = [](absl::string_view) {};
  absl::StatusOr<std::unique_ptr<JournalStore>> opened = JournalStore::Open(journal);
  if (!opened.ok()) return opened.status();
  journal_ = *std::move(opened);
  options_.state_store = journal_.get();
  return absl::OkStatus();
}

void EngineHarness::SetClockTo(absl::Duration since_start) {
  clock_.Advance(kFakeClockStart + since_start - clock_.Now());
}

absl::StatusOr<v1::PublishEventResponse> EngineHarness::PublishDailyRun(absl::string_view org) {
  v1::PublishEventRequest request;
  request.set_org_identifier(std::string(org));
  v1::LiveboardScheduleRun* run = request.mutable_run();
  run->mutable_schedule()->set_scheduleid("sch-1");
  run->mutable_schedule()->set_name("Daily");
  run->set_liveboard_id("lb-1");
  run->set_liveboard_name("Sales");
  return engine().PublishEvent(Admin(), request);
}

v1::ChannelHistoryJob EngineHarness::HistoryJob(const std::string& job_id) {
  v1::SearchChannelHistoryRequest request;
  request.set_channel_type(v1::WEBHOOK);
  request.add_job_ids(job_id);
  absl::StatusOr<v1::SearchChannelHistoryResponse> found =
      engine().SearchChannelHistory(Admin(), request);
  if (!found.ok() || found->jobs_size() != 1) {
    ADD_FAILURE() << "EngineHarness::HistoryJob(" << job_id << "): "
                  << (found.ok() ? absl::StrCat(found->jobs_size(), " jobs")
                                 : found.status().ToString());
    return v1::ChannelHistoryJob();
  }
  return found->jobs(0);
}

Principal EngineHarness::Admin() const {
  return MakePrincipal(first_org_, {v1::ADMINISTRATION}, /*across_orgs=*/true);
}

Principal EngineHarness::AdminOf(absl::string_view org) const {
  absl::StatusOr<v1::Org> found = orgs_->Find(org);
  if (!found.ok()) {
    ADD_FAILURE() << "EngineHarness::AdminOf: " << found.status();
    return MakePrincipal(v1::Org(), {v1::ADMINISTRATION});
  }
  return MakePrincipal(*found, {v1::ADMINISTRATION});
}

}  // namespace testing
}  // namespace webhooks
