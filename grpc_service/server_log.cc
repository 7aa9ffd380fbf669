#include "grpc_service/server_log.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace webhooks {
namespace {

LogFormat format = LogFormat::kText;

void Write(absl::string_view level, absl::string_view message, const LogContext& context) {
  if (format == LogFormat::kText) {
    absl::FPrintF(stderr, "webhookd: %s\n", message);
    return;
  }
  // Fields in a fixed order, each value a JSON string as protobuf's printer escapes it.
  std::string json = "{";
  const auto add = [&json](absl::string_view name, absl::string_view value) {
    google::protobuf::Value string_value;
    string_value.set_string_value(std::string(value));
    std::string quoted;
    (void)google::protobuf::util::MessageToJsonString(string_value, &quoted);  // Always prints.
    absl::StrAppend(&json, json.size() > 1 ? "," : "", "\"", name, "\":", quoted);
  };
  add("time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  add("level", level);
  add("message", message);
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"method", &context.method},
        {"org_id", &context.org_id},
        {"webhook_id", &context.webhook_id},
        {"job_id", &context.job_id}}) {
    if (!value->empty()) add(name, *value);
  }
  json += "}";
  absl::FPrintF(stderr, "%s\n", json);
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--log_format must be text or json, not \"", name, "\""));
}

void SetLogFormat(LogFormat new_format) { format = new_format; }

void LogInfo(absl::string_view message, const LogContext& context) {
  Write("info", message, context);
}

void LogError(absl::string_view message, const LogContext& context) {
  Write("error", message, context);
}

}  // namespace webhooks
