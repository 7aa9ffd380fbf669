#include "engine/redaction.h"

#include <string>
#include <utility>

namespace webhooks {
namespace {

// The fields of `webhook` that hold its secrets, each null when the webhook has none there.
struct SecretFields {
  std::string* authentication = nullptr;
  std::string* signing = nullptr;
};

SecretFields SecretFieldsOf(v1::Webhook* webhook) {
  SecretFields fields;
  if (webhook->has_authentication()) {
    v1::WebhookAuthentication* auth = webhook->mutable_authentication();
    switch (auth->kind_case()) {
      case v1::WebhookAuthentication::kAPIKEY:
        fields.authentication = auth->mutable_api_key()->mutable_value();
        break;
      case v1::WebhookAuthentication::kBASICAUTH:
        fields.authentication = auth->mutable_basic_auth()->mutable_password();
        break;
      case v1::WebhookAuthentication::kBEARERTOKEN:
        fields.authentication = auth->mutable_bearer_token();
        break;
      case v1::WebhookAuthentication::kOAUTH2:
        fields.authentication = auth->mutable_oauth2()->mutable_client_secret();
        break;
      case v1::WebhookAuthentication::KIND_NOT_SET:
        break;
    }
  }
  if (webhook->has_signature_verification()) {
    fields.signing = webhook->mutable_signature_verification()->mutable_secret();
  }
  return fields;
}

// Moves `*field` (if any) into `*taken` and leaves the placeholder in its place.
void Take(std::string* field, std::string* taken) {
  if (field == nullptr) return;
  *taken = std::move(*field);
  field->assign(kRedacted.data(), kRedacted.size());
}

}  // namespace

void RedactSecrets(v1::Webhook* webhook) { TakeSecrets(webhook); }

WebhookSecrets TakeSecrets(v1::Webhook* webhook) {
  const SecretFields fields = SecretFieldsOf(webhook);
  WebhookSecrets secrets;
  Take(fields.authentication, &secrets.authentication);
  Take(fields.signing, &secrets.signing);
  return secrets;
}

void RestoreSecrets(WebhookSecrets secrets, v1::Webhook* webhook) {
  const SecretFields fields = SecretFieldsOf(webhook);
  if (fields.authentication != nullptr) *fields.authentication = std::move(secrets.authentication);
  if (fields.signing != nullptr) *fields.signing = std::move(secrets.signing);
}

}  // namespace webhooks
