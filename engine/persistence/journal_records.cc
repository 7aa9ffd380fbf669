#include "engine/persistence/journal_records.h"

#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/persistence/crc32c.h"

namespace webhooks {
namespace engine_internal {
namespace {

constexpr size_t kHeaderBytes = 12;

void PutUint32(uint32_t value, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint32_t GetUint32(absl::string_view bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  return value;
}

}  // namespace

std::string FrameRecord(absl::string_view payload) {
  std::string record;
  record.reserve(kHeaderBytes + payload.size());
  std::string length;
  PutUint32(static_cast<uint32_t>(payload.size()), &length);
  record.append(length);
  PutUint32(Crc32c(length), &record);
  PutUint32(Crc32c(payload), &record);
  record.append(payload.data(), payload.size());
  return record;
}

absl::StatusOr<uint64_t> ReadRecords(absl::string_view contents, absl::string_view name,
                                     bool tail_may_be_torn,
                                     const std::function<absl::Status(absl::string_view)>& each) {
  uint64_t offset = 0;
  while (offset < contents.size()) {
    const absl::string_view rest = contents.substr(offset);
    const auto corrupt = [&](absl::string_view what) {
      return absl::DataLossError(absl::StrCat(name, ": ", what, " at offset ", offset));
    };
    if (rest.size() < kHeaderBytes) {
      if (tail_may_be_torn) return offset;
      return corrupt("truncated record header");
    }
    // A crash can leave the end of a file zero-filled rather than short.
    if (tail_may_be_torn && rest.find_first_not_of('\0') == absl::string_view::npos) {
      return offset;
    }
    const uint32_t length = GetUint32(rest);
    if (Crc32c(rest.substr(0, 4)) != GetUint32(rest.substr(4))) {
      return corrupt("record header checksum mismatch");
    }
    const uint32_t crc = GetUint32(rest.substr(8));
    if (length > kMaxRecordBytes) return corrupt("record length out of range");
    if (kHeaderBytes + length > rest.size()) {
      if (tail_may_be_torn) return offset;
      return corrupt("truncated record");
    }
    const absl::string_view payload = rest.substr(kHeaderBytes, length);
    if (Crc32c(payload) != crc) {
      // The last record of a journal may hold garbage if the crash came mid-write.
      if (tail_may_be_torn && kHeaderBytes + length == rest.size()) return offset;
      return corrupt("record checksum mismatch");
    }
    RETURN_IF_ERROR(each(payload));
    offset += kHeaderBytes + length;
  }
  return offset;
}

}  // namespace engine_internal
}  // namespace webhooks
