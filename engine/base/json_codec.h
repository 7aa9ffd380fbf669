// The JSON form of the webhook messages, exactly as ThoughtSpot's REST API v2.0 writes it.
//
//   std::string body = webhooks::ToJson(response);
//   v1::CreateWebhookRequest request;
//   absl::Status parsed = webhooks::FromJson(body_text, &request);
//
// Output rules (ThoughtSpot's captures): proto field names in field order; enums by name;
// 64-bit integers as JSON numbers (epoch millis are numbers on the wire); a field with presence
// (message, `optional` scalar, oneof member) that is unset is `null`, or left out if it carries
// the `omit_when_unset` option; an empty map or repeated
// field is `null` if it carries the `null_when_empty` option and `{}`/`[]` otherwise; every
// other scalar is written even when it holds its default. Map keys are sorted.
#ifndef WEBHOOKS_ENGINE_BASE_JSON_CODEC_H_
#define WEBHOOKS_ENGINE_BASE_JSON_CODEC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace webhooks {

std::string ToJson(const google::protobuf::Message& message);

// Appends ToJson(message) to `*out`.
void AppendJson(const google::protobuf::Message& message, std::string* out);

// Appends `text` as a JSON string (quoted and escaped) to `*out`.
void AppendJsonString(absl::string_view text, std::string* out);

// The JSON value of one field of `message` (by the rules above), e.g. "[...]" for a repeated
// field: what a google.api.http rule's `response_body` answers.
std::string FieldToJson(const google::protobuf::Message& message,
                        const google::protobuf::FieldDescriptor& field);

// Parses with protobuf's JSON parser: proto field names and lowerCamel names are both accepted,
// `null` leaves a field unset, and an unknown field is an error; so is a second non-null member
// of a oneof ("authentication must give only one of API_KEY, BASIC_AUTH, BEARER_TOKEN, OAUTH2
// that is not null: ..."). Returns kInvalidArgument with
// a message that names the offending field or value, never quoting the input around a syntax
// error (it may hold a secret).
absl::Status FromJson(absl::string_view json, google::protobuf::Message* message);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_BASE_JSON_CODEC_H_
