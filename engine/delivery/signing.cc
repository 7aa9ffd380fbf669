#include "engine/delivery/signing.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace webhooks {
namespace {

constexpr absl::string_view kStandardWebhooksSecretPrefix = "whsec_";
constexpr absl::string_view kStandardWebhooksVersion = "v1,";

using Mac = std::string;  // SHA256_DIGEST_LENGTH raw bytes.

Mac HmacSha256(absl::string_view key, absl::string_view data) {
  // OpenSSL 3 refuses a null key pointer even with length 0; always pass a valid one.
  static const unsigned char kEmpty[1] = {0};
  const void* key_bytes =
      key.empty() ? static_cast<const void*>(kEmpty) : static_cast<const void*>(key.data());
  const unsigned char* data_bytes =
      data.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  unsigned char mac[SHA256_DIGEST_LENGTH];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key_bytes, key.size(), data_bytes, data.size(), mac, &mac_length);
  return Mac(reinterpret_cast<const char*>(mac), mac_length);
}

// The key bytes of the Standard Webhooks scheme for `secret` (see signing.h).
std::string StandardWebhooksKey(absl::string_view secret) {
  absl::string_view encoded = secret;
  if (absl::ConsumePrefix(&encoded, kStandardWebhooksSecretPrefix)) {
    std::string key;
    if (!encoded.empty() && absl::Base64Unescape(encoded, &key)) return key;
  }
  return std::string(secret);
}

Mac StandardWebhooksMac(absl::string_view secret, absl::string_view id, absl::string_view timestamp,
                        absl::string_view body) {
  return HmacSha256(StandardWebhooksKey(secret), absl::StrCat(id, ".", timestamp, ".", body));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<absl::string_view> FindHeader(
    const std::vector<std::pair<std::string, std::string>>& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return absl::StripAsciiWhitespace(value);
  }
  return std::nullopt;
}

absl::Status Missing(absl::string_view header) {
  return absl::UnauthenticatedError(absl::StrCat("missing ", header, " header"));
}

}  // namespace

std::string HmacSha256Hex(absl::string_view secret, absl::string_view data) {
  return absl::BytesToHexString(HmacSha256(secret, data));
}

std::string StandardWebhooksSignature(absl::string_view secret, absl::string_view id,
                                      int64_t timestamp_seconds, absl::string_view body) {
  return absl::StrCat(
      kStandardWebhooksVersion,
      absl::Base64Escape(StandardWebhooksMac(secret, id, absl::StrCat(timestamp_seconds), body)));
}

absl::Status VerifySignature(const VerifyOptions& options,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             absl::string_view body, absl::Time now) {
  if (options.secrets.empty()) {
    return absl::InvalidArgumentError("VerifyOptions.secrets must not be empty");
  }
  for (const std::string& secret : options.secrets) {
    if (secret.empty()) {
      return absl::InvalidArgumentError("VerifyOptions.secrets must not hold an empty secret");
    }
  }

  // Every comparison is made, even after a match, so the time taken does not reveal which secret
  // or which entry matched.
  if (!options.signature_header.empty()) {
    const std::optional<absl::string_view> hex = FindHeader(headers, options.signature_header);
    if (!hex.has_value()) return Missing(options.signature_header);
    const std::string received = absl::AsciiStrToLower(*hex);
    bool matched = false;
    for (const std::string& secret : options.secrets) {
      matched |= ConstantTimeEquals(received, HmacSha256Hex(secret, body));
    }
    if (!matched) {
      return absl::UnauthenticatedError(
          absl::StrCat(options.signature_header, " does not match the body"));
    }
  }

  const std::optional<absl::string_view> id = FindHeader(headers, kWebhookIdHeader);
  if (!id.has_value()) return Missing(kWebhookIdHeader);
  const std::optional<absl::string_view> timestamp = FindHeader(headers, kWebhookTimestampHeader);
  if (!timestamp.has_value()) return Missing(kWebhookTimestampHeader);
  const std::optional<absl::string_view> signatures = FindHeader(headers, kWebhookSignatureHeader);
  if (!signatures.has_value()) return Missing(kWebhookSignatureHeader);

  int64_t seconds = 0;
  if (!absl::SimpleAtoi(*timestamp, &seconds)) {
    return absl::UnauthenticatedError(
        absl::StrCat(kWebhookTimestampHeader, " is not an integer number of seconds"));
  }
  const absl::Time sent = absl::FromUnixSeconds(seconds);
  if (now - sent > options.tolerance) {
    return absl::UnauthenticatedError(absl::StrCat(kWebhookTimestampHeader, " is too old"));
  }
  if (sent - now > options.tolerance) {
    return absl::UnauthenticatedError(
        absl::StrCat(kWebhookTimestampHeader, " is too new (in the future)"));
  }

  // Sign the timestamp as received: it parsed as an integer, and the sender signed its text.
  std::vector<Mac> expected;
  for (const std::string& secret : options.secrets) {
    expected.push_back(StandardWebhooksMac(secret, *id, *timestamp, body));
  }
  bool matched = false;
  for (absl::string_view entry : absl::StrSplit(*signatures, ' ', absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&entry, kStandardWebhooksVersion)) continue;
    std::string candidate;
    if (!absl::Base64Unescape(entry, &candidate)) continue;
    for (const Mac& mac : expected) matched |= ConstantTimeEquals(candidate, mac);
  }
  if (!matched) {
    return absl::UnauthenticatedError(
        absl::StrCat(kWebhookSignatureHeader, " has no v1 signature that matches the body"));
  }
  return absl::OkStatus();
}

}  // namespace webhooks
