// What the result of one delivery attempt means for its job: done, tried again later (when),
// or failed for good.
#ifndef WEBHOOKS_ENGINE_DELIVERY_ATTEMPT_OUTCOME_H_
#define WEBHOOKS_ENGINE_DELIVERY_ATTEMPT_OUTCOME_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/delivery/delivery_options.h"
#include "engine/http/http_transport.h"
#include "proto/delivery.pb.h"

namespace webhooks {
namespace engine_internal {

struct AttemptOutcome {
  v1::ChannelHistoryJob::Status status = v1::ChannelHistoryJob::FAILED;
  std::string detail;       // "" on success; else the HTTP status or the error.
  absl::Duration retry_in;  // For RETRY: when to try again.
};

// Whether an error of an attempt may pass when tried again: timeouts, connection failures,
// throttling and server errors (kUnavailable, kDeadlineExceeded, kResourceExhausted,
// kInternal, kUnknown, kAborted), not a refusal or a bad configuration.
bool MayPassOnRetry(absl::StatusCode code);

// "HTTP 503: <the start of the body>" for history and validation, never more than a few
// hundred bytes; a redirect says that redirects are not followed.
std::string HttpDetail(const HttpResponse& response);

// 2xx is SUCCESS. 410 Gone, an error that MayPassOnRetry rejects (a refused destination, a
// webhook that is gone or disabled, a storage destination that refuses the files) and a last
// attempt are FAILED. Anything else (other statuses, redirects, timeouts, connection errors)
// is RETRY after retry_delays[try_count - 1], scaled by (1 + jitter * jitter_draw) with
// jitter_draw in [-1, 1]; a 429 or 503 with Retry-After waits that many seconds instead, up
// to max_retry_after.
AttemptOutcome ClassifyAttempt(const absl::StatusOr<HttpResponse>& result, int try_count,
                               const DeliveryOptions& options, double jitter_draw);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_ATTEMPT_OUTCOME_H_
