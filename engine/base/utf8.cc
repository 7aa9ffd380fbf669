#include "engine/base/utf8.h"

#include <cstdint>

namespace webhooks {
namespace {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 if there is none.
// When there is none, `*ill_formed` is the length of the maximal ill-formed subpart (at least 1).
size_t SequenceLength(absl::string_view text, size_t* ill_formed) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  *ill_formed = 1;
  if (lead < 0x80) return 1;
  size_t length;
  uint8_t low = 0x80, high = 0xBF;  // The range of the second byte.
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // Overlong.
    if (lead == 0xED) high = 0x9F;  // Surrogates.
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // Overlong.
    if (lead == 0xF4) high = 0x8F;  // Above U+10FFFF.
  } else {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if (i >= text.size()) return 0;
    const uint8_t next = byte(i);
    if (i == 1 ? (next < low || next > high) : (next < 0x80 || next > 0xBF)) return 0;
    *ill_formed = i + 1;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t ill_formed;
  while (!text.empty()) {
    const size_t length = SequenceLength(text, &ill_formed);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string ToValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t ill_formed;
  while (!text.empty()) {
    const size_t length = SequenceLength(text, &ill_formed);
    if (length == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER.
      text.remove_prefix(ill_formed);
    } else {
      out.append(text.data(), length);
      text.remove_prefix(length);
    }
  }
  return out;
}

absl::string_view TruncateUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = 0;
  size_t ill_formed;
  while (end < max_bytes) {
    const size_t length = SequenceLength(text.substr(end), &ill_formed);
    const size_t step = length == 0 ? 1 : length;
    if (end + step > max_bytes) break;
    end += step;
  }
  return text.substr(0, end);
}

}  // namespace webhooks
