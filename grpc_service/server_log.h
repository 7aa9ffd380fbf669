// webhookd's log, on standard error: one line per event, as text or, with --log_format=json, as
// one JSON object a line, for log collectors. What a line is about (LogContext) follows the
// message: JSON fields after time, level and message; `key=value` pairs in text.
//
//   webhookd: ready
//   webhookd: UpdateWebhook failed: UNAVAILABLE: ... request_id=3f0c... method=UpdateWebhook org=0
//   (text lines carry no level, and quote a value with spaces, quotes or '=' as JSON does)
//   {"time":"2026-11-30T18:31:02.123Z","level":"info","message":"ready"}
//   {"time":"...","level":"error","message":"UpdateWebhook failed: UNAVAILABLE: ...",
//    "request_id":"3f0c...","method":"UpdateWebhook","org":"0"}
//
//   SetLogFormat(LogFormat::kJson);  // Once, before any thread logs.
//   LogInfo("ready");
//   LogError("UpdateWebhook failed: ...", {.request_id = id, .method = "UpdateWebhook"});
//
// A message never holds a secret: callers log statuses whose messages are redacted where they
// are made (tokens, passwords and signing secrets never reach them), and never a body or a
// header value other than the request id.
#ifndef WEBHOOKS_GRPC_SERVICE_SERVER_LOG_H_
#define WEBHOOKS_GRPC_SERVICE_SERVER_LOG_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace webhooks {

enum class LogFormat { kText, kJson };

// "text" or "json"; kInvalidArgument naming --log_format otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// The format of every later line. Not thread-safe: call it before any thread logs.
void SetLogFormat(LogFormat format);

// What a line is about, where the caller knows it; empty fields are left out of the line.
struct LogContext {
  std::string request_id;  // The incoming call's (RequestId).
  std::string method;      // The RPC.
  std::string org;         // The org id.
  std::string webhook_id;
  std::string job_id;
};

// One line, without its newline, as `format` writes it at `time`.
std::string LogLine(LogFormat format, absl::Time time, absl::string_view level,
                    absl::string_view message, const LogContext& context);

// Thread-safe: each line is written whole.
void LogInfo(absl::string_view message, const LogContext& context = {});
void LogWarning(absl::string_view message, const LogContext& context = {});
void LogError(absl::string_view message, const LogContext& context = {});

// Tests only: lines go to `sink` (without their newline) instead of standard error; null
// restores standard error. Not thread-safe, as SetLogFormat.
void SetLogSinkForTesting(std::function<void(absl::string_view line)> sink);

// The header (REST) and metadata key (gRPC) that carry a request id, both ways.
inline constexpr char kRequestIdHeader[] = "x-request-id";

// The id of an incoming call: `supplied` (the caller's x-request-id) if it is 1 to 64
// printable ASCII characters without spaces, else a new random one (32 hex digits), so an id
// never breaks a log line or a header.
std::string RequestId(absl::string_view supplied);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_SERVER_LOG_H_
