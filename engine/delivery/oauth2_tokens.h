// OAuth2Tokens: the access tokens of webhooks with OAUTH2 authentication, fetched with the
// client-credentials grant (RFC 6749 section 4.4, the client authenticated with HTTP Basic
// over its form-encoded id and secret, section 2.3.1) and kept until shortly before they expire.
//
// Thread-safe.
#ifndef WEBHOOKS_ENGINE_DELIVERY_OAUTH2_TOKENS_H_
#define WEBHOOKS_ENGINE_DELIVERY_OAUTH2_TOKENS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/http/expiring_cache.h"
#include "engine/http/http_transport.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

class OAuth2Tokens {
 public:
  using Callback = std::function<void(absl::StatusOr<std::string>)>;

  // Not owned; must outlive this. Token requests get `timeout` and `user_agent`.
  OAuth2Tokens(HttpTransport& transport, const Clock& clock, absl::Duration timeout,
               std::string user_agent);

  // Calls `done`, on any thread, with an access token for `oauth`: the one kept for the same
  // authorization_url and client_id if it was issued for the same client secret, else a new one.
  // Tokens are kept by token endpoint and client, never by webhook, so a token only ever serves
  // the endpoint and client it was issued for. Errors name the token URL without its query and
  // say what failed; a refusal or an answer without a token is kUnavailable, so the delivery is
  // tried again.
  void Get(const v1::OAuth2Authentication& oauth, Callback done);

  // A receiver refused `access_token`, issued for `oauth` (HTTP 401): the next Get fetches a new
  // one, unless a newer token is kept already.
  void Refused(const v1::OAuth2Authentication& oauth, const std::string& access_token);

  // Token requests answered so far (`succeeded`: with a token) or failed; kept tokens that Get
  // hands out again are not counted.
  uint64_t Fetches(bool succeeded) const { return fetches_[succeeded]; }

 private:
  struct Kept {
    std::string client_secret;  // What the token was issued for, with its key.
    std::string access_token;
  };

  // The cache key of `oauth`'s tokens: its authorization_url and client_id.
  static std::string KeyOf(const v1::OAuth2Authentication& oauth);

  HttpTransport& transport_;
  const Clock& clock_;
  const absl::Duration timeout_;
  const std::string user_agent_;
  ExpiringCache<Kept> tokens_;             // By KeyOf.
  std::atomic<uint64_t> fetches_[2] = {};  // By succeeded.
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_OAUTH2_TOKENS_H_
