// ExpiringCache: credentials and access tokens kept until shortly before they expire, so that
// each is fetched once per lifetime instead of once per request. S3 role sessions, GCS tokens
// and the OAuth2 tokens of deliveries all keep theirs in one.
//
//   ExpiringCache<std::string> tokens(clock, /*renew_before=*/absl::Minutes(5));
//   if (std::optional<std::string> token = tokens.Get(email)) return *token;
//   ... fetch ...
//   tokens.Put(email, token, expires);
//   ... a 401 with it: tokens.Drop(email, [&](const std::string& kept) { return kept == token; });
//
// Thread-safe. Values are copied out, so callers never hold the cache's lock.
#ifndef WEBHOOKS_ENGINE_HTTP_EXPIRING_CACHE_H_
#define WEBHOOKS_ENGINE_HTTP_EXPIRING_CACHE_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"

namespace webhooks {

template <typename Value>
class ExpiringCache {
 public:
  // `clock` is not owned and must outlive the cache. A value is renewed `renew_before` ahead of
  // its expiry, so it never expires on its way to a server.
  ExpiringCache(const Clock& clock, absl::Duration renew_before)
      : clock_(clock), renew_before_(renew_before) {}

  ExpiringCache(const ExpiringCache&) = delete;
  ExpiringCache& operator=(const ExpiringCache&) = delete;

  // The value kept for `key`, unless it is due for renewal.
  std::optional<Value> Get(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || clock_.Now() >= it->second.renew_after) return std::nullopt;
    return it->second.value;
  }

  // Keeps `value` for `key`, replacing what was kept, until shortly before `expires`.
  void Put(const std::string& key, Value value, absl::Time expires) {
    absl::MutexLock lock(&mu_);
    entries_.insert_or_assign(key, Entry{std::move(value), expires - renew_before_});
  }

  // Forgets `key`'s value (a server refused it before it expired), if `refused` accepts it:
  // a value renewed by another caller meanwhile stays.
  void Drop(
      const std::string& key,
      const std::function<bool(const Value&)>& refused = [](const Value&) { return true; }) {
    absl::MutexLock lock(&mu_);
    const auto it = entries_.find(key);
    if (it != entries_.end() && refused(it->second.value)) entries_.erase(it);
  }

 private:
  struct Entry {
    Value value;
    absl::Time renew_after;
  };

  const Clock& clock_;
  const absl::Duration renew_before_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_HTTP_EXPIRING_CACHE_H_
