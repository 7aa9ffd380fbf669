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
  google::protobuf::Struct line;
  auto& fields = *line.mutable_fields();
  fields["time"].set_string_value(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  fields["level"].set_string_value(std::string(level));
  fields["message"].set_string_value(std::string(message));
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"method", &context.method},
        {"org_id", &context.org_id},
        {"webhook_id", &context.webhook_id},
        {"job_id", &context.job_id}}) {
    if (!value->empty()) fields[name].set_string_value(*value);
  }
  std::string json;
  // A Struct of strings always prints; protobuf escapes what JSON needs escaped.
  (void)google::protobuf::util::MessageToJsonString(line, &json);
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
