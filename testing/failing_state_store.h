// FailingStateStore: a StateStore that keeps nothing and, once broken, fails every Sync as a full
// disk would. For tests of what callers see when changes cannot be made durable.
#ifndef WEBHOOKS_TESTING_FAILING_STATE_STORE_H_
#define WEBHOOKS_TESTING_FAILING_STATE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/persistence/state_store.h"

namespace webhooks {
namespace testing {

// Thread-safe.
class FailingStateStore final : public StateStore {
 public:
  void Break() { broken_ = true; }

  absl::Status Replay(const std::function<absl::Status(const state::StateBatch&)>&) override {
    return absl::OkStatus();
  }
  uint64_t Write(const state::StateBatch&) override { return ++written_; }
  absl::Status Sync(uint64_t) override {
    if (!broken_) return absl::OkStatus();
    return absl::UnavailableError("cannot write /var/lib/webhookd/journal-7: No space left");
  }
  bool WantsSnapshot() const override { return false; }
  uint64_t StartSnapshot() override { return 0; }
  absl::Status FinishSnapshot(uint64_t, const std::vector<state::StateBatch>&) override {
    return absl::OkStatus();
  }

  // Batches written so far.
  uint64_t written() const { return written_; }

 private:
  std::atomic<bool> broken_{false};
  std::atomic<uint64_t> written_{0};
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_FAILING_STATE_STORE_H_
