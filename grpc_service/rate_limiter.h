// RateLimiter: an inbound rate limit per client address, as ThoughtSpot's public API has
// (100 requests per second per client, bursts of 10): a token bucket per key that holds at most
// `burst` tokens and gains `per_second` tokens a second; each request takes one.
//
//   RateLimiter limiter({/*per_second=*/100, /*burst=*/10}, *SystemClock());
//   absl::Duration wait = limiter.Acquire("203.0.113.7");
//   if (wait > absl::ZeroDuration()) ... answer 429 with Retry-After: RetryAfterSeconds(wait)
//
// Memory stays bounded by the clients of the last few seconds: a bucket that has refilled
// completely is no different from a new one and is dropped. Thread-safe.
#ifndef WEBHOOKS_GRPC_SERVICE_RATE_LIMITER_H_
#define WEBHOOKS_GRPC_SERVICE_RATE_LIMITER_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"

namespace webhooks {

struct RateLimit {
  double per_second = 100;  // Must be positive.
  int burst = 10;           // Must be at least 1.
};

class RateLimiter {
 public:
  // `clock` is not owned and must outlive the limiter.
  RateLimiter(const RateLimit& limit, const Clock& clock) : limit_(limit), clock_(clock) {}

  // Zero if `key` may make a request now (which is then counted); otherwise how long until it
  // may (nothing is counted).
  absl::Duration Acquire(absl::string_view key);

  const RateLimit& limit() const { return limit_; }

  // Client addresses with a bucket now (for tests).
  size_t clients() const;

  // kResourceExhausted with the message both listeners use.
  absl::Status ExceededError(absl::Duration wait) const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };

  // Drops buckets that have refilled completely.
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimit limit_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  size_t prune_at_ ABSL_GUARDED_BY(mu_) = 1024;
};

// `wait` in whole seconds, rounded up, at least 1: the value of a Retry-After header.
int64_t RetryAfterSeconds(absl::Duration wait);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_RATE_LIMITER_H_
