// Fuzzes the example receiver's multipart/form-data reader (examples/receiver/multipart.h).
// The input is "<content-type>\n<body>": BoundaryOf on the first line, then ParseMultipart on
// the rest with that boundary (or with the first line itself if it is not a Content-Type).
// Properties: no crash or sanitizer report; errors are kInvalidArgument; every part's content
// is a substring of the body.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "examples/receiver/multipart.h"

namespace {

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "%s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view first = input.substr(0, newline);
  const absl::string_view body =
      newline == absl::string_view::npos ? absl::string_view() : input.substr(newline + 1);

  absl::StatusOr<std::string> boundary = webhooks::receiver::BoundaryOf(first);
  if (!boundary.ok() && boundary.status().code() != absl::StatusCode::kInvalidArgument) {
    Fail("unexpected status code", boundary.status().ToString());
  }
  const std::string chosen = boundary.ok() ? *boundary : std::string(first);
  absl::StatusOr<std::vector<webhooks::receiver::FormPart>> parts =
      webhooks::receiver::ParseMultipart(body, chosen);
  if (!parts.ok()) {
    if (parts.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("unexpected status code", parts.status().ToString());
    }
    return 0;
  }
  for (const webhooks::receiver::FormPart& part : *parts) {
    if (body.find(part.content) == absl::string_view::npos) {
      Fail("part content is not in the body", part.content);
    }
  }
  return 0;
}
