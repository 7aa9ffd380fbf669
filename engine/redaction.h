// The one place that hides secrets before a webhook leaves the engine.
#ifndef WEBHOOKS_ENGINE_REDACTION_H_
#define WEBHOOKS_ENGINE_REDACTION_H_

#include <string>

#include "absl/strings/string_view.h"
#include "proto/webhook.pb.h"

namespace webhooks {

// The placeholder that stands for a secret in every response.
inline constexpr absl::string_view kRedacted = "***";

// Replaces every secret of `webhook` that is set (bearer token, API key value, basic-auth
// password, OAuth2 client secret, signing secret) with "***". Everything else stays in clear.
void RedactSecrets(v1::Webhook* webhook);

// A webhook's secrets, held apart from its redacted form: a webhook has at most one secret of
// its authentication kind and one signing secret.
struct WebhookSecrets {
  std::string authentication;
  std::string signing;
};

// Redacts `webhook` as RedactSecrets does and returns what it replaced. RestoreSecrets with the
// result gives back the webhook as it was.
WebhookSecrets TakeSecrets(v1::Webhook* webhook);

// Puts `secrets` back where TakeSecrets took them from `webhook`.
void RestoreSecrets(WebhookSecrets secrets, v1::Webhook* webhook);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_REDACTION_H_
