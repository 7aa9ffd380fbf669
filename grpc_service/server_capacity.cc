#include "grpc_service/server_capacity.h"

#include <utility>

namespace webhooks {

HandlerPool::HandlerPool(int threads, size_t max_queued) : max_in_flight_(threads + max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

bool HandlerPool::TrySubmit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || in_flight_ >= max_in_flight_) return false;
  ++in_flight_;
  queue_.push_back(std::move(task));
  return true;
}

void HandlerPool::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void HandlerPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](HandlerPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Stopping, and nothing left to run.
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }
}

namespace http_internal {

// Counts one connection while it exists.
struct ConnectionCounts::Slot {
  Slot(std::shared_ptr<ConnectionCounts> counts, std::string address)
      : counts(std::move(counts)), address(std::move(address)) {}
  ~Slot() { counts->Release(address); }
  const std::shared_ptr<ConnectionCounts> counts;
  const std::string address;
};

std::shared_ptr<void> ConnectionCounts::TryTake(const std::string& address) {
  {
    absl::MutexLock lock(&mu_);
    size_t& from_client = per_client_[address];
    if (total_ >= max_total_ || from_client >= max_per_client_) {
      if (from_client == 0) per_client_.erase(address);
      return nullptr;
    }
    ++total_;
    ++from_client;
  }
  return std::make_shared<Slot>(shared_from_this(), address);
}

void ConnectionCounts::Release(const std::string& address) {
  absl::MutexLock lock(&mu_);
  --total_;
  auto it = per_client_.find(address);
  if (--it->second == 0) per_client_.erase(it);
}

}  // namespace http_internal
}  // namespace webhooks
