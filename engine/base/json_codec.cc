#include "engine/base/json_codec.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "proto/json_options.pb.h"

namespace webhooks {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Whether `c` must be escaped in a JSON string.
bool NeedsEscape(char c) { return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\'; }

void AppendString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (;;) {
    // The longest run that needs no escape, copied whole (the common case is the whole text).
    size_t plain = 0;
    while (plain < text.size() && !NeedsEscape(text[plain])) ++plain;
    out->append(text.data(), plain);
    if (plain == text.size()) break;
    const char c = text[plain];
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
    }
    text.remove_prefix(plain + 1);
  }
  out->push_back('"');
}

void AppendDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
  } else if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    absl::StrAppend(out, static_cast<int64_t>(value));
  } else {
    // The shortest form that reads back as `value`: 0.1, not 0.10000000000000001.
    std::string text;
    for (int digits = 15; digits <= 17; ++digits) {
      text = absl::StrFormat("%.*g", digits, value);
      if (std::strtod(text.c_str(), nullptr) == value) break;
    }
    out->append(text);
  }
}

void AppendMessage(const Message& message, std::string* out);

// One value of `field`: the field's only value, or element `index` of a repeated field.
void AppendValue(const Message& message, const Reflection* r, const FieldDescriptor* field,
                 int index, std::string* out) {
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(
          out, repeated ? r->GetRepeatedInt32(message, field, index) : r->GetInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(
          out, repeated ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, repeated ? r->GetRepeatedUInt32(message, field, index)
                                    : r->GetUInt32(message, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, repeated ? r->GetRepeatedUInt64(message, field, index)
                                    : r->GetUInt64(message, field));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendDouble(
          repeated ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field),
          out);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendDouble(
          repeated ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field), out);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append(
          (repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
              ? "true"
              : "false");
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number = repeated ? r->GetRepeatedEnumValue(message, field, index)
                                  : r->GetEnumValue(message, field);
      const auto* value = field->enum_type()->FindValueByNumber(number);
      if (value == nullptr) {
        absl::StrAppend(out, number);  // An unknown value keeps its number, as protobuf does.
      } else {
        AppendString(value->name(), out);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      AppendString(repeated ? r->GetRepeatedStringReference(message, field, index, &scratch)
                            : r->GetStringReference(message, field, &scratch),
                   out);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(
          repeated ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field),
          out);
      break;
  }
}

void AppendMap(const Message& message, const FieldDescriptor* field, std::string* out) {
  const Reflection* r = message.GetReflection();
  const FieldDescriptor* key = field->message_type()->map_key();
  const FieldDescriptor* value = field->message_type()->map_value();
  std::vector<const Message*> entries;
  for (int i = 0; i < r->FieldSize(message, field); ++i) {
    entries.push_back(&r->GetRepeatedMessage(message, field, i));
  }
  std::string a_key, b_key;
  std::sort(entries.begin(), entries.end(), [&](const Message* a, const Message* b) {
    return a->GetReflection()->GetStringReference(*a, key, &a_key) <
           b->GetReflection()->GetStringReference(*b, key, &b_key);
  });
  out->push_back('{');
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out->push_back(',');
    std::string scratch;
    AppendString(entries[i]->GetReflection()->GetStringReference(*entries[i], key, &scratch), out);
    out->push_back(':');
    AppendValue(*entries[i], entries[i]->GetReflection(), value, /*index=*/0, out);
  }
  out->push_back('}');
}

// How one field of a message type is written: worked out once per type (MessagePlanOf).
struct FieldPlan {
  const FieldDescriptor* field;
  std::string key;  // ,"name":
  bool null_when_empty;
  bool omit_when_unset;
};

FieldPlan PlanOf(const FieldDescriptor* field) {
  FieldPlan plan{field, ",", field->options().GetExtension(v1::null_when_empty),
                 field->options().GetExtension(v1::omit_when_unset) && field->has_presence()};
  AppendString(field->name(), &plan.key);
  plan.key.push_back(':');
  return plan;
}

// How a message type is written: worked out once per type (MessagePlanOf).
struct MessagePlan {
  // google.protobuf's Struct, ListValue and Value are JSON themselves; its other types (Empty,
  // Timestamp, ...) have JSON forms of their own; every other type is an object of its fields.
  enum Kind { kFields, kStruct, kListValue, kValue, kWellKnown } kind = kFields;
  std::vector<FieldPlan> fields;  // In field order, for kFields.
};

// Each thread keeps its own plans, so that writing JSON takes no lock.
const MessagePlan& MessagePlanOf(const Descriptor* descriptor) {
  thread_local absl::flat_hash_map<const Descriptor*, MessagePlan> plans;
  auto [it, inserted] = plans.try_emplace(descriptor);
  MessagePlan& plan = it->second;
  if (!inserted) return plan;
  if (descriptor == google::protobuf::Struct::descriptor()) {
    plan.kind = MessagePlan::kStruct;
  } else if (descriptor == google::protobuf::ListValue::descriptor()) {
    plan.kind = MessagePlan::kListValue;
  } else if (descriptor == google::protobuf::Value::descriptor()) {
    plan.kind = MessagePlan::kValue;
  } else if (descriptor->file()->package() == "google.protobuf") {
    plan.kind = MessagePlan::kWellKnown;
  } else {
    for (int i = 0; i < descriptor->field_count(); ++i) {
      plan.fields.push_back(PlanOf(descriptor->field(i)));
    }
  }
  return plan;
}

void AppendField(const Message& message, const Reflection* r, const FieldPlan& plan,
                 std::string* out) {
  const FieldDescriptor* field = plan.field;
  if (field->is_repeated()) {
    const int size = r->FieldSize(message, field);
    if (size == 0 && plan.null_when_empty) {
      out->append("null");
    } else if (field->is_map()) {
      AppendMap(message, field, out);
    } else {
      out->push_back('[');
      for (int i = 0; i < size; ++i) {
        if (i > 0) out->push_back(',');
        AppendValue(message, r, field, i, out);
      }
      out->push_back(']');
    }
  } else if (field->has_presence() && !r->HasField(message, field)) {
    out->append("null");
  } else {
    AppendValue(message, r, field, /*index=*/-1, out);
  }
}

// google.protobuf.Value, Struct and ListValue: JSON itself, with an object's keys sorted.
void AppendJsonValue(const google::protobuf::Value& value, std::string* out);

void AppendJsonStruct(const google::protobuf::Struct& object, std::string* out) {
  std::vector<const std::string*> keys;
  for (const auto& [key, value] : object.fields()) keys.push_back(&key);
  std::sort(keys.begin(), keys.end(),
            [](const std::string* a, const std::string* b) { return *a < *b; });
  out->push_back('{');
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendString(*keys[i], out);
    out->push_back(':');
    AppendJsonValue(object.fields().at(*keys[i]), out);
  }
  out->push_back('}');
}

void AppendJsonList(const google::protobuf::ListValue& list, std::string* out) {
  out->push_back('[');
  for (int i = 0; i < list.values_size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonValue(list.values(i), out);
  }
  out->push_back(']');
}

void AppendJsonValue(const google::protobuf::Value& value, std::string* out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      AppendDouble(value.number_value(), out);
      break;
    case google::protobuf::Value::kStringValue:
      AppendString(value.string_value(), out);
      break;
    case google::protobuf::Value::kBoolValue:
      out->append(value.bool_value() ? "true" : "false");
      break;
    case google::protobuf::Value::kStructValue:
      AppendJsonStruct(value.struct_value(), out);
      break;
    case google::protobuf::Value::kListValue:
      AppendJsonList(value.list_value(), out);
      break;
    default:
      out->append("null");
  }
}

void AppendMessage(const Message& message, std::string* out) {
  const MessagePlan& plan = MessagePlanOf(message.GetDescriptor());
  switch (plan.kind) {
    case MessagePlan::kStruct:
      AppendJsonStruct(static_cast<const google::protobuf::Struct&>(message), out);
      return;
    case MessagePlan::kListValue:
      AppendJsonList(static_cast<const google::protobuf::ListValue&>(message), out);
      return;
    case MessagePlan::kValue:
      AppendJsonValue(static_cast<const google::protobuf::Value&>(message), out);
      return;
    case MessagePlan::kWellKnown: {
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      if (google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
        out->append(json);
      } else {
        out->append("null");
      }
      return;
    }
    case MessagePlan::kFields:
      break;
  }
  const Reflection* r = message.GetReflection();
  out->push_back('{');
  bool first = true;
  for (const FieldPlan& field : plan.fields) {
    if (field.omit_when_unset && !r->HasField(message, field.field)) continue;
    out->append(field.key, first ? 1 : 0, std::string::npos);
    first = false;
    AppendField(message, r, field, out);
  }
  out->push_back('}');
}

// protobuf reports a second member of a oneof as "(<path>): invalid value oneof field
// '<oneof>' is already set. Cannot set '<member>' for type oneof". Returns the rule in the
// words of the API ("<path> must give only one of A, B, C: <member> is a second one"), or ""
// if `reason` is not that error.
std::string OneofError(const Descriptor& root, absl::string_view reason) {
  constexpr absl::string_view kOneof = "oneof field '";
  constexpr absl::string_view kCannotSet = "Cannot set '";
  const size_t close = reason.find("): ");
  const size_t oneof_at = reason.find(kOneof);
  const size_t member_at = reason.find(kCannotSet);
  if (!absl::StartsWith(reason, "(") || close == absl::string_view::npos ||
      oneof_at == absl::string_view::npos || member_at == absl::string_view::npos) {
    return "";
  }
  const absl::string_view path = reason.substr(1, close - 1);
  absl::string_view oneof_name = reason.substr(oneof_at + kOneof.size());
  oneof_name = oneof_name.substr(0, oneof_name.find('\''));
  absl::string_view member = reason.substr(member_at + kCannotSet.size());
  member = member.substr(0, member.find('\''));
  const Descriptor* descriptor = &root;
  for (const absl::string_view part : absl::StrSplit(path, '.')) {
    const FieldDescriptor* field = descriptor->FindFieldByName(std::string(part));
    if (field == nullptr) field = descriptor->FindFieldByLowercaseName(std::string(part));
    if (field == nullptr || field->message_type() == nullptr) return "";
    descriptor = field->message_type();
  }
  const google::protobuf::OneofDescriptor* oneof =
      descriptor->FindOneofByName(std::string(oneof_name));
  if (oneof == nullptr) return "";
  std::vector<std::string> members;
  for (int i = 0; i < oneof->field_count(); ++i) members.push_back(oneof->field(i)->name());
  return absl::StrCat(path, " must give only one of ", absl::StrJoin(members, ", "),
                      " that is not null: ", member, " is a second one");
}

}  // namespace

std::string ToJson(const Message& message) {
  std::string out;
  // Field names make the JSON about twice the binary size. One allocation up front instead of
  // one per doubling: with glibc, each allocation of 1 KB or more first consolidates the free
  // small chunks of the arena, which dominated profiles of the REST search.
  out.reserve(2 * message.ByteSizeLong() + 64);
  AppendMessage(message, &out);
  return out;
}

void AppendJson(const Message& message, std::string* out) { AppendMessage(message, out); }

void AppendJsonString(absl::string_view text, std::string* out) { AppendString(text, out); }

std::string FieldToJson(const Message& message, const google::protobuf::FieldDescriptor& field) {
  std::string out;
  AppendField(message, message.GetReflection(), PlanOf(&field), &out);
  return out;
}

absl::Status FromJson(absl::string_view json, Message* message) {
  if (absl::StripAsciiWhitespace(json) == "{}") {
    // The body of most searches. protobuf's converter takes some 2 us alone, and 12 % of a
    // REST search's CPU in webhookd, to say that an empty object is the empty message.
    message->Clear();
    return absl::OkStatus();
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message, options);
  if (status.ok()) return absl::OkStatus();
  message->Clear();  // Never hand back half a request.
  // protobuf's message goes on, after a newline, to quote the input around the error, which
  // may be a secret: only the first line is kept.
  const absl::string_view reason(status.message().data(), status.message().size());
  if (std::string oneof = OneofError(*message->GetDescriptor(), reason); !oneof.empty()) {
    return absl::InvalidArgumentError(oneof);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid JSON body: ", reason.substr(0, reason.find('\n'))));
}

}  // namespace webhooks
