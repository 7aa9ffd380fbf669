#include "testing/engine_harness.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
