// The framing of the records in JournalStore's files (engine/persistence/journal_store.h): the
// payload's length, the CRC-32C of those 4 bytes, the CRC-32C of the payload (each 4 bytes,
// little-endian), then the payload. The length's own checksum tells a damaged length from a torn
// write.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_JOURNAL_RECORDS_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_JOURNAL_RECORDS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace webhooks {
namespace engine_internal {

// The largest payload a reader accepts.
inline constexpr uint32_t kMaxRecordBytes = 1u << 30;

// One framed record: length, CRC-32C of the length, CRC-32C of the payload, payload.
std::string FrameRecord(absl::string_view payload);

// Calls `each` with every record of `contents` (the bytes of file `name`) and returns how
// many bytes of whole records there are. When `tail_may_be_torn`, a last record that is cut
// short, or that reaches the end of the file with a payload whose checksum does not match
// (the garbage of a write the crash interrupted), is not counted. Anything else that is not a
// whole, matching record is kDataLoss naming `name` and the offset.
absl::StatusOr<uint64_t> ReadRecords(absl::string_view contents, absl::string_view name,
                                     bool tail_may_be_torn,
                                     const std::function<absl::Status(absl::string_view)>& each);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_JOURNAL_RECORDS_H_
