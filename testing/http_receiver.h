// HttpReceiver: a tiny HTTP/1.1 server on 127.0.0.1 for tests that send real requests.
//
//   webhooks::testing::HttpReceiver receiver;  // Listens on a kernel-chosen port.
//   webhooks::testing::ScriptedResponse failure;
//   failure.status = 500;
//   receiver.Enqueue(failure);                  // The first request gets a 500.
//   HttpRequest request;
//   request.url = receiver.url("/hook");
//   transport->Send(request, ...);
//   ASSERT_TRUE(receiver.WaitForRequests(1));
//   EXPECT_EQ(receiver.requests()[0].body, "...");
//
// It records every request (method, target, headers with lower-cased names, body) and answers
// each with the next scripted response; when the script is empty, with what the handler
// computes from the request if one is set (fakes of real services, such as FakeSts, answer
// this way), else with the default response (200, empty body). A response may "hang": the
// request is recorded but never answered, and the connection stays open until the client
// closes it or the receiver is destroyed, which is how tests exercise client timeouts.
// Request bodies must carry Content-Length (chunked bodies are answered with 411 and the
// connection is closed). Connections are kept alive, so several requests may arrive on one
// connection; `connection_count()` tells how many were accepted.
//
// One background thread serves all connections. Every method is thread-safe. The destructor
// closes every connection and joins the thread.
#ifndef WEBHOOKS_TESTING_HTTP_RECEIVER_H_
#define WEBHOOKS_TESTING_HTTP_RECEIVER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace webhooks {
namespace testing {

struct ScriptedResponse {
  int status = 200;
  // Sent in this order. Content-Length is added unless present here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Record the request but never answer it.
  bool hang = false;
  // Close the connection after answering (sends "Connection: close").
  bool close = false;

  static ScriptedResponse Hang() {
    ScriptedResponse response;
    response.hang = true;
    return response;
  }
};

struct ReceivedRequest {
  std::string method;
  std::string target;   // As on the request line: path and query.
  std::string version;  // "HTTP/1.1".
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased, in order.
  std::string body;
  int connection = 0;  // Which accepted connection it came on, from 1.

  // The value of the first header named `name` (lower case), or "" if there is none.
  std::string Header(const std::string& name) const;
};

class HttpReceiver {
 public:
  // Starts listening on 127.0.0.1 at `port`, or at a port the kernel chooses if it is 0.
  // Aborts the test binary if the socket cannot be set up (a broken test environment, not a
  // test failure).
  explicit HttpReceiver(int port = 0);
  ~HttpReceiver();

  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>"; `path` should start with "/".
  std::string url(const std::string& path = "/") const;

  // Answers the next unanswered request with `response` (responses queue in order).
  void Enqueue(ScriptedResponse response);
  // What requests get when the queue is empty and no handler is set. Initially 200 with an
  // empty body.
  void SetDefaultResponse(ScriptedResponse response);

  using Handler = std::function<ScriptedResponse(const ReceivedRequest&)>;
  // Answers requests with `handler(request)` when the queue is empty, instead of the default
  // response; an empty `handler` goes back to the default response. The handler runs on the
  // receiver's thread, one request at a time and without the receiver's lock, so it may call
  // the receiver's methods (not its destructor). A request is recorded, and counts for
  // WaitForRequests(), once the handler has returned, so whatever state the handler keeps is
  // up to date by then.
  void SetHandler(Handler handler);

  // Every request received so far, in arrival order.
  std::vector<ReceivedRequest> requests() const;
  // Number of connections accepted so far.
  int connection_count() const;

  // Waits until at least `n` requests have been received or `timeout` passes; returns
  // whether `n` were received.
  bool WaitForRequests(size_t n, absl::Duration timeout = absl::Seconds(30)) const;

 private:
  class Connection;  // One accepted connection; defined in http_receiver.cc.
  struct Io;         // The Asio state; keeps Boost out of this header.

  // Waits for the next connection. Serving thread only.
  void Accept();
  // Records `request` and returns how to answer it. Serving thread only.
  ScriptedResponse NextResponse(ReceivedRequest request);

  // Set up by the constructor; afterwards only the serving thread touches it, until the
  // destructor has joined that thread.
  std::unique_ptr<Io> io_;
  int port_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::deque<ScriptedResponse> script_ ABSL_GUARDED_BY(mu_);
  ScriptedResponse default_response_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mu_);
  int connection_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_HTTP_RECEIVER_H_
