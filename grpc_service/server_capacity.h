// The bounds on what a server takes on at once: threads with a bounded queue (HandlerPool: the
// HTTP server's handler threads, and the gRPC services' call threads), and the HTTP server's
// open connections overall and per client address (ConnectionCounts).
#ifndef WEBHOOKS_GRPC_SERVICE_SERVER_CAPACITY_H_
#define WEBHOOKS_GRPC_SERVICE_SERVER_CAPACITY_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace webhooks {

// Threads that run handlers, so that I/O threads never wait on them: a slow call holds one of
// these threads, not the connections of other clients. Thread-safe.
class HandlerPool {
 public:
  HandlerPool(int threads, size_t max_queued);
  ~HandlerPool() { Stop(); }

  // Queues `task`; false (and `task` is dropped) if every thread runs a task and `max_queued`
  // more wait already.
  bool TrySubmit(std::function<void()> task);

  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();

 private:
  void Loop();

  const size_t max_in_flight_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // Queued or running.
  std::vector<std::thread> threads_;
};

namespace http_internal {

// Open connections, overall and per client address. Shared by the server and its sessions, so
// that a session destroyed late in the server's own destruction still finds it. Thread-safe.
class ConnectionCounts : public std::enable_shared_from_this<ConnectionCounts> {
 public:
  ConnectionCounts(size_t max_total, size_t max_per_client)
      : max_total_(max_total), max_per_client_(max_per_client) {}

  // Counts one more connection from `address` until the returned slot is destroyed; null (and
  // nothing counted) if that would pass a limit.
  std::shared_ptr<void> TryTake(const std::string& address);

 private:
  struct Slot;
  void Release(const std::string& address);

  const size_t max_total_;
  const size_t max_per_client_;
  absl::Mutex mu_;
  size_t total_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, size_t> per_client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace http_internal
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_SERVER_CAPACITY_H_
