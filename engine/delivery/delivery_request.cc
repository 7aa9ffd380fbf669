#include "engine/delivery/delivery_request.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/base/uri_encoding.h"
#include "engine/delivery/signing.h"

namespace webhooks {
namespace engine_internal {
namespace {

// A file name safe inside a quoted Content-Disposition parameter.
std::string QuotedFileName(absl::string_view name) {
  std::string safe;
  for (const char c : name) {
    if (c == '"') {
      safe += "%22";
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      safe.push_back(c);
    }
  }
  return safe;
}

}  // namespace

std::string MessageUniqueId(absl::string_view event_id) {
  // The first 128 bits of a keyed SHA-256 of the event id, written as an RFC 9562 version 8
  // (custom) UUID: version nibble 8, variant bits 10.
  std::string hex = HmacSha256Hex("webhookd msgUniqueId", event_id).substr(0, 32);
  hex[12] = '8';
  const int variant = absl::ascii_isdigit(hex[16]) ? hex[16] - '0' : hex[16] - 'a' + 10;
  hex[16] = "89ab"[variant & 0x3];
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

std::string FormatIso8601(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

v1::WebhookPayload BuildPayload(const v1::LiveboardScheduleRun& run, const v1::Webhook& webhook,
                                const std::string& event_id, absl::Time now,
                                const ProductInfo& product) {
  v1::WebhookPayload payload;
  payload.set_eventid(event_id);
  payload.set_timestamp(FormatIso8601(now));
  payload.set_eventtype(v1::LIVEBOARD_SCHEDULE);
  payload.set_schemaversion("1.0");
  v1::PayloadSource* source = payload.mutable_source();
  source->set_applicationname(product.application_name);
  source->set_applicationurl(product.application_url);
  source->set_instanceid(product.instance_id);
  source->set_orgid(webhook.org().id());
  if (run.has_actor()) {
    *payload.mutable_actor() = run.actor();
  } else {
    payload.mutable_actor()->set_actortype("SYSTEM");
  }
  v1::PayloadMetadataObject* object = payload.mutable_metadataobject();
  object->set_objecttype("LIVEBOARD");
  object->set_id(run.liveboard_id());
  object->set_name(run.has_view()
                       ? absl::StrCat(run.liveboard_name(), " (View: ", run.view().viewname(), ")")
                       : run.liveboard_name());
  if (run.has_liveboard_url()) object->set_url(run.liveboard_url());
  v1::LiveboardScheduleData* data = payload.mutable_data();
  *data->mutable_scheduledetails() = run.schedule();
  v1::ScheduleDetails* schedule = data->mutable_scheduledetails();
  if (!run.run_id().empty()) schedule->set_runid(run.run_id());
  // ThoughtSpot's payloads always carry the export request of the schedule.
  v1::ExportRequest* export_request = schedule->mutable_exportrequest();
  if (export_request->object_type().empty()) export_request->set_object_type("LIVEBOARD");
  if (export_request->request_type().empty()) export_request->set_request_type("SCHEDULE");
  *data->mutable_recipients() = run.recipients();
  if (run.has_view()) *data->mutable_viewinfo() = run.view();
  data->set_aihighlights(run.ai_highlights());  // "" when there are none, as ThoughtSpot sends.
  data->set_msguniqueid(MessageUniqueId(event_id));
  data->set_channelid(webhook.id());
  data->set_channeltype("webhook");
  data->set_communicationtype("LiveboardSchedules");
  return payload;
}

std::string MultipartBody(absl::string_view boundary, absl::string_view payload_json,
                          const google::protobuf::RepeatedPtrField<v1::EventFile>& files) {
  std::string body = absl::StrCat("--", boundary,
                                  "\r\nContent-Disposition: form-data; name=\"payload\"\r\n"
                                  "Content-Type: application/json\r\n\r\n",
                                  payload_json, "\r\n");
  for (const v1::EventFile& file : files) {
    absl::StrAppend(&body, "--", boundary,
                    "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"",
                    QuotedFileName(file.name()), "\"\r\nContent-Type: ",
                    file.mime_type().empty() ? "application/octet-stream" : file.mime_type(),
                    "\r\n\r\n", file.content(), "\r\n");
  }
  absl::StrAppend(&body, "--", boundary, "--\r\n");
  return body;
}

std::string NewBoundary(absl::string_view random_hex, absl::string_view payload_json,
                        const google::protobuf::RepeatedPtrField<v1::EventFile>& files) {
  for (int attempt = 0;; ++attempt) {
    std::string boundary = absl::StrCat("webhookd-", random_hex);
    if (attempt > 0) absl::StrAppend(&boundary, "-", attempt);
    bool clash = absl::StrContains(payload_json, boundary);
    for (const v1::EventFile& file : files) {
      clash = clash || absl::StrContains(file.content(), boundary);
    }
    if (!clash) return boundary;
  }
}

std::string UrlWithParams(absl::string_view url,
                          const google::protobuf::Map<std::string, std::string>& params) {
  std::string result(url.substr(0, url.find('#')));
  if (params.empty()) return result;
  if (!absl::StrContains(result, '?')) {
    result.push_back('?');
  } else if (!absl::EndsWith(result, "?") && !absl::EndsWith(result, "&")) {
    result.push_back('&');
  }
  const std::map<std::string, std::string> sorted(params.begin(), params.end());
  bool first = true;
  for (const auto& [key, value] : sorted) {
    if (!first) result.push_back('&');
    first = false;
    absl::StrAppend(&result, UriEncode(key), "=", UriEncode(value));
  }
  return result;
}

std::string BearerValue(absl::string_view token) {
  if (token.size() > 7 && absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ")) {
    token.remove_prefix(7);
  }
  return absl::StrCat("Bearer ", absl::StripAsciiWhitespace(token));
}

std::vector<std::pair<std::string, std::string>> AttemptHeaders(
    const v1::Webhook& webhook, absl::string_view event_id, absl::string_view boundary,
    absl::string_view body, absl::Time timestamp, absl::string_view user_agent,
    absl::string_view oauth_access_token, absl::string_view previous_secret) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", absl::StrCat("multipart/form-data; boundary=", boundary)},
      {"User-Agent", std::string(user_agent)},
      {"Idempotency-Key", std::string(event_id)},
  };
  const v1::WebhookAuthentication& auth = webhook.authentication();
  switch (auth.kind_case()) {
    case v1::WebhookAuthentication::kAPIKEY:
      headers.emplace_back(auth.api_key().key(), auth.api_key().value());
      break;
    case v1::WebhookAuthentication::kBASICAUTH:
      headers.emplace_back(
          "Authorization",
          absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(auth.basic_auth().username(), ":",
                                                                 auth.basic_auth().password()))));
      break;
    case v1::WebhookAuthentication::kBEARERTOKEN:
      headers.emplace_back("Authorization", BearerValue(auth.bearer_token()));
      break;
    case v1::WebhookAuthentication::kOAUTH2:
      headers.emplace_back("Authorization", BearerValue(oauth_access_token));
      break;
    case v1::WebhookAuthentication::KIND_NOT_SET:
      break;
  }
  for (const v1::KeyValue& header : webhook.additional_headers()) {
    headers.emplace_back(header.key(), header.value());
  }
  if (webhook.has_signature_verification()) {
    const v1::SignatureVerification& signature = webhook.signature_verification();
    const int64_t seconds = absl::ToUnixSeconds(timestamp);
    headers.emplace_back(signature.header(), HmacSha256Hex(signature.secret(), body));
    headers.emplace_back("webhook-id", std::string(event_id));
    headers.emplace_back("webhook-timestamp", absl::StrCat(seconds));
    std::string signatures = StandardWebhooksSignature(signature.secret(), event_id, seconds, body);
    if (!previous_secret.empty()) {
      absl::StrAppend(&signatures, " ",
                      StandardWebhooksSignature(previous_secret, event_id, seconds, body));
    }
    headers.emplace_back("webhook-signature", std::move(signatures));
  }
  return headers;
}

}  // namespace engine_internal
}  // namespace webhooks
