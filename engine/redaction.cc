#include "engine/redaction.h"

#include <string>

namespace webhooks {

void RedactSecrets(v1::Webhook* webhook) {
  const std::string redacted(kRedacted);
  if (webhook->has_authentication()) {
    v1::WebhookAuthentication* auth = webhook->mutable_authentication();
    switch (auth->kind_case()) {
      case v1::WebhookAuthentication::kAPIKEY:
        auth->mutable_api_key()->set_value(redacted);
        break;
      case v1::WebhookAuthentication::kBASICAUTH:
        auth->mutable_basic_auth()->set_password(redacted);
        break;
      case v1::WebhookAuthentication::kBEARERTOKEN:
        auth->set_bearer_token(redacted);
        break;
      case v1::WebhookAuthentication::kOAUTH2:
        auth->mutable_oauth2()->set_client_secret(redacted);
        break;
      case v1::WebhookAuthentication::KIND_NOT_SET:
        break;
    }
  }
  if (webhook->has_signature_verification()) {
    webhook->mutable_signature_verification()->set_secret(redacted);
  }
}

}  // namespace webhooks
