// CompletionCounter: an HttpTransport that forwards to a real one and counts the requests
// whose callbacks have run, so a test can wait for work that ends on the transport's thread.
//
//   CompletionCounter counter(*curl_transport);
//   options.delivery.transport = &counter;
//   engine->RunDueDeliveries();
//   ASSERT_TRUE(counter.WaitFor(1));  // The attempt's outcome is recorded.
//
// A callback counts after the inner one returns, still on the transport's thread: stop the
// inner transport (destroy it) before destroying the counter.
#ifndef WEBHOOKS_TESTING_COMPLETION_COUNTER_H_
#define WEBHOOKS_TESTING_COMPLETION_COUNTER_H_

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/http/http_transport.h"

namespace webhooks {
namespace testing {

class CompletionCounter final : public HttpTransport {
 public:
  explicit CompletionCounter(HttpTransport& inner) : inner_(inner) {}

  void Send(HttpRequest request, Callback done) override {
    inner_.Send(std::move(request),
                [this, done = std::move(done)](absl::StatusOr<HttpResponse> response) {
                  done(std::move(response));
                  absl::MutexLock lock(&mu_);
                  ++completed_;
                });
  }

  // Waits until `n` callbacks in all have returned (false after 30 seconds).
  bool WaitFor(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return completed_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(30));
  }

 private:
  HttpTransport& inner_;
  absl::Mutex mu_;
  int completed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_COMPLETION_COUNTER_H_
