// SlowCallRunner: runs calls that wait on other servers (a validation's test delivery and
// storage upload) on threads of their own, at most `max_running` at once, and stops waiting for
// one when its caller's deadline passes.
//
//   SlowCallRunner validations(4, "validations");
//   absl::StatusOr<Reply> reply = validations.Run<Reply>(deadline, [&] { return Validate(); });
//
// A call whose caller stopped waiting finishes on its thread and keeps its slot until it does,
// so the bound holds for the work itself, not only for the waiting. Thread-safe.
#ifndef WEBHOOKS_GRPC_SERVICE_SLOW_CALL_RUNNER_H_
#define WEBHOOKS_GRPC_SERVICE_SLOW_CALL_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace webhooks {

class SlowCallRunner {
 public:
  // `what` names the calls in messages, e.g. "validations".
  SlowCallRunner(int max_running, std::string what)
      : max_running_(max_running), what_(std::move(what)) {}
  // Waits until every call has finished, including those whose callers stopped waiting.
  ~SlowCallRunner();

  SlowCallRunner(const SlowCallRunner&) = delete;
  SlowCallRunner& operator=(const SlowCallRunner&) = delete;

  // Runs `work` on a new thread and returns its result. kResourceExhausted ("Too many
  // validations in progress (at most 4); retry later.") if `max_running` calls run already;
  // kDeadlineExceeded if `deadline` passes first, or has passed before the call starts.
  template <typename T>
  absl::StatusOr<T> Run(absl::Time deadline, std::function<absl::StatusOr<T>()> work) {
    struct Result {
      absl::Notification done;
      absl::StatusOr<T> value = absl::UnknownError("not run");
    };
    auto result = std::make_shared<Result>();
    const absl::Status started = Start(deadline, [result, work = std::move(work)] {
      result->value = work();
      result->done.Notify();
    });
    if (!started.ok()) return started;
    if (!result->done.WaitForNotificationWithDeadline(deadline)) return DeadlineExceeded();
    return std::move(result->value);
  }

  // Calls running now (for tests).
  int running() const;

 private:
  // Takes a slot and runs `task` on a detached thread that frees the slot after it.
  absl::Status Start(absl::Time deadline, std::function<void()> task);
  absl::Status DeadlineExceeded() const;

  const int max_running_;
  const std::string what_;
  mutable absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_SLOW_CALL_RUNNER_H_
