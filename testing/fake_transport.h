// FakeTransport: an HttpTransport that records requests and lets the test answer them.
//
//   webhooks::testing::FakeTransport transport;
//   engine->Publish(...);                       // The engine calls transport.Send(...).
//   ASSERT_TRUE(transport.WaitForRequests(1));
//   EXPECT_EQ(transport.requests()[0].url, "https://example.com/hook");
//   HttpResponse ok;
//   ok.status = 200;
//   ASSERT_OK(transport.Respond(0, ok));        // Runs the engine's callback, on this thread.
//
// Or answer every request as it is sent:
//
//   webhooks::testing::FakeTransport transport([](const HttpRequest& request) {
//     return absl::StatusOr<HttpResponse>(absl::UnavailableError("connection refused"));
//   });
//
// With an auto-responder the callback runs synchronously inside Send(), on the sender's
// thread; such requests are recorded as already answered. Thread-safe; callbacks are never
// run while the fake's lock is held, so they may call back into it.
#ifndef WEBHOOKS_TESTING_FAKE_TRANSPORT_H_
#define WEBHOOKS_TESTING_FAKE_TRANSPORT_H_

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/http/http_transport.h"

namespace webhooks {
namespace testing {

class FakeTransport final : public HttpTransport {
 public:
  using Responder = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  // Without a responder, requests wait for Respond().
  FakeTransport() = default;
  explicit FakeTransport(Responder responder) : responder_(std::move(responder)) {}

  // Replaces the auto-responder for later requests; an empty one turns it off.
  void SetResponder(Responder responder) {
    absl::MutexLock lock(&mu_);
    responder_ = std::move(responder);
  }

  void Send(HttpRequest request, Callback done) override {
    Responder responder;
    {
      absl::MutexLock lock(&mu_);
      responder = responder_;
      calls_.push_back({request, responder ? nullptr : std::move(done)});
    }
    if (responder) done(responder(request));
  }

  // Every request sent so far, in order (answered or not).
  std::vector<HttpRequest> requests() const {
    absl::MutexLock lock(&mu_);
    std::vector<HttpRequest> requests;
    requests.reserve(calls_.size());
    for (const Call& call : calls_) requests.push_back(call.request);
    return requests;
  }

  size_t request_count() const {
    absl::MutexLock lock(&mu_);
    return calls_.size();
  }

  // Number of requests not answered yet.
  size_t pending_count() const {
    absl::MutexLock lock(&mu_);
    size_t pending = 0;
    for (const Call& call : calls_) pending += call.done ? 1 : 0;
    return pending;
  }

  // Answers request number `index` (from 0, in send order) with `result`, running its
  // callback on the calling thread. Returns kOutOfRange if there is no such request and
  // kFailedPrecondition if it was already answered.
  absl::Status Respond(size_t index, absl::StatusOr<HttpResponse> result) {
    Callback done;
    {
      absl::MutexLock lock(&mu_);
      if (index >= calls_.size()) {
        return absl::OutOfRangeError(
            absl::StrCat("no request ", index, "; ", calls_.size(), " sent so far"));
      }
      if (!calls_[index].done) {
        return absl::FailedPreconditionError(
            absl::StrCat("request ", index, " was already answered"));
      }
      done = std::move(calls_[index].done);
      calls_[index].done = nullptr;
    }
    done(std::move(result));
    return absl::OkStatus();
  }

  // Waits until at least `n` requests were sent or `timeout` passes; returns whether they
  // were.
  bool WaitForRequests(size_t n, absl::Duration timeout = absl::Seconds(30)) const {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  struct Call {
    HttpRequest request;
    Callback done;  // Empty once answered.
  };

  mutable absl::Mutex mu_;
  Responder responder_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_FAKE_TRANSPORT_H_
