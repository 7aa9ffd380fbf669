#include "engine/internal/webhook_json.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"

namespace webhooks {
namespace engine_internal {
namespace {

// A field's key, then its value.
void Key(const char* key, std::string* out) {
  out->append(key);
  out->push_back(':');
}

// An enum by name, or by number when it has none (as ToJson writes unknown values).
void AppendEnum(const std::string& name, int number, std::string* out) {
  if (name.empty()) {
    absl::StrAppend(out, number);
  } else {
    AppendJsonString(name, out);
  }
}

// A singular message field: its JSON, or null when unset.
void AppendMessageOrNull(bool present, const google::protobuf::Message& message, std::string* out) {
  if (present) {
    AppendJson(message, out);
  } else {
    out->append("null");
  }
}

// An Org or User field: {"id":...,"name":...}, or null when unset.
void AppendNamedOrNull(bool present, const std::string& id, const std::string& name,
                       std::string* out) {
  if (!present) {
    out->append("null");
    return;
  }
  out->append("{\"id\":");
  AppendJsonString(id, out);
  out->append(",\"name\":");
  AppendJsonString(name, out);
  out->push_back('}');
}

}  // namespace

void AppendWebhookJson(const v1::Webhook& webhook, std::string* out) {
  Key("{\"id\"", out);
  AppendJsonString(webhook.id(), out);
  Key(",\"name\"", out);
  AppendJsonString(webhook.name(), out);
  Key(",\"description\"", out);
  if (webhook.has_description()) {
    AppendJsonString(webhook.description(), out);
  } else {
    out->append("null");
  }
  Key(",\"org\"", out);
  AppendNamedOrNull(webhook.has_org(), webhook.org().id(), webhook.org().name(), out);
  Key(",\"url\"", out);
  AppendJsonString(webhook.url(), out);
  Key(",\"url_params\"", out);  // null_when_empty; keys sorted.
  if (webhook.url_params().empty()) {
    out->append("null");
  } else {
    std::vector<std::pair<const std::string*, const std::string*>> params;
    for (const auto& [key, value] : webhook.url_params()) params.emplace_back(&key, &value);
    std::sort(params.begin(), params.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    out->push_back('{');
    for (size_t i = 0; i < params.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(*params[i].first, out);
      out->push_back(':');
      AppendJsonString(*params[i].second, out);
    }
    out->push_back('}');
  }
  Key(",\"events\"", out);
  out->push_back('[');
  for (int i = 0; i < webhook.events_size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendEnum(v1::EventType_Name(webhook.events(i)), webhook.events(i), out);
  }
  out->push_back(']');
  Key(",\"authentication\"", out);
  AppendMessageOrNull(webhook.has_authentication(), webhook.authentication(), out);
  Key(",\"signature_verification\"", out);
  AppendMessageOrNull(webhook.has_signature_verification(), webhook.signature_verification(), out);
  Key(",\"additional_headers\"", out);  // null_when_empty.
  if (webhook.additional_headers().empty()) {
    out->append("null");
  } else {
    out->push_back('[');
    for (int i = 0; i < webhook.additional_headers_size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"key\":");
      AppendJsonString(webhook.additional_headers(i).key(), out);
      out->append(",\"value\":");
      AppendJsonString(webhook.additional_headers(i).value(), out);
      out->push_back('}');
    }
    out->push_back(']');
  }
  Key(",\"creation_time_in_millis\"", out);
  absl::StrAppend(out, webhook.creation_time_in_millis());
  Key(",\"modification_time_in_millis\"", out);
  absl::StrAppend(out, webhook.modification_time_in_millis());
  Key(",\"created_by\"", out);
  AppendNamedOrNull(webhook.has_created_by(), webhook.created_by().id(),
                    webhook.created_by().name(), out);
  Key(",\"last_modified_by\"", out);
  AppendNamedOrNull(webhook.has_last_modified_by(), webhook.last_modified_by().id(),
                    webhook.last_modified_by().name(), out);
  Key(",\"storage_destination\"", out);
  AppendMessageOrNull(webhook.has_storage_destination(), webhook.storage_destination(), out);
  Key(",\"status\"", out);
  if (webhook.has_status()) {
    AppendEnum(v1::WebhookStatus_Name(webhook.status()), webhook.status(), out);
  } else {
    out->append("null");
  }
  out->push_back('}');
}

}  // namespace engine_internal
}  // namespace webhooks
