// JSON for the REST property test (grpc_service/rest_property_test.cc): request bodies written
// field by field, exactly as the generators choose them (including bodies the server must
// refuse), and small readers of the answers once parsed into a google.protobuf.Struct, where
// a missing field reads as empty.
//
//   std::string body = JsonObject().Add("name", Quote(name)).Add("events", "[]").Build();
//   const std::string id = Str(reply_json, "id");
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_JSON_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_JSON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace webhooks {
namespace rest_property {

// --- Writing --------------------------------------------------------------------------------

// `text` as a JSON string: quotes, backslashes and control characters escaped.
std::string Quote(absl::string_view text);

// A JSON array of values that are JSON already.
std::string Array(const std::vector<std::string>& json_values);

// A JSON object, field by field, in the order added; values are JSON already.
class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view json_value);
  std::string Build() const;

 private:
  std::vector<std::string> fields_;
};

// Every byte outside RFC 3986's unreserved set as %XX (for a path segment).
std::string PercentEncode(absl::string_view text);

// --- Reading --------------------------------------------------------------------------------

// The field `key` of `object`, or null.
const google::protobuf::Value* Field(const google::protobuf::Struct& object, absl::string_view key);
// A string field; "" if missing or not a string.
std::string Str(const google::protobuf::Struct& object, absl::string_view key);
// A number field; -1 if missing.
double Number(const google::protobuf::Struct& object, absl::string_view key);
// An object field; empty for a missing or null field.
const google::protobuf::Struct& Obj(const google::protobuf::Struct& object, absl::string_view key);
// A list field; empty if missing.
const google::protobuf::ListValue& List(const google::protobuf::Struct& object,
                                        absl::string_view key);
// Whether the field is present and null.
bool IsNull(const google::protobuf::Struct& object, absl::string_view key);

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_JSON_H_
