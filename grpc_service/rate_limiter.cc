#include "grpc_service/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace webhooks {

absl::Duration RateLimiter::Acquire(absl::string_view key) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() >= prune_at_) PruneLocked(now);
  auto [it, added] = buckets_.try_emplace(key);
  Bucket& bucket = it->second;
  if (added) {
    bucket.tokens = limit_.burst;
  } else {
    const double gained = absl::ToDoubleSeconds(now - bucket.updated) * limit_.per_second;
    bucket.tokens = std::min<double>(limit_.burst, bucket.tokens + std::max(0.0, gained));
  }
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1 - bucket.tokens) / limit_.per_second);
}

size_t RateLimiter::clients() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

void RateLimiter::PruneLocked(absl::Time now) {
  const absl::Duration refill = absl::Seconds(limit_.burst / limit_.per_second);
  absl::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.updated >= refill; });
  // Next sweep when the map has doubled, so sweeping stays linear in the requests.
  prune_at_ = std::max<size_t>(1024, 2 * buckets_.size());
}

absl::Status RateLimiter::ExceededError(absl::Duration wait) const {
  return absl::ResourceExhaustedError(
      absl::StrCat("Rate limit exceeded: at most ", limit_.per_second,
                   " requests per second per client "
                   "address (bursts of ",
                   limit_.burst, "); retry after ", RetryAfterSeconds(wait), " s."));
}

int64_t RetryAfterSeconds(absl::Duration wait) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(wait))));
}

}  // namespace webhooks
