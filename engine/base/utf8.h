// UTF-8 for text that comes from outside (a receiver's reply, libcurl's error strings, the
// answers of S3, GCS and OAuth2 servers) before it goes into a proto `string` field: protobuf
// serializes such a field whatever it holds but refuses to parse one that is not valid UTF-8,
// so one stray byte would make a journal unreadable.
//
//   std::string detail = ToValidUtf8(TruncateUtf8(reply_body, 512));
#ifndef WEBHOOKS_ENGINE_BASE_UTF8_H_
#define WEBHOOKS_ENGINE_BASE_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace webhooks {

// True if `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), the rule protobuf applies to `string` fields.
bool IsValidUtf8(absl::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD
// (one replacement per maximal ill-formed subpart, as the Unicode standard recommends).
// Valid text is returned unchanged.
std::string ToValidUtf8(absl::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a
// multi-byte UTF-8 sequence that `text` itself completes. Bytes that are not UTF-8 are counted
// as single bytes; ToValidUtf8 replaces them.
absl::string_view TruncateUtf8(absl::string_view text, size_t max_bytes);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_BASE_UTF8_H_
