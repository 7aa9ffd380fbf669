// The access token of an OAuth2 token response (RFC 6749 section 5.1), as both OAuth2 clients
// of the engine read it: deliveries to webhooks with OAUTH2 authentication (client
// credentials) and the GCS storage's own service account (JWT bearer).
#ifndef WEBHOOKS_ENGINE_HTTP_OAUTH2_TOKEN_H_
#define WEBHOOKS_ENGINE_HTTP_OAUTH2_TOKEN_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace webhooks {

struct AccessToken {
  std::string value;
  absl::Duration lifetime;  // From now.
};

// The `access_token` and `expires_in` (seconds; `default_lifetime` when absent) of a successful
// response's JSON `body`. Nullopt if the body is not JSON or has no non-empty access_token.
std::optional<AccessToken> ParseAccessToken(absl::string_view body,
                                            absl::Duration default_lifetime);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_HTTP_OAUTH2_TOKEN_H_
