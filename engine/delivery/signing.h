// Signing of outbound webhook requests, and verification for receivers that link this library.
//
// Every delivery carries two signatures over the body bytes exactly as sent:
//   - the webhook's configured header (for example `X-Webhook-Signature`) holding the
//     lower-case hex HMAC-SHA256 of the body, keyed with the webhook's secret; and
//   - the Standard Webhooks headers (https://www.standardwebhooks.com): `webhook-id`,
//     `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64>`, the base64
//     HMAC-SHA256 of "<id>.<timestamp>.<body>", so receivers can reject replays.
//
// A receiver checks both with one call:
//
//   webhooks::VerifyOptions options;
//   options.secrets = {"hmac-secret"};  // While rotating: {"new-secret", "old-secret"}.
//   options.signature_header = "X-Webhook-Signature";
//   absl::Status status = webhooks::VerifySignature(options, headers, body, absl::Now());
//   if (!status.ok()) return Respond(401);
//
// Keys: the hex signature is always keyed with the secret's raw bytes. The Standard Webhooks
// signature follows that spec: a secret starting with "whsec_" carries its key base64-encoded
// after the prefix (the decoded bytes are the key); any other secret, or a "whsec_" secret whose
// rest is not valid base64, is used as raw bytes.
//
// All functions are thread-safe and keep no state. No message ever contains a secret or an
// expected signature.
#ifndef WEBHOOKS_ENGINE_DELIVERY_SIGNING_H_
#define WEBHOOKS_ENGINE_DELIVERY_SIGNING_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace webhooks {

// Header names of the Standard Webhooks scheme, as sent (lower case).
inline constexpr char kWebhookIdHeader[] = "webhook-id";
inline constexpr char kWebhookTimestampHeader[] = "webhook-timestamp";
inline constexpr char kWebhookSignatureHeader[] = "webhook-signature";

// The lower-case hex HMAC-SHA256 of `data` keyed with the bytes of `secret` (64 characters).
std::string HmacSha256Hex(absl::string_view secret, absl::string_view data);

// The Standard Webhooks signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed as
// described above (a "whsec_" prefix means a base64 key).
std::string StandardWebhooksSignature(absl::string_view secret, absl::string_view id,
                                      int64_t timestamp_seconds, absl::string_view body);

struct VerifyOptions {
  // The secrets a signature may be made with: the webhook's signing secret, and while the sender
  // rotates it, the previous one too (the sender then signs with both). At least one; none
  // empty.
  std::vector<std::string> secrets;
  // Header carrying the hex HMAC-SHA256 of the body (any case; hex digits of either case are
  // accepted). Empty skips that check and verifies only the Standard Webhooks headers.
  std::string signature_header;
  // How far `webhook-timestamp` may lie from `now`, in either direction.
  absl::Duration tolerance = absl::Minutes(5);
};

// Verifies a received request. `headers` are matched by name in any case; when a header
// appears more than once, the first one counts. Checks, in this order: the hex signature in
// `options.signature_header` (if set) against each of `options.secrets`; that `webhook-id`,
// `webhook-timestamp` and `webhook-signature` are present; that the timestamp is an integer
// within `options.tolerance` of `now`; and that at least one of the space-separated
// "v1,<base64>" entries of `webhook-signature` matches with one of the secrets (entries of other
// versions are ignored). Signatures are compared in constant time.
//
// Returns OK if every check passes; kInvalidArgument if `options.secrets` is empty or holds an
// empty secret; otherwise
// kUnauthenticated with a message naming the first check that failed (for example
// "missing webhook-timestamp header" or "webhook-timestamp is too old").
absl::Status VerifySignature(const VerifyOptions& options,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             absl::string_view body, absl::Time now);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_SIGNING_H_
