#include "grpc_service/server_log.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace webhooks {
namespace {

LogFormat format = LogFormat::kText;
std::function<void(absl::string_view)>* sink = nullptr;

// `value` as a JSON string, as protobuf's printer escapes it.
std::string JsonString(absl::string_view value) {
  google::protobuf::Value string_value;
  string_value.set_string_value(std::string(value));
  std::string quoted;
  (void)google::protobuf::util::MessageToJsonString(string_value, &quoted);  // Always prints.
  return quoted;
}

// A text value: as it is if it is plain, else quoted, so that the pairs stay parseable.
std::string TextValue(absl::string_view value) {
  for (const char c : value) {
    if (c <= ' ' || c > '~' || c == '"' || c == '=') return JsonString(value);
  }
  return std::string(value);
}

void Write(absl::string_view level, absl::string_view message, const LogContext& context) {
  const std::string line = LogLine(format, absl::Now(), level, message, context);
  if (sink != nullptr) {
    (*sink)(line);
    return;
  }
  absl::FPrintF(stderr, "%s\n", line);
}

}  // namespace

std::string LogLine(LogFormat line_format, absl::Time time, absl::string_view level,
                    absl::string_view message, const LogContext& context) {
  const std::pair<const char*, const std::string*> fields[] = {{"request_id", &context.request_id},
                                                               {"method", &context.method},
                                                               {"org", &context.org},
                                                               {"webhook_id", &context.webhook_id},
                                                               {"job_id", &context.job_id}};
  if (line_format == LogFormat::kText) {
    std::string line = absl::StrCat("webhookd: ", message);  // As before fields: no level.
    for (const auto& [name, value] : fields) {
      if (!value->empty()) absl::StrAppend(&line, " ", name, "=", TextValue(*value));
    }
    return line;
  }
  // Fields in a fixed order.
  std::string json = absl::StrCat(
      "{\"time\":", JsonString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone())),
      ",\"level\":", JsonString(level), ",\"message\":", JsonString(message));
  for (const auto& [name, value] : fields) {
    if (!value->empty()) absl::StrAppend(&json, ",\"", name, "\":", JsonString(*value));
  }
  return json + "}";
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--log_format must be text or json, not \"", name, "\""));
}

void SetLogFormat(LogFormat new_format) { format = new_format; }

void SetLogSinkForTesting(std::function<void(absl::string_view line)> new_sink) {
  delete sink;
  sink = new_sink != nullptr ? new std::function<void(absl::string_view)>(std::move(new_sink))
                             : nullptr;
}

void LogInfo(absl::string_view message, const LogContext& context) {
  Write("info", message, context);
}

void LogWarning(absl::string_view message, const LogContext& context) {
  Write("warning", message, context);
}

void LogError(absl::string_view message, const LogContext& context) {
  Write("error", message, context);
}

std::string RequestId(absl::string_view supplied) {
  bool printable = !supplied.empty() && supplied.size() <= 64;
  for (const char c : supplied) printable = printable && c > ' ' && c <= '~';
  if (printable) return std::string(supplied);
  thread_local absl::BitGen random;
  const uint64_t high = absl::Uniform<uint64_t>(random);
  const uint64_t low = absl::Uniform<uint64_t>(random);
  return absl::StrCat(absl::Hex(high, absl::kZeroPad16), absl::Hex(low, absl::kZeroPad16));
}

}  // namespace webhooks
