// How a delivery's HTTP request is made: the payload of an event, the multipart body, the URL
// with its url_params, and the headers of one attempt (authentication, custom headers,
// signatures). Pure functions, so each is tested on its own.
#ifndef WEBHOOKS_ENGINE_DELIVERY_DELIVERY_REQUEST_H_
#define WEBHOOKS_ENGINE_DELIVERY_DELIVERY_REQUEST_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/delivery/delivery_options.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/delivery.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// "2025-08-29T09:25:32Z".
std::string FormatIso8601(absl::Time time);

// The payload's msgUniqueId of event `event_id`: a UUID of its own (not the event id, as in
// ThoughtSpot's payloads), derived from the event id so that every attempt and every rebuild
// of the payload carries the same one.
std::string MessageUniqueId(absl::string_view event_id);

// The payload of `run` for `webhook` (schemaVersion "1.0"). The export request is the run's
// `schedule.exportRequest`, with object_type "LIVEBOARD" and request_type "SCHEDULE" if empty.
v1::WebhookPayload BuildPayload(const v1::LiveboardScheduleRun& run, const v1::Webhook& webhook,
                                const std::string& event_id, absl::Time now,
                                const ProductInfo& product);

// A multipart/form-data body: a part named "payload" holding `payload_json`
// (application/json), then a part named "file" for each file. `boundary` must not occur in
// any of them (see NewBoundary).
std::string MultipartBody(absl::string_view boundary, absl::string_view payload_json,
                          const google::protobuf::RepeatedPtrField<v1::EventFile>& files);

// A boundary that occurs in none of the parts, from `random_hex` (tried with a counter suffix
// until it fits).
std::string NewBoundary(absl::string_view random_hex, absl::string_view payload_json,
                        const google::protobuf::RepeatedPtrField<v1::EventFile>& files);

// `url` with `params` appended as URL-encoded query parameters (sorted by key), before any
// fragment, which is dropped.
std::string UrlWithParams(absl::string_view url,
                          const google::protobuf::Map<std::string, std::string>& params);

// The value of an `Authorization: Bearer` header for `token`, which users may give with or
// without its "Bearer " prefix (ThoughtSpot's own example includes it).
std::string BearerValue(absl::string_view token);

// Headers of one attempt to deliver `body` (whose Content-Type is multipart with `boundary`)
// as event `event_id` at `timestamp`: Content-Type, User-Agent, the idempotency key, the
// credential (`oauth_access_token` stands in for OAuth2, which the caller fetches), the
// additional headers, and, when the webhook signs, its hex HMAC header plus the Standard
// Webhooks headers webhook-id, webhook-timestamp and webhook-signature. `previous_secret`, if
// not empty, is the secret the webhook's replaced, still valid (SecretRotations):
// webhook-signature then holds a second entry made with it, after the new secret's, while the
// hex header is signed with the new secret only (it holds one value).
std::vector<std::pair<std::string, std::string>> AttemptHeaders(
    const v1::Webhook& webhook, absl::string_view event_id, absl::string_view boundary,
    absl::string_view body, absl::Time timestamp, absl::string_view user_agent,
    absl::string_view oauth_access_token, absl::string_view previous_secret);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_DELIVERY_REQUEST_H_
