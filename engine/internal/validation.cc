#include "engine/internal/validation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/redaction.h"

namespace webhooks {
namespace engine_internal {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, " ", rule));
}

bool HasControlCharacter(absl::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A plain value: present, bounded, and free of control characters (so never CR or LF, which
// could split an HTTP header).
absl::Status CheckText(absl::string_view field, absl::string_view value, int max_length) {
  if (value.empty()) return Invalid(field, "is required");
  if (value.size() > static_cast<size_t>(max_length)) {
    return Invalid(field, absl::StrCat("must be at most ", max_length, " characters"));
  }
  if (HasControlCharacter(value)) return Invalid(field, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status CheckSecret(absl::string_view field, absl::string_view value, int max_length) {
  RETURN_IF_ERROR(CheckText(field, value, max_length));
  if (value == kRedacted) {
    return Invalid(field, "must be the secret itself, not the redacted placeholder \"***\"");
  }
  return absl::OkStatus();
}

absl::Status CheckHeaderName(absl::string_view field, absl::string_view name, int max_length) {
  RETURN_IF_ERROR(CheckText(field, name, max_length));
  if (!IsHeaderName(name)) {
    return Invalid(field, "must be a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~)");
  }
  return absl::OkStatus();
}

// Whether the delivery sets header `name` itself on every attempt of `webhook` (see
// AttemptHeaders): the framing and content headers, User-Agent, Idempotency-Key, the Standard
// Webhooks signature headers, and Authorization when the webhook's authentication sends it. A
// header the webhook configures (API key, signature, additional header) must not replace or
// repeat them.
bool DeliverySetsHeader(const v1::Webhook& webhook, absl::string_view name) {
  static const auto* const kAlwaysSet = new absl::flat_hash_set<std::string>{
      "content-type",      "content-length", "host",       "transfer-encoding",
      "connection",        "webhook-id",     "user-agent", "webhook-timestamp",
      "webhook-signature", "idempotency-key"};
  const std::string lower = absl::AsciiStrToLower(name);
  if (kAlwaysSet->contains(lower)) return true;
  switch (webhook.authentication().kind_case()) {
    case v1::WebhookAuthentication::kBASICAUTH:
    case v1::WebhookAuthentication::kBEARERTOKEN:
    case v1::WebhookAuthentication::kOAUTH2:
      return lower == "authorization";
    default:
      return false;
  }
}

absl::Status CheckOwnHeaderName(const v1::Webhook& webhook, absl::string_view field,
                                absl::string_view name, int max_length) {
  RETURN_IF_ERROR(CheckHeaderName(field, name, max_length));
  if (DeliverySetsHeader(webhook, name)) {
    return Invalid(field, absl::StrCat("'", name, "' is set by the delivery itself"));
  }
  return absl::OkStatus();
}

absl::Status CheckAuthentication(const v1::Webhook& webhook, const EngineLimits& limits) {
  const v1::WebhookAuthentication& auth = webhook.authentication();
  const int max = limits.max_value_length;
  switch (auth.kind_case()) {
    case v1::WebhookAuthentication::kAPIKEY:
      // ThoughtSpot's spec calls `key` "the header or query parameter name" without a rule for
      // choosing; webhookd always sends a header, since a key in the query would put the secret
      // in URLs, which history details and logs quote.
      if (absl::StartsWith(auth.api_key().key(), "?")) {
        return Invalid("authentication.API_KEY.key",
                       "must be a header name: the API key is always sent as a request header, "
                       "never as a query parameter");
      }
      RETURN_IF_ERROR(CheckOwnHeaderName(webhook, "authentication.API_KEY.key",
                                         auth.api_key().key(), limits.max_key_length));
      return CheckSecret("authentication.API_KEY.value", auth.api_key().value(), max);
    case v1::WebhookAuthentication::kBASICAUTH:
      RETURN_IF_ERROR(
          CheckText("authentication.BASIC_AUTH.username", auth.basic_auth().username(), max));
      if (absl::StrContains(auth.basic_auth().username(), ':')) {
        return Invalid("authentication.BASIC_AUTH.username", "must not contain ':'");
      }
      return CheckSecret("authentication.BASIC_AUTH.password", auth.basic_auth().password(), max);
    case v1::WebhookAuthentication::kBEARERTOKEN:
      return CheckSecret("authentication.BEARER_TOKEN", auth.bearer_token(), max);
    case v1::WebhookAuthentication::kOAUTH2:
      RETURN_IF_ERROR(ValidateHttpUrl("authentication.OAUTH2.authorization_url",
                                      auth.oauth2().authorization_url(), limits.max_url_length));
      RETURN_IF_ERROR(CheckText("authentication.OAUTH2.client_id", auth.oauth2().client_id(), max));
      return CheckSecret("authentication.OAUTH2.client_secret", auth.oauth2().client_secret(), max);
    case v1::WebhookAuthentication::KIND_NOT_SET:
      break;
  }
  return Invalid("authentication", "must set one of API_KEY, BASIC_AUTH, BEARER_TOKEN, OAUTH2");
}

absl::Status CheckSignature(const v1::Webhook& webhook, const EngineLimits& limits) {
  const v1::SignatureVerification& signature = webhook.signature_verification();
  if (signature.type() != v1::HMAC_SHA256) {
    return Invalid("signature_verification.type", "must be HMAC_SHA256");
  }
  if (signature.algorithm() != v1::SHA256) {
    return Invalid("signature_verification.algorithm", "must be SHA256");
  }
  RETURN_IF_ERROR(CheckOwnHeaderName(webhook, "signature_verification.header", signature.header(),
                                     limits.max_key_length));
  return CheckSecret("signature_verification.secret", signature.secret(), limits.max_value_length);
}

// S3's bucket naming rules: 3 to 63 lower-case letters, digits, '.' and '-', starting and
// ending with a letter or digit (GCS also allows '_': `also`). Bucket names become part of a
// host name or a URL path, so nothing else may pass.
absl::Status CheckBucketName(const std::string& field, const std::string& name,
                             absl::string_view also = "") {
  const auto allowed = [also](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '-' ||
           absl::StrContains(also, c);
  };
  const auto edge = [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); };
  if (name.size() < 3 || name.size() > 63 || !std::all_of(name.begin(), name.end(), allowed) ||
      !edge(name.front()) || !edge(name.back()) || absl::StrContains(name, "..")) {
    return Invalid(field, absl::StrCat("must be a bucket name: 3 to 63 lower-case letters, "
                                       "digits, '.'",
                                       also.empty() ? " and '-'" : ", '-' and '_'",
                                       ", starting and ending with a letter or digit"));
  }
  return absl::OkStatus();
}

// Object keys are at most 1024 bytes; the prefix leaves room for the rest of the key.
absl::Status CheckPathPrefix(const std::string& field, const std::string& prefix) {
  if (HasControlCharacter(prefix)) return Invalid(field, "must not contain control characters");
  if (prefix.size() > 512) return Invalid(field, "must be at most 512 bytes");
  if (absl::StartsWith(prefix, "/")) return Invalid(field, "must not start with '/'");
  return absl::OkStatus();
}

absl::Status CheckStorage(const v1::StorageDestination& storage, const EngineLimits& limits) {
  const int max = limits.max_value_length;
  const v1::StorageConfig& config = storage.storage_config();
  if (!storage.has_storage_config()) {
    return Invalid("storage_destination.storage_config", "is required");
  }
  switch (storage.storage_type()) {
    case v1::AWS_S3: {
      if (!config.has_aws_s3_config()) {
        return Invalid("storage_destination.storage_config.aws_s3_config",
                       "is required when storage_type is AWS_S3");
      }
      if (config.has_gcp_gcs_config()) {
        return Invalid("storage_destination.storage_config.gcp_gcs_config",
                       "must be absent when storage_type is AWS_S3");
      }
      const v1::AwsS3Config& s3 = config.aws_s3_config();
      const std::string prefix = "storage_destination.storage_config.aws_s3_config.";
      RETURN_IF_ERROR(CheckBucketName(prefix + "bucket_name", s3.bucket_name()));
      if (s3.region().empty() || s3.region().size() > 32 ||
          !std::all_of(s3.region().begin(), s3.region().end(), [](char c) {
            return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
          })) {
        return Invalid(prefix + "region",
                       "must be an AWS region name such as us-west-2 (lower-case letters, digits "
                       "and '-', at most 32)");
      }
      RETURN_IF_ERROR(CheckText(prefix + "role_arn", s3.role_arn(), max));
      if (!absl::StartsWith(s3.role_arn(), "arn:aws:iam::") ||
          !absl::StrContains(s3.role_arn(), ":role/")) {
        return Invalid(prefix + "role_arn",
                       "must be an IAM role ARN (arn:aws:iam::<account-id>:role/<name>)");
      }
      if (s3.has_external_id())
        RETURN_IF_ERROR(CheckText(prefix + "external_id", s3.external_id(), max));
      return CheckPathPrefix(prefix + "path_prefix", s3.path_prefix());
    }
    case v1::GCP_GCS: {
      if (!config.has_gcp_gcs_config()) {
        return Invalid("storage_destination.storage_config.gcp_gcs_config",
                       "is required when storage_type is GCP_GCS");
      }
      if (config.has_aws_s3_config()) {
        return Invalid("storage_destination.storage_config.aws_s3_config",
                       "must be absent when storage_type is GCP_GCS");
      }
      const v1::GcpGcsConfig& gcs = config.gcp_gcs_config();
      const std::string prefix = "storage_destination.storage_config.gcp_gcs_config.";
      RETURN_IF_ERROR(CheckBucketName(prefix + "bucket_name", gcs.bucket_name(), "_"));
      // It becomes part of a URL path (IAM's generateAccessToken), so only its own characters.
      const std::string& email = gcs.service_account_email();
      if (email.empty() || email.size() > 254 || std::count(email.begin(), email.end(), '@') != 1 ||
          !std::all_of(email.begin(), email.end(), [](char c) {
            return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '-' ||
                   c == '_' || c == '@';
          })) {
        return Invalid(prefix + "service_account_email",
                       "must be a service account email such as "
                       "name@project.iam.gserviceaccount.com");
      }
      return CheckPathPrefix(prefix + "path_prefix", gcs.path_prefix());
    }
    default:
      return Invalid("storage_destination.storage_type", "must be AWS_S3 or GCP_GCS");
  }
}

absl::Status CheckAdditionalHeaders(const v1::Webhook& webhook, const EngineLimits& limits) {
  const auto& headers = webhook.additional_headers();
  if (headers.size() > limits.max_additional_headers) {
    return Invalid("additional_headers",
                   absl::StrCat("may have at most ", limits.max_additional_headers, " entries"));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < headers.size(); ++i) {
    const std::string field = absl::StrCat("additional_headers[", i, "]");
    RETURN_IF_ERROR(
        CheckOwnHeaderName(webhook, field + ".key", headers[i].key(), limits.max_key_length));
    RETURN_IF_ERROR(CheckText(field + ".value", headers[i].value(), limits.max_value_length));
    if (!seen.insert(absl::AsciiStrToLower(headers[i].key())).second) {
      return Invalid(field + ".key", absl::StrCat("repeats the header '", headers[i].key(), "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUrlParams(const v1::Webhook& webhook, const EngineLimits& limits) {
  if (webhook.url_params_size() > limits.max_url_params) {
    return Invalid("url_params",
                   absl::StrCat("may have at most ", limits.max_url_params, " entries"));
  }
  // In key order, so the same webhook always gets the same first error.
  const std::map<std::string, std::string> sorted(webhook.url_params().begin(),
                                                  webhook.url_params().end());
  for (const auto& [key, value] : sorted) {
    RETURN_IF_ERROR(CheckText("url_params key", key, limits.max_key_length));
    if (value.size() > static_cast<size_t>(limits.max_value_length) || HasControlCharacter(value)) {
      return Invalid(absl::StrCat("url_params.", key),
                     absl::StrCat("must be at most ", limits.max_value_length,
                                  " characters without control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEvents(const v1::Webhook& webhook) {
  if (webhook.events().empty()) {
    return absl::InvalidArgumentError(
        "At least one event type must be specified in the events field.");
  }
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < webhook.events_size(); ++i) {
    const int event = webhook.events(i);
    if (event != v1::LIVEBOARD_SCHEDULE) {
      return Invalid(absl::StrCat("events[", i, "]"), "must be LIVEBOARD_SCHEDULE");
    }
    if (!seen.insert(event).second) {
      return Invalid(absl::StrCat("events[", i, "]"), "repeats an event type");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsHeaderName(absl::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("!#$%&'*+-.^_`|~", c)) return false;
  }
  return true;
}

absl::Status ValidateHttpUrl(absl::string_view field, absl::string_view url, int max_length) {
  RETURN_IF_ERROR(CheckText(field, url, max_length));
  for (const char c : url) {
    if (c == ' ') return Invalid(field, "must not contain spaces");
  }
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  size_t scheme_end;
  if (absl::StartsWith(lower, "https://")) {
    scheme_end = 8;
  } else if (absl::StartsWith(lower, "http://")) {
    scheme_end = 7;
  } else {
    return Invalid(field, "must be an absolute http or https URL");
  }
  const absl::string_view rest = url.substr(scheme_end);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (absl::StrContains(authority, '@')) {
    return Invalid(field, "must not contain user credentials; use authentication instead");
  }
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {  // IPv6 literal.
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Invalid(field, "has an unterminated IPv6 host");
    host = authority.substr(0, close + 1);
    const absl::string_view after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return Invalid(field, "has a malformed host");
    if (!after.empty()) port = after.substr(1);
  } else if (const size_t colon = authority.find(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return Invalid(field, "must name a host");
  if (!port.empty()) {
    int number = 0;
    if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return Invalid(field, "must have a port from 1 to 65535");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateWebhook(const v1::Webhook& webhook, const EngineLimits& limits) {
  RETURN_IF_ERROR(CheckText("name", webhook.name(), limits.max_name_length));
  if (webhook.description().size() > static_cast<size_t>(limits.max_description_length)) {
    return Invalid("description",
                   absl::StrCat("must be at most ", limits.max_description_length, " characters"));
  }
  RETURN_IF_ERROR(ValidateHttpUrl("url", webhook.url(), limits.max_url_length));
  RETURN_IF_ERROR(CheckUrlParams(webhook, limits));
  RETURN_IF_ERROR(CheckEvents(webhook));
  if (webhook.has_authentication()) {
    RETURN_IF_ERROR(CheckAuthentication(webhook, limits));
  }
  if (webhook.has_signature_verification()) {
    RETURN_IF_ERROR(CheckSignature(webhook, limits));
  }
  RETURN_IF_ERROR(CheckAdditionalHeaders(webhook, limits));
  if (webhook.has_storage_destination()) {
    RETURN_IF_ERROR(CheckStorage(webhook.storage_destination(), limits));
  }
  if (webhook.has_status() && webhook.status() != v1::ENABLED && webhook.status() != v1::DISABLED) {
    return Invalid("status", "must be ENABLED or DISABLED");
  }
  return absl::OkStatus();
}

absl::Status CheckEventType(absl::string_view field, int event_type) {
  if (event_type == v1::LIVEBOARD_SCHEDULE) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " must be LIVEBOARD_SCHEDULE"));
}

absl::Status CheckWebhookChannel(int channel_type) {
  if (channel_type == v1::WEBHOOK) return absl::OkStatus();
  if (channel_type == v1::CHANNEL_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        "channel_type must be specified. Currently only WEBHOOK is supported.");
  }
  const std::string name = v1::Channel_IsValid(channel_type)
                               ? v1::Channel_Name(static_cast<v1::Channel>(channel_type))
                               : absl::StrCat(channel_type);
  return absl::InvalidArgumentError(
      absl::StrCat("channel_type must be WEBHOOK, not ", name, ": only WEBHOOK is supported"));
}

absl::Status ValidatePublishedEvent(const v1::PublishEventRequest& request,
                                    int64_t max_file_bytes) {
  const v1::LiveboardScheduleRun& run = request.run();
  const std::pair<const char*, const std::string*> required[] = {
      {"run.liveboard_id", &run.liveboard_id()},
      {"run.liveboard_name", &run.liveboard_name()},
      {"run.schedule.scheduleId", &run.schedule().scheduleid()},
      {"run.schedule.name", &run.schedule().name()},
  };
  for (const auto& [field, value] : required) {
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  }
  int64_t total = 0;
  absl::flat_hash_map<absl::string_view, int> names;  // File name -> its first index.
  for (int i = 0; i < request.files_size(); ++i) {
    const v1::EventFile& file = request.files(i);
    const std::string field = absl::StrCat("files[", i, "]");
    if (file.name().empty() || file.name().size() > 255 || HasControlCharacter(file.name())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name is required: at most 255 characters, no control characters"));
    }
    if (!file.mime_type().empty() && (HasControlCharacter(file.mime_type()) ||
                                      file.mime_type().find('/') == std::string::npos)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".mime_type must be a MIME type such as application/pdf"));
    }
    if (const auto [first, added] = names.emplace(file.name(), i); !added) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name repeats files[", first->second,
                       "].name: the files of one event need different names (they are stored "
                       "under them)"));
    }
    total += file.content().size();
  }
  if (total > max_file_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("files hold ", total, " bytes; at most ",
                                                   max_file_bytes, " are allowed per event"));
  }
  return absl::OkStatus();
}

namespace {

// Checks the creation-time window of a history search or a replay: finite epochs.
template <typename Request>
absl::Status CheckTimeWindow(const Request& request) {
  for (const auto& [field, present, millis] :
       {std::tuple<const char*, bool, double>{"start_epoch_time_in_millis",
                                              request.has_start_epoch_time_in_millis(),
                                              request.start_epoch_time_in_millis()},
        {"end_epoch_time_in_millis", request.has_end_epoch_time_in_millis(),
         request.end_epoch_time_in_millis()}}) {
    if (present && !std::isfinite(millis)) {  // protobuf's parser takes "NaN" and "Infinity".
      return absl::InvalidArgumentError(absl::StrCat(field, " must be a finite number"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateHistoryRequest(const v1::SearchChannelHistoryRequest& request) {
  RETURN_IF_ERROR(CheckWebhookChannel(request.channel_type()));
  for (const auto& [field, size] : {std::pair<const char*, int>{"job_ids", request.job_ids_size()},
                                    {"channel_identifiers", request.channel_identifiers_size()},
                                    {"events", request.events_size()}}) {
    if (size > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " may have at most one element for channel_type WEBHOOK"));
    }
  }
  if (request.job_ids().empty() &&
      (request.channel_identifiers().empty() || request.events().empty())) {
    return absl::InvalidArgumentError(
        "channel_identifiers and events must each have exactly one element when job_ids is "
        "not given");
  }
  if (!request.events().empty()) {
    RETURN_IF_ERROR(CheckEventType("events[0].type", request.events(0).type()));
  }
  return CheckTimeWindow(request);
}

absl::Status ValidateReplayRequest(const v1::ReplayFailedJobsRequest& request) {
  if (request.webhook_identifier().empty()) {
    return absl::InvalidArgumentError("webhook_identifier is required");
  }
  RETURN_IF_ERROR(CheckTimeWindow(request));
  if (request.has_start_epoch_time_in_millis() && request.has_end_epoch_time_in_millis() &&
      !(request.start_epoch_time_in_millis() < request.end_epoch_time_in_millis())) {
    return absl::InvalidArgumentError(
        "start_epoch_time_in_millis must be before end_epoch_time_in_millis");
  }
  return absl::OkStatus();
}

}  // namespace engine_internal
}  // namespace webhooks
