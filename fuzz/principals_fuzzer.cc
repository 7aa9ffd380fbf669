// Fuzzes ParsePrincipalsConfig and StaticAuthenticator::Create (grpc_service/authenticator.h)
// on the input as a principals file (textproto of v1::PrincipalsConfig).
// Properties:
//   - never crashes; every error is kInvalidArgument and starts with the file name;
//   - text that protobuf's own TextFormat parser rejects (malformed) gets an error naming the
//     line and column: "<file>:<line>:<column>: ...";
//   - what ParsePrincipalsConfig accepts is what TextFormat parses, and StaticAuthenticator::Create
//     accepts it; Authenticate of any token is OK or kUnauthenticated and never names the token.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc_service/authenticator.h"
#include "proto/principals.pb.h"

namespace {

constexpr char kFileName[] = "fuzz.textproto";

[[noreturn]] void Fail(const char* what, absl::string_view text, const absl::Status& status) {
  std::fprintf(stderr, "principals_fuzzer: %s\n  status: %s\n  input: %.*s\n", what,
               status.ToString().c_str(), static_cast<int>(text.size()), text.data());
  std::abort();
}

// "<file>:<line>:<column>:" with positive numbers.
bool NamesLine(absl::string_view message) {
  const std::string prefix = std::string(kFileName) + ":";
  if (!absl::StartsWith(message, prefix)) return false;
  message.remove_prefix(prefix.size());
  std::vector<absl::string_view> parts = absl::StrSplit(message, absl::MaxSplits(':', 2));
  if (parts.size() < 3) return false;
  int line = 0, column = 0;
  return absl::SimpleAtoi(parts[0], &line) && line > 0 && absl::SimpleAtoi(parts[1], &column) &&
         column > 0;
}

class Quiet : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, int, const std::string&) override {}
  void AddWarning(int, int, const std::string&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  webhooks::v1::PrincipalsConfig plain;
  google::protobuf::TextFormat::Parser parser;
  Quiet quiet;
  parser.RecordErrorsTo(&quiet);
  const bool well_formed = parser.ParseFromString(std::string(text), &plain);

  const absl::StatusOr<webhooks::v1::PrincipalsConfig> config =
      webhooks::ParsePrincipalsConfig(text, kFileName);
  if (!config.ok()) {
    if (config.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("error is not kInvalidArgument", text, config.status());
    }
    const absl::string_view message = config.status().message();
    if (!absl::StartsWith(message, std::string(kFileName) + ":")) {
      Fail("error does not name the file", text, config.status());
    }
    if (!well_formed && !NamesLine(message)) {
      Fail("error for malformed text names no line and column", text, config.status());
    }
    return 0;
  }
  if (!well_formed) Fail("accepted text that TextFormat rejects", text, config.status());
  if (!google::protobuf::util::MessageDifferencer::Equals(plain, *config)) {
    Fail("parsed config differs from TextFormat's", text, config.status());
  }
  const absl::Status valid = webhooks::ValidatePrincipalsConfig(*config);
  if (!valid.ok()) Fail("accepted config does not validate", text, valid);
  absl::StatusOr<std::unique_ptr<webhooks::StaticAuthenticator>> authenticator =
      webhooks::StaticAuthenticator::Create(*config);
  if (!authenticator.ok()) Fail("Create refused a parsed config", text, authenticator.status());

  // A few tokens: the input's lines, and an empty one.
  int tried = 0;
  for (absl::string_view token : absl::StrSplit(text, '\n')) {
    if (++tried > 8) break;
    const absl::StatusOr<webhooks::Principal> principal = (*authenticator)->Authenticate(token);
    if (principal.ok()) continue;
    if (principal.status().code() != absl::StatusCode::kUnauthenticated) {
      Fail("Authenticate error is not kUnauthenticated", text, principal.status());
    }
    if (token.size() >= 4 && absl::StrContains(principal.status().message(), token)) {
      Fail("Authenticate error names the token", text, principal.status());
    }
  }
  return 0;
}
