// JSON writing and reading for the REST property test; see json.h.
#include "grpc_service/rest_property/json.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace webhooks {
namespace rest_property {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;

std::string Quote(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Array(const std::vector<std::string>& json_values) {
  return absl::StrCat("[", absl::StrJoin(json_values, ","), "]");
}

JsonObject& JsonObject::Add(absl::string_view key, absl::string_view json_value) {
  fields_.push_back(absl::StrCat(Quote(key), ":", json_value));
  return *this;
}

std::string JsonObject::Build() const {
  return absl::StrCat("{", absl::StrJoin(fields_, ","), "}");
}

std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (const char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

const Value* Field(const Struct& object, absl::string_view key) {
  const auto it = object.fields().find(std::string(key));
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string Str(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->string_value() : "";
}

double Number(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->number_value() : -1;
}

const Struct& Obj(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->struct_value() : Struct::default_instance();
}

const ListValue& List(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->list_value() : ListValue::default_instance();
}

bool IsNull(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr && value->kind_case() == Value::kNullValue;
}

}  // namespace rest_property
}  // namespace webhooks
