// webhookd's log, on standard error: one line per event, as text ("webhookd: ready") or, with
// --log_format=json, as one JSON object a line, for log collectors:
//
//   {"time":"2026-11-30T18:31:02.123Z","level":"info","message":"ready"}
//   {"time":"...","level":"error","message":"UpdateWebhook failed: UNAVAILABLE: ...",
//    "method":"UpdateWebhook"}
//
//   SetLogFormat(LogFormat::kJson);  // Once, before any thread logs.
//   LogInfo("ready");
//   LogError("UpdateWebhook failed: ...", {.method = "UpdateWebhook"});
//
// A message never holds a secret: callers log statuses whose messages are redacted where they
// are made (tokens, passwords and signing secrets never reach them).
#ifndef WEBHOOKS_GRPC_SERVICE_SERVER_LOG_H_
#define WEBHOOKS_GRPC_SERVICE_SERVER_LOG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace webhooks {

enum class LogFormat { kText, kJson };

// "text" or "json"; kInvalidArgument naming --log_format otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// The format of every later line. Not thread-safe: call it before any thread logs.
void SetLogFormat(LogFormat format);

// What a line is about, where the caller knows it; empty fields are left out of JSON lines.
struct LogContext {
  std::string method;  // The RPC.
  std::string org_id;
  std::string webhook_id;
  std::string job_id;
};

// Thread-safe: each line is written whole.
void LogInfo(absl::string_view message, const LogContext& context = {});
void LogError(absl::string_view message, const LogContext& context = {});

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_SERVER_LOG_H_
