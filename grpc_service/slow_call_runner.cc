#include "grpc_service/slow_call_runner.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace webhooks {

SlowCallRunner::~SlowCallRunner() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* running) { return *running == 0; }, &running_));
}

int SlowCallRunner::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

absl::Status SlowCallRunner::Start(absl::Time deadline, std::function<void()> task) {
  if (deadline <= absl::Now()) return DeadlineExceeded();
  {
    absl::MutexLock lock(&mu_);
    if (running_ >= max_running_) {
      return absl::ResourceExhaustedError(absl::StrCat("Too many ", what_, " in progress (at most ",
                                                       max_running_, "); retry later."));
    }
    ++running_;
  }
  std::thread([this, task = std::move(task)] {
    task();
    absl::MutexLock lock(&mu_);
    --running_;
  }).detach();
  return absl::OkStatus();
}

absl::Status SlowCallRunner::DeadlineExceeded() const {
  return absl::DeadlineExceededError(
      absl::StrCat("the caller's deadline passed before the ", what_, " finished"));
}

}  // namespace webhooks
