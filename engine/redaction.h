// The one place that hides secrets before a webhook leaves the engine.
#ifndef WEBHOOKS_ENGINE_REDACTION_H_
#define WEBHOOKS_ENGINE_REDACTION_H_

#include "absl/strings/string_view.h"
#include "proto/webhook.pb.h"

namespace webhooks {

// The placeholder that stands for a secret in every response.
inline constexpr absl::string_view kRedacted = "***";

// Replaces every secret of `webhook` that is set (bearer token, API key value, basic-auth
// password, OAuth2 client secret, signing secret) with "***". Everything else stays in clear.
void RedactSecrets(v1::Webhook* webhook);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_REDACTION_H_
