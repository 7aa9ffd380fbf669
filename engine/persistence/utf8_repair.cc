#include "engine/persistence/utf8_repair.h"

#include <cstdint>

#include "engine/base/utf8.h"
#include "google/protobuf/io/coded_stream.h"

namespace webhooks {
namespace engine_internal {
namespace {

using google::protobuf::FieldDescriptor;

constexpr int kMaxDepth = 100;  // Protobuf's own default recursion limit.

bool ReadVarint(absl::string_view* in, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void PutVarint(uint64_t value, std::string* out) {
  uint8_t buffer[10];
  const uint8_t* const end =
      google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(value, buffer);
  out->append(reinterpret_cast<const char*>(buffer), end - buffer);
}

bool Repair(const google::protobuf::Descriptor& type, absl::string_view in, int depth,
            std::string* out) {
  if (depth > kMaxDepth) return false;
  while (!in.empty()) {
    const absl::string_view field_start = in;
    uint64_t tag;
    if (!ReadVarint(&in, &tag) || (tag >> 3) == 0 || (tag >> 3) > (1u << 29) - 1) return false;
    switch (tag & 7) {
      case 0: {  // Varint.
        uint64_t ignored;
        if (!ReadVarint(&in, &ignored)) return false;
        break;
      }
      case 1:  // 64-bit.
      case 5:  // 32-bit.
      {
        const size_t size = (tag & 7) == 1 ? 8 : 4;
        if (in.size() < size) return false;
        in.remove_prefix(size);
        break;
      }
      case 2: {  // Length-delimited: string, bytes, message or packed.
        uint64_t length;
        if (!ReadVarint(&in, &length) || length > in.size()) return false;
        const absl::string_view value = in.substr(0, length);
        in.remove_prefix(length);
        const FieldDescriptor* field = type.FindFieldByNumber(static_cast<int>(tag >> 3));
        std::string repaired;
        if (field != nullptr && field->type() == FieldDescriptor::TYPE_STRING) {
          repaired = ToValidUtf8(value);
        } else if (field != nullptr && field->type() == FieldDescriptor::TYPE_MESSAGE) {
          if (!Repair(*field->message_type(), value, depth + 1, &repaired)) return false;
        } else {
          repaired = std::string(value);
        }
        PutVarint(tag, out);
        PutVarint(repaired.size(), out);
        out->append(repaired);
        continue;
      }
      default:  // Groups: not in proto3.
        return false;
    }
    out->append(field_start.data(), field_start.size() - in.size());
  }
  return true;
}

}  // namespace

std::optional<std::string> RepairUtf8(const google::protobuf::Descriptor& type,
                                      absl::string_view wire) {
  std::string out;
  out.reserve(wire.size());
  if (!Repair(type, wire, 0, &out)) return std::nullopt;
  return out;
}

bool ParseRepairingUtf8(absl::string_view wire, google::protobuf::Message& message, int* repaired) {
  if (message.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) return true;
  const std::optional<std::string> valid = RepairUtf8(*message.GetDescriptor(), wire);
  if (!valid.has_value() || !message.ParseFromString(*valid)) return false;
  if (repaired != nullptr) ++*repaired;
  return true;
}

}  // namespace engine_internal
}  // namespace webhooks
