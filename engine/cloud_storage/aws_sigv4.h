// AWS Signature Version 4 ("AWS4-HMAC-SHA256") signing of outbound HTTP requests, for the
// requests the engine sends to AWS endpoints (S3, STS, API Gateway, ...).
//
// Signing adds headers to an HttpRequest that is otherwise ready to send:
//
//   HttpRequest request;
//   request.method = "PUT";
//   request.url = "https://examplebucket.s3.amazonaws.com/deliveries/1.json";
//   request.body = payload;
//   engine_internal::SignRequest(credentials, "us-east-1", "s3", clock.Now(), /*s3=*/true,
//                                request);
//   transport.Send(std::move(request), std::move(done));
//
// The request must not change after signing: the method, the URL's path and query, every header
// and (through its hash) the body are covered by the signature. The pieces of the calculation
// (canonical request, string to sign, signature) are exposed so that tests can check each one
// against AWS's published examples.
//
// All functions are thread-safe and keep no state. Nothing here logs or returns the secret key.
#ifndef WEBHOOKS_ENGINE_CLOUD_STORAGE_AWS_SIGV4_H_
#define WEBHOOKS_ENGINE_CLOUD_STORAGE_AWS_SIGV4_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/http/http_transport.h"

namespace webhooks {
namespace engine_internal {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // Empty for long-term credentials.
};

// The lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);

// The canonical request of `request` (AWS's "Create a canonical request" step), lines joined by
// '\n' with no trailing newline:
//   - the method as given;
//   - the canonical URI of the URL's path ("/" when empty). With `s3`, the path is kept as is
//     (no "." or ".." resolution, no slash collapsing) and each segment is URI-encoded once:
//     percent-escapes already in the URL are decoded first, so "/a$b" and "/a%24b" both become
//     "/a%24b". Otherwise the path is normalized (empty, "." and ".." segments removed, a
//     trailing slash kept) and each segment, as it appears in the URL, is URI-encoded again, so
//     "%20" in the URL becomes "%2520";
//   - the canonical query string: each '&'-separated parameter split at its first '=',
//     name and value percent-decoded ('+' is a literal plus) and URI-encoded, sorted by name
//     then value, "name=" when there is no value;
//   - one "name:value" line per header name, lower case, sorted; values trimmed with inner runs
//     of whitespace collapsed to one space; repeated headers joined by ',' in request order.
//     Every header of `request.headers` is included, plus "host" from the URL's authority
//     (the port only when it is not the scheme's default) unless a Host header is present;
//   - an empty line, then the signed header names joined by ';';
//   - `payload_hash`.
// URI-encoding keeps the RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) and writes every
// other byte as "%XX" in upper-case hex. `request.url` should be an absolute http or https URL;
// the fragment is ignored.
std::string CanonicalRequest(const HttpRequest& request, absl::string_view payload_hash, bool s3);

// The string to sign: "AWS4-HMAC-SHA256", the time as yyyymmddThhmmssZ (UTC), the credential
// scope "<yyyymmdd>/<region>/<service>/aws4_request" and the hex SHA-256 of
// `canonical_request`, joined by '\n'.
std::string StringToSign(absl::Time time, absl::string_view region, absl::string_view service,
                         absl::string_view canonical_request);

// The lower-case hex HMAC-SHA256 of `string_to_sign`, keyed with the signing key derived from
// `secret_access_key` for the day of `time` (UTC), `region` and `service`.
std::string Signature(absl::string_view secret_access_key, absl::Time time,
                      absl::string_view region, absl::string_view service,
                      absl::string_view string_to_sign);

// Signs `request` in place for `service` in `region` at `time`. First removes any Authorization,
// X-Amz-Date, X-Amz-Security-Token and (with `s3`) X-Amz-Content-SHA256 headers, so a request
// can be signed again (for example on retry, with a new time). Then appends, in this order:
//   - X-Amz-Date: the time as yyyymmddThhmmssZ;
//   - with `s3`, X-Amz-Content-SHA256: the hex SHA-256 of `request.body`, which S3 requires;
//   - when `credentials.session_token` is not empty, X-Amz-Security-Token (signed, like every
//     other header);
//   - Authorization: "AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/<service>/
//     aws4_request, SignedHeaders=<names>, Signature=<hex>".
// The payload hash is always that of `request.body`. `s3` selects S3's rules for the canonical
// URI (see CanonicalRequest); `service` is not inspected for that. No Host header is added: the
// transport sends the URL's authority, which is what was signed.
void SignRequest(const AwsCredentials& credentials, absl::string_view region,
                 absl::string_view service, absl::Time time, bool s3, HttpRequest& request);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_CLOUD_STORAGE_AWS_SIGV4_H_
