// Fuzzes engine_internal::ValidateWebhook on any v1::Webhook that FromJson accepts, and
// ValidateHttpUrl on the raw input. Properties: no crash or sanitizer report; every error is
// kInvalidArgument; no error message depends on the value of a secret of the webhook; a URL that
// ValidateHttpUrl accepts holds no whitespace or control character and fits the limit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/base/json_codec.h"
#include "engine/internal/validation.h"
#include "engine/limits.h"
#include "proto/webhook.pb.h"

namespace {

using webhooks::engine_internal::ValidateHttpUrl;
using webhooks::engine_internal::ValidateWebhook;

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "%s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// The same text with every letter and digit moved one place (a->b, z->a, 9->0): same length,
// same control characters and whitespace, same "***", so validation treats it the same.
std::string Rotate(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = c == 'z' ? 'a' : c + 1;
    } else if (c >= 'A' && c <= 'Z') {
      c = c == 'Z' ? 'A' : c + 1;
    } else if (c >= '0' && c <= '9') {
      c = c == '9' ? '0' : c + 1;
    }
  }
  return out;
}

// `webhook` with every secret rotated.
webhooks::v1::Webhook WithOtherSecrets(webhooks::v1::Webhook webhook) {
  if (webhook.has_signature_verification()) {
    webhook.mutable_signature_verification()->set_secret(
        Rotate(webhook.signature_verification().secret()));
  }
  if (!webhook.has_authentication()) return webhook;  // mutable_ would add an empty one.
  auto* auth = webhook.mutable_authentication();
  if (auth->has_api_key()) auth->mutable_api_key()->set_value(Rotate(auth->api_key().value()));
  if (auth->has_basic_auth()) {
    auth->mutable_basic_auth()->set_password(Rotate(auth->basic_auth().password()));
  }
  if (auth->has_bearer_token()) auth->set_bearer_token(Rotate(auth->bearer_token()));
  if (auth->has_oauth2()) {
    auth->mutable_oauth2()->set_client_secret(Rotate(auth->oauth2().client_secret()));
  }
  return webhook;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const webhooks::EngineLimits limits;

  const absl::Status url = ValidateHttpUrl("url", input, limits.max_url_length);
  if (url.ok()) {
    if (input.size() > static_cast<size_t>(limits.max_url_length)) Fail("url too long", input);
    for (const char c : input) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f) Fail("accepted url with whitespace or control", input);
    }
  } else if (url.code() != absl::StatusCode::kInvalidArgument) {
    Fail("unexpected status code for url", url.ToString());
  }

  webhooks::v1::Webhook webhook;
  if (!webhooks::FromJson(input, &webhook).ok()) return 0;
  const absl::Status status = ValidateWebhook(webhook, limits);
  if (status.ok()) return 0;
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Fail("unexpected status code", status.ToString());
  }
  // No message repeats a secret: the message must not change when only the secrets do.
  // (Comparing messages, not searching them for the secret, so that a secret that happens to
  // be a word of the rule, such as "character", is not taken for a leak.)
  // Skipped with two or more url_params: which bad entry the message names follows the
  // protobuf map's iteration order, which differs between copies (a finding of this fuzzer).
  if (webhook.url_params_size() > 1) return 0;
  const absl::Status other = ValidateWebhook(WithOtherSecrets(webhook), limits);
  if (other.ToString() != status.ToString()) {
    Fail("error message depends on a secret's value",
         absl::StrCat(status.ToString(), " / with other secrets: ", other.ToString()));
  }
  return 0;
}
