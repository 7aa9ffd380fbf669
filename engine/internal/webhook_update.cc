#include "engine/internal/webhook_update.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "engine/base/status_macros.h"
#include "engine/redaction.h"
#include "google/protobuf/struct.pb.h"

namespace webhooks {
namespace engine_internal {
namespace {

absl::Status UrlParamsFromJson(const google::protobuf::Struct& json,
                               google::protobuf::Map<std::string, std::string>* params) {
  params->clear();
  for (const auto& [key, value] : json.fields()) {
    switch (value.kind_case()) {
      case google::protobuf::Value::kStringValue:
        (*params)[key] = value.string_value();
        break;
      case google::protobuf::Value::kNumberValue:
      case google::protobuf::Value::kBoolValue:
        (*params)[key] = ToJson(value);  // 5, 1.5, true: their JSON text.
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("url_params.", key, " must be a string, a number or a boolean, not ",
                         value.kind_case() == google::protobuf::Value::kStructValue ? "an object"
                         : value.kind_case() == google::protobuf::Value::kListValue ? "a list"
                                                                                    : "null"));
    }
  }
  return absl::OkStatus();
}

absl::Status HeadersFromJson(const google::protobuf::ListValue& json,
                             google::protobuf::RepeatedPtrField<v1::KeyValue>* headers) {
  headers->Clear();
  for (int i = 0; i < json.values_size(); ++i) {
    const auto& fields = json.values(i).struct_value().fields();
    const auto key = fields.find("key");
    const auto value = fields.find("value");
    if (fields.size() != 2 || key == fields.end() || value == fields.end() ||
        key->second.kind_case() != google::protobuf::Value::kStringValue ||
        value->second.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::InvalidArgumentError(absl::StrCat(
          "additional_headers[", i, "] must be an object with string fields key and value"));
    }
    v1::KeyValue* header = headers->Add();
    header->set_key(key->second.string_value());
    header->set_value(value->second.string_value());
  }
  return absl::OkStatus();
}

// A secret sent back as "***" (as a search shows it) keeps the stored secret of the same
// configuration; any other "***" is refused by validation. An OAuth2 client secret is kept only
// for the same authorization_url and client_id: it must never go to a token endpoint or client
// it was not given for, so a change of either without the secret is kInvalidArgument.
absl::Status RestoreRedactedSecrets(const v1::Webhook& stored, v1::Webhook* updated) {
  auto keep = [](const std::string& old_value, std::string* value) {
    if (*value == kRedacted) *value = old_value;
  };
  const v1::WebhookAuthentication& old_auth = stored.authentication();
  if (updated->has_authentication() && stored.has_authentication() &&
      updated->authentication().kind_case() == old_auth.kind_case()) {
    v1::WebhookAuthentication* auth = updated->mutable_authentication();
    switch (auth->kind_case()) {
      case v1::WebhookAuthentication::kAPIKEY:
        keep(old_auth.api_key().value(), auth->mutable_api_key()->mutable_value());
        break;
      case v1::WebhookAuthentication::kBASICAUTH:
        keep(old_auth.basic_auth().password(), auth->mutable_basic_auth()->mutable_password());
        break;
      case v1::WebhookAuthentication::kBEARERTOKEN:
        keep(old_auth.bearer_token(), auth->mutable_bearer_token());
        break;
      case v1::WebhookAuthentication::kOAUTH2: {
        const v1::OAuth2Authentication& old_oauth = old_auth.oauth2();
        v1::OAuth2Authentication* oauth = auth->mutable_oauth2();
        if (oauth->client_secret() == kRedacted &&
            (oauth->authorization_url() != old_oauth.authorization_url() ||
             oauth->client_id() != old_oauth.client_id())) {
          return absl::InvalidArgumentError(
              "authentication.OAUTH2.client_secret must be given again, not as \"***\", when "
              "authorization_url or client_id changes");
        }
        keep(old_oauth.client_secret(), oauth->mutable_client_secret());
        break;
      }
      case v1::WebhookAuthentication::KIND_NOT_SET:
        break;
    }
  }
  if (updated->has_signature_verification() && stored.has_signature_verification()) {
    keep(stored.signature_verification().secret(),
         updated->mutable_signature_verification()->mutable_secret());
  }
  return absl::OkStatus();
}

// Whether `auth` names a kind. `{"BEARER_TOKEN": null}` (every key null) is no authentication,
// as if `authentication` were absent or null.
bool GivesAuthentication(const v1::WebhookAuthentication& auth) {
  return auth.kind_case() != v1::WebhookAuthentication::KIND_NOT_SET;
}

}  // namespace

absl::StatusOr<v1::Webhook> WebhookFromRequest(const v1::CreateWebhookRequest& request) {
  v1::Webhook webhook;
  webhook.set_name(request.name());
  if (request.has_description()) webhook.set_description(request.description());
  webhook.set_url(request.url());
  RETURN_IF_ERROR(UrlParamsFromJson(request.url_params(), webhook.mutable_url_params()));
  *webhook.mutable_events() = request.events();
  if (GivesAuthentication(request.authentication())) {
    *webhook.mutable_authentication() = request.authentication();
  }
  if (request.has_signature_verification()) {
    *webhook.mutable_signature_verification() = request.signature_verification();
  }
  *webhook.mutable_additional_headers() = request.additional_headers();
  if (request.has_storage_destination()) {
    *webhook.mutable_storage_destination() = request.storage_destination();
  }
  if (request.has_status()) webhook.set_status(request.status());
  return webhook;
}

// Applies `request` to a copy of `stored`: first reset_options, then every field given.
absl::StatusOr<v1::Webhook> ApplyUpdate(const v1::Webhook& stored,
                                        const v1::UpdateWebhookRequest& request) {
  v1::Webhook updated = stored;
  for (int i = 0; i < request.reset_options_size(); ++i) {
    const std::string field = absl::StrCat("reset_options[", i, "]");
    bool conflict = false;
    switch (request.reset_options(i)) {
      case v1::AUTHENTICATION:
        conflict = GivesAuthentication(request.authentication());
        updated.clear_authentication();
        break;
      case v1::SIGNATURE_VERIFICATION:
        conflict = request.has_signature_verification();
        updated.clear_signature_verification();
        break;
      case v1::STORAGE_DESTINATION:
        conflict = request.has_storage_destination();
        updated.clear_storage_destination();
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            field, " must be AUTHENTICATION, SIGNATURE_VERIFICATION or STORAGE_DESTINATION"));
    }
    if (conflict) {
      return absl::InvalidArgumentError(absl::StrCat(field, " removes ",
                                                     v1::ResetOption_Name(request.reset_options(i)),
                                                     ", which the same request also sets"));
    }
  }
  if (request.has_name()) updated.set_name(request.name());
  if (request.has_description()) updated.set_description(request.description());
  if (request.has_url()) updated.set_url(request.url());
  if (request.has_url_params()) {
    RETURN_IF_ERROR(UrlParamsFromJson(request.url_params(), updated.mutable_url_params()));
  }
  if (!request.events().empty()) *updated.mutable_events() = request.events();
  if (GivesAuthentication(request.authentication())) {
    *updated.mutable_authentication() = request.authentication();
  } else if (request.has_authentication()) {
    updated.clear_authentication();  // Every key null: no authentication.
  }
  if (request.has_signature_verification()) {
    *updated.mutable_signature_verification() = request.signature_verification();
  }
  if (request.has_storage_destination()) {
    *updated.mutable_storage_destination() = request.storage_destination();
  }
  if (request.has_additional_headers()) {
    RETURN_IF_ERROR(
        HeadersFromJson(request.additional_headers(), updated.mutable_additional_headers()));
  }
  if (request.has_status()) updated.set_status(request.status());
  RETURN_IF_ERROR(RestoreRedactedSecrets(stored, &updated));
  return updated;
}

absl::StatusOr<state::StateBatch> DisableFailingWebhook(const v1::Webhook* stored,
                                                        int64_t now_millis) {
  if (stored == nullptr) return absl::NotFoundError("the webhook no longer exists");
  if (stored->has_status() && stored->status() == v1::DISABLED) {
    return absl::FailedPreconditionError("the webhook is disabled already");
  }
  state::StateBatch batch;
  v1::Webhook* disabled = batch.add_records()->mutable_put_webhook();
  *disabled = *stored;
  disabled->set_status(v1::DISABLED);
  disabled->set_modification_time_in_millis(now_millis);
  disabled->clear_last_modified_by();
  return batch;
}

}  // namespace engine_internal
}  // namespace webhooks
