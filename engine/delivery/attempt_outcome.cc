#include "engine/delivery/attempt_outcome.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/base/utf8.h"

namespace webhooks {
namespace engine_internal {
namespace {

using HistoryJob = v1::ChannelHistoryJob;

constexpr size_t kMaxDetailBody = 512;

}  // namespace

std::string HttpDetail(const HttpResponse& response) {
  std::string detail = absl::StrCat("HTTP ", response.status);
  if (response.status >= 300 && response.status < 400) {
    absl::StrAppend(&detail, ": redirects are not followed");
  } else if (!response.body.empty()) {
    // The reply is the receiver's bytes: cut on a character, and made valid UTF-8 for the
    // proto string fields it goes into.
    absl::StrAppend(&detail, ": ", ToValidUtf8(TruncateUtf8(response.body, kMaxDetailBody)));
  }
  return detail;
}

bool MayPassOnRetry(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

AttemptOutcome ClassifyAttempt(const absl::StatusOr<HttpResponse>& result, int try_count,
                               const DeliveryOptions& options, double jitter_draw) {
  AttemptOutcome outcome;
  if (result.ok() && result->status >= 200 && result->status < 300) {
    outcome.status = HistoryJob::SUCCESS;
    return outcome;
  }
  // Error messages can quote what a server answered (libcurl, S3, GCS, OAuth2).
  outcome.detail = result.ok() ? HttpDetail(*result) : ToValidUtf8(result.status().message());
  const bool final = (result.ok() && result->status == 410) ||
                     (!result.ok() && !MayPassOnRetry(result.status().code())) ||
                     try_count > static_cast<int>(options.retry_delays.size());
  if (final) {
    outcome.status = HistoryJob::FAILED;
    return outcome;
  }
  outcome.status = HistoryJob::RETRY;
  outcome.retry_in = options.retry_delays[try_count - 1] * (1 + options.jitter * jitter_draw);
  int retry_after = 0;
  if (result.ok() && (result->status == 429 || result->status == 503) &&
      absl::SimpleAtoi(result->Header("retry-after"), &retry_after) && retry_after >= 0) {
    outcome.retry_in = std::min(absl::Seconds(retry_after), options.max_retry_after);
  }
  return outcome;
}

}  // namespace engine_internal
}  // namespace webhooks
