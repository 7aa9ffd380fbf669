#include "examples/receiver/multipart.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace webhooks {
namespace receiver {
namespace {

// The value of `parameter` (e.g. name="x") in a header value, unquoted.
std::string Parameter(absl::string_view header, absl::string_view parameter) {
  for (absl::string_view piece : absl::StrSplit(header, ';')) {
    piece = absl::StripAsciiWhitespace(piece);
    if (!absl::StartsWith(piece, absl::StrCat(parameter, "="))) continue;
    piece.remove_prefix(parameter.size() + 1);
    if (piece.size() >= 2 && piece.front() == '"' && piece.back() == '"') {
      piece = piece.substr(1, piece.size() - 2);
    }
    return std::string(piece);
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> BoundaryOf(absl::string_view content_type) {
  if (!absl::StartsWithIgnoreCase(content_type, "multipart/form-data")) {
    return absl::InvalidArgumentError("Content-Type is not multipart/form-data");
  }
  std::string boundary = Parameter(content_type, "boundary");
  if (boundary.empty()) return absl::InvalidArgumentError("Content-Type has no boundary");
  return boundary;
}

absl::StatusOr<std::vector<FormPart>> ParseMultipart(absl::string_view body,
                                                     absl::string_view boundary) {
  const std::string delimiter = absl::StrCat("--", boundary);
  if (!absl::StartsWith(body, delimiter)) {
    return absl::InvalidArgumentError("body does not start with the boundary");
  }
  std::vector<FormPart> parts;
  size_t position = delimiter.size();
  for (;;) {
    if (body.substr(position, 2) == "--") return parts;  // The closing delimiter.
    if (body.substr(position, 2) != "\r\n") {
      return absl::InvalidArgumentError("boundary line is not followed by CRLF");
    }
    position += 2;
    const size_t headers_end = body.find("\r\n\r\n", position);
    // The next delimiter line: CRLF, the delimiter, then CRLF or the closing "--".
    const std::string marker = absl::StrCat("\r\n", delimiter);
    size_t next = body.find(marker, position);
    while (next != absl::string_view::npos && body.substr(next + marker.size(), 2) != "\r\n" &&
           body.substr(next + marker.size(), 2) != "--") {
      next = body.find(marker, next + 1);
    }
    if (headers_end == absl::string_view::npos || next == absl::string_view::npos ||
        headers_end > next) {
      return absl::InvalidArgumentError("part is not terminated by a boundary");
    }
    FormPart part;
    for (absl::string_view line :
         absl::StrSplit(body.substr(position, headers_end - position), "\r\n")) {
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
      const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
      if (absl::EqualsIgnoreCase(name, "Content-Disposition")) {
        part.name = Parameter(value, "name");
        part.filename = Parameter(value, "filename");
      } else if (absl::EqualsIgnoreCase(name, "Content-Type")) {
        part.content_type = std::string(value);
      }
    }
    part.content = std::string(body.substr(headers_end + 4, next - headers_end - 4));
    parts.push_back(std::move(part));
    position = next + 2 + delimiter.size();
  }
}

}  // namespace receiver
}  // namespace webhooks
