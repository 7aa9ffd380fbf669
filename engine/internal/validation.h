// Validation of a webhook's configuration. Every error is kInvalidArgument with a message that
// names the field (in request terms, e.g. "authentication.API_KEY.key") and the rule broken;
// no message ever contains a secret.
#ifndef WEBHOOKS_ENGINE_INTERNAL_VALIDATION_H_
#define WEBHOOKS_ENGINE_INTERNAL_VALIDATION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/limits.h"
#include "proto/delivery.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// Checks everything a caller configures on `webhook` (not id, org, times or authors).
absl::Status ValidateWebhook(const v1::Webhook& webhook, const EngineLimits& limits);

// True if `name` is an HTTP header name: a non-empty RFC 9110 token.
bool IsHeaderName(absl::string_view name);

// Checks that `url` is an absolute http or https URL with a host, no credentials and no
// whitespace or control characters, of at most `max_length` bytes.
absl::Status ValidateHttpUrl(absl::string_view field, absl::string_view url, int max_length);

// kInvalidArgument naming `field` unless `event_type` is LIVEBOARD_SCHEDULE, the one event type.
absl::Status CheckEventType(absl::string_view field, int event_type);

// kInvalidArgument naming `channel_type` unless `channel_type` is WEBHOOK: validate and the
// delivery history know webhook channels only (the Channel enum, which preferences share, also
// has EMAIL). Unset is ThoughtSpot's "channel_type must be specified" error.
absl::Status CheckWebhookChannel(int channel_type);

// Checks a delivery history search with ThoughtSpot's rules for channel_type WEBHOOK: `job_ids`
// (at most one) alone, or exactly one channel identifier and one event, with finite epochs.
absl::Status ValidateHistoryRequest(const v1::SearchChannelHistoryRequest& request);

// Checks a replay of failed deliveries: a webhook identifier, finite epochs, start before end.
absl::Status ValidateReplayRequest(const v1::ReplayFailedJobsRequest& request);

// Checks the parts of a published run that the payload and the multipart body rely on: the
// liveboard and schedule ids and names are required; file names are 1-255 characters without
// control characters, different from each other (they name stored objects); MIME types look
// like one; the files hold at most `max_file_bytes` in all.
absl::Status ValidatePublishedEvent(const v1::PublishEventRequest& request, int64_t max_file_bytes);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_VALIDATION_H_
