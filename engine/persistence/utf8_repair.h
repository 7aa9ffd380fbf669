// Reading back records that hold text protobuf will not parse. Before the engine made every
// text from outside valid UTF-8, a receiver's reply could reach a proto `string` field as it
// came; protobuf wrote such a field but refuses to parse it, which made the whole journal
// unreadable. A `string` field has the wire type of a `bytes` field, so the record can still be
// walked field by field: RepairUtf8 rewrites it with each such string made valid.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_UTF8_REPAIR_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_UTF8_REPAIR_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace webhooks {
namespace engine_internal {

// `wire`, a serialized message of type `type`, with the contents of every `string` field (in
// nested messages and map entries too) replaced by ToValidUtf8 of it; every other field, known
// or not, is kept byte for byte. nullopt if `wire` is not a well-formed proto3 message.
std::optional<std::string> RepairUtf8(const google::protobuf::Descriptor& type,
                                      absl::string_view wire);

// Parses `wire` into `message`. If it parses only once repaired (RepairUtf8), parses that and
// adds one to `*repaired` (when not null). False if it does not parse even so.
bool ParseRepairingUtf8(absl::string_view wire, google::protobuf::Message& message, int* repaired);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_UTF8_REPAIR_H_
