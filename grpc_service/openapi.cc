#include "grpc_service/openapi.h"

#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/struct.pb.h"
#include "grpc_service/rest_gateway.h"
#include "proto/json_options.pb.h"

namespace webhooks {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using grpc_service_internal::Route;

// A JSON value whose objects keep their members in insertion order, so the document reads in
// OpenAPI's usual order and is the same on every build.
class Json {
 public:
  static Json Object() { return Json(kObject, ""); }
  static Json Array() { return Json(kArray, ""); }
  static Json String(absl::string_view text) { return Json(kString, text); }
  // A number, true, false or null, written as given.
  static Json Literal(absl::string_view text) { return Json(kLiteral, text); }

  // Object: adds (or replaces) member `key`.
  Json& Set(absl::string_view key, Json value) {
    for (auto& [name, member] : members_) {
      if (name == key) {
        member = std::move(value);
        return *this;
      }
    }
    members_.emplace_back(std::string(key), std::move(value));
    return *this;
  }
  Json& Set(absl::string_view key, absl::string_view text) { return Set(key, String(text)); }
  // Object: member `key`, or null if there is none.
  Json* Find(absl::string_view key) {
    for (auto& [name, member] : members_) {
      if (name == key) return &member;
    }
    return nullptr;
  }
  Json& Add(Json value) {
    items_.push_back(std::move(value));
    return *this;
  }

  void Write(int indent, std::string* out) const {
    const std::string inner(indent + 2, ' ');
    switch (kind_) {
      case kString:
        WriteString(text_, out);
        return;
      case kLiteral:
        out->append(text_);
        return;
      case kArray:
        if (items_.empty()) {
          out->append("[]");
          return;
        }
        out->append("[\n");
        for (size_t i = 0; i < items_.size(); ++i) {
          out->append(inner);
          items_[i].Write(indent + 2, out);
          out->append(i + 1 < items_.size() ? ",\n" : "\n");
        }
        absl::StrAppend(out, std::string(indent, ' '), "]");
        return;
      case kObject:
        if (members_.empty()) {
          out->append("{}");
          return;
        }
        out->append("{\n");
        for (size_t i = 0; i < members_.size(); ++i) {
          out->append(inner);
          WriteString(members_[i].first, out);
          out->append(": ");
          members_[i].second.Write(indent + 2, out);
          out->append(i + 1 < members_.size() ? ",\n" : "\n");
        }
        absl::StrAppend(out, std::string(indent, ' '), "}");
        return;
    }
  }

 private:
  enum Kind { kObject, kArray, kString, kLiteral };
  Json(Kind kind, absl::string_view text) : kind_(kind), text_(text) {}

  static void WriteString(absl::string_view text, std::string* out) {
    out->push_back('"');
    for (const char c : text) {
      if (c == '"' || c == '\\') {
        out->push_back('\\');
        out->push_back(c);
      } else if (c == '\n') {
        out->append("\\n");
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  }

  Kind kind_;
  std::string text_;
  std::vector<std::pair<std::string, Json>> members_;
  std::vector<Json> items_;
};

Json Ref(absl::string_view where, absl::string_view name) {
  return Json::Object().Set("$ref", absl::StrCat("#/components/", where, "/", name));
}

// ThoughtSpot's REST API v2.0 operations, by the method that implements each.
struct ThoughtSpotOperation {
  absl::string_view method;
  absl::string_view operation_id;
  absl::string_view tag;
  absl::string_view summary;
};
constexpr ThoughtSpotOperation kThoughtSpotOperations[] = {
    {"CreateWebhook", "createWebhookConfiguration", "Webhooks", "Creates a webhook."},
    {"SearchWebhooks", "searchWebhookConfigurations", "Webhooks",
     "One page of the webhooks the caller may see."},
    {"UpdateWebhook", "updateWebhookConfiguration", "Webhooks",
     "Changes the given fields of one webhook."},
    {"DeleteWebhooks", "deleteWebhookConfigurations", "Webhooks",
     "Deletes webhooks by id or name; misses are reported in the response."},
    {"GetWebhookStorageConfig", "getWebhookStorageConfig", "Webhooks",
     "How to let this server write report files to a bucket."},
    {"ConfigureChannelPreferences", "configureCommunicationChannelPreferences", "System",
     "Sets cluster-level and org-level communication-channel preferences."},
    {"SearchChannelPreferences", "searchCommunicationChannelPreferences", "System",
     "Returns communication-channel preferences."},
    {"ValidateCommunicationChannel", "validateCommunicationChannel", "System",
     "Sends a test event to a webhook now and reports the checks."},
    {"SearchChannelHistory", "searchChannelHistory", "Jobs", "Delivery records, newest first."},
};

// The request fields ThoughtSpot's spec marks required, by message. (A response writes every
// field, so these hold in messages that responses share too.)
struct RequiredFields {
  absl::string_view message;
  std::initializer_list<absl::string_view> fields;
};
const RequiredFields kRequestRequired[] = {
    {"CreateWebhookRequest", {"name", "url", "events"}},
    {"DeleteWebhooksRequest", {"webhook_identifiers"}},
    {"SignatureVerification", {"type", "header", "algorithm", "secret"}},
    {"KeyValue", {"key", "value"}},
    {"StorageDestination", {"storage_type", "storage_config"}},
    {"AwsS3Config", {"bucket_name", "region", "role_arn"}},
    {"GcpGcsConfig", {"bucket_name", "service_account_email"}},
    {"EventChannelConfig", {"event_type", "channels"}},
    {"OrgChannelConfigInput", {"org_identifier"}},
    {"ValidateCommunicationChannelRequest", {"channel_type", "channel_identifier", "event_type"}},
    {"SearchChannelHistoryRequest", {"channel_type"}},
    {"ChannelHistoryEventInput", {"type"}},
};

bool IsRequiredInRequests(const Descriptor* message, absl::string_view field) {
  for (const RequiredFields& entry : kRequestRequired) {
    if (entry.message != message->name() || message->containing_type() != nullptr) continue;
    for (absl::string_view name : entry.fields) {
      if (name == field) return true;
    }
  }
  return false;
}

constexpr absl::string_view kExtensionTag = "webhookd";
constexpr absl::string_view kJson = "application/json";

// The schema name of a message or enum: its full name without the proto package.
std::string SchemaName(absl::string_view full_name) {
  return std::string(absl::StripPrefix(full_name, "webhooks.v1."));
}

// Builds components/schemas, one entry per message and enum a route reaches.
class Schemas {
 public:
  // Messages reachable from a request and from a response (each must be complete first).
  void MarkReachable(const Descriptor* message, bool request) {
    std::set<const Descriptor*>& seen = request ? request_ : response_;
    if (IsWellKnown(message) || !seen.insert(message).second) return;
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      if (field->is_map()) field = field->message_type()->map_value();
      if (field->message_type() != nullptr) MarkReachable(field->message_type(), request);
    }
  }

  // Adds `message` as `name` (its schema name if empty), without the fields in `omit`.
  std::string AddMessage(const Descriptor* message, std::string name = "",
                         const std::set<std::string>& omit = {}) {
    if (name.empty()) name = SchemaName(message->full_name());
    if (schemas_.count(name) > 0) return name;
    schemas_.emplace(name, Json::Object());  // Placeholder: recursion ends here.
    // Only responses carry it: every field the codec always writes is required. Else ThoughtSpot's
    // required request fields.
    const bool response_only = response_.count(message) > 0 && request_.count(message) == 0;
    Json properties = Json::Object();
    Json required = Json::Array();
    bool any_required = false;
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      if (omit.count(field->name()) > 0) continue;
      properties.Set(field->name(), FieldSchema(field));
      if (response_only ? !field->options().GetExtension(v1::omit_when_unset)
                        : IsRequiredInRequests(message, field->name())) {
        required.Add(Json::String(field->name()));
        any_required = true;
      }
    }
    Json schema = Json::Object();
    schema.Set("type", "object");
    if (any_required) schema.Set("required", std::move(required));
    schema.Set("properties", std::move(properties));
    schema.Set("additionalProperties", Json::Literal("false"));
    schemas_.at(name) = std::move(schema);
    return name;
  }

  // The schema of one value of `field` (an element, if it is repeated).
  Json ValueSchema(const FieldDescriptor* field) {
    switch (field->type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return Json::Object().Set("type", "integer").Set("format", "int32");
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return Json::Object().Set("type", "integer").Set("format", "int64");
      case FieldDescriptor::TYPE_DOUBLE:
        return Json::Object().Set("type", "number").Set("format", "double");
      case FieldDescriptor::TYPE_FLOAT:
        return Json::Object().Set("type", "number").Set("format", "float");
      case FieldDescriptor::TYPE_BOOL:
        return Json::Object().Set("type", "boolean");
      case FieldDescriptor::TYPE_STRING:
        return Json::Object().Set("type", "string");
      case FieldDescriptor::TYPE_BYTES:
        return Json::Object().Set("type", "string").Set("format", "byte");
      case FieldDescriptor::TYPE_ENUM:
        return Ref("schemas", AddEnum(field->enum_type()));
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        break;
    }
    const Descriptor* message = field->message_type();
    if (field->is_map()) {
      return Json::Object()
          .Set("type", "object")
          .Set("additionalProperties", ValueSchema(message->map_value()));
    }
    return MessageSchema(message);
  }

  // The schema of a message used as a whole (a reply, a `response_body` list's element).
  Json MessageSchema(const Descriptor* message) {
    if (message == google::protobuf::Struct::descriptor()) {
      return Json::Object()
          .Set("type", "object")
          .Set("additionalProperties", Json::Literal("true"));
    }
    if (message == google::protobuf::ListValue::descriptor()) {
      return Json::Object().Set("type", "array").Set("items", Json::Object());
    }
    if (message == google::protobuf::Value::descriptor()) return Json::Object();
    return Ref("schemas", AddMessage(message));
  }

  // The schema of `field` as the codec writes it: an array if repeated, nullable if it may be
  // null.
  Json FieldSchema(const FieldDescriptor* field) {
    Json schema = field->is_repeated() && !field->is_map()
                      ? Json::Object().Set("type", "array").Set("items", ValueSchema(field))
                      : ValueSchema(field);
    const bool nullable = field->is_repeated() ? field->options().GetExtension(v1::null_when_empty)
                                               : field->has_presence();
    if (!nullable) return schema;
    const bool is_ref = field->type() == FieldDescriptor::TYPE_ENUM ||
                        (field->type() == FieldDescriptor::TYPE_MESSAGE &&
                         !IsWellKnown(field->message_type()) && !field->is_repeated());
    // OpenAPI 3.0 ignores the siblings of a $ref: wrap it.
    if (is_ref) schema = Json::Object().Set("allOf", Json::Array().Add(std::move(schema)));
    schema.Set("nullable", Json::Literal("true"));
    return schema;
  }

  Json Build() {
    Json all = Json::Object();
    for (auto& [name, schema] : schemas_) all.Set(name, std::move(schema));
    return all;
  }

 private:
  static bool IsWellKnown(const Descriptor* message) {
    return message == google::protobuf::Struct::descriptor() ||
           message == google::protobuf::ListValue::descriptor() ||
           message == google::protobuf::Value::descriptor();
  }

  std::string AddEnum(const EnumDescriptor* type) {
    std::string name = SchemaName(type->full_name());
    if (schemas_.count(name) > 0) return name;
    Json values = Json::Array();
    for (int i = 0; i < type->value_count(); ++i) values.Add(Json::String(type->value(i)->name()));
    schemas_.emplace(name, Json::Object().Set("type", "string").Set("enum", std::move(values)));
    return name;
  }

  std::map<std::string, Json> schemas_;  // Sorted by name.
  std::set<const Descriptor*> request_;
  std::set<const Descriptor*> response_;
};

// components/responses: the errors, in ThoughtSpot's error body.
Json ErrorResponses() {
  struct Error {
    absl::string_view name;
    absl::string_view description;
  };
  constexpr Error kErrors[] = {
      {"BadRequest",
       "Invalid request (code 10002): a bad field or value, an unknown webhook or org, malformed "
       "JSON."},
      {"Unauthorized", "No bearer token, or an unknown one (code 10097)."},
      {"Forbidden", "The caller lacks the privilege the operation needs (code 10023)."},
      {"NotFound", "No API endpoint at this path (code 10002)."},
      {"UnsupportedMediaType", "The request body is not application/json (code 10002)."},
      {"TooManyRequests",
       "A limit of this server (request rate, concurrent validations): retry later (code "
       "10002)."},
      {"ServerError", "Unexpected server error (code 10038)."},
  };
  Json responses = Json::Object();
  for (const Error& error : kErrors) {
    Json response = Json::Object();
    response.Set("description", error.description);
    if (error.name == "TooManyRequests") {
      response.Set("headers", Json::Object().Set(
                                  "Retry-After",
                                  Json::Object()
                                      .Set("description", "Seconds to wait before trying again.")
                                      .Set("schema", Json::Object().Set("type", "integer"))));
    }
    response.Set(
        "content",
        Json::Object().Set(kJson, Json::Object().Set("schema", Ref("schemas", "ErrorResponse"))));
    responses.Set(error.name, std::move(response));
  }
  return responses;
}

// ThoughtSpot's error body: {"error":{"message":{"code":..,"incident_id_guid":..,...}}}.
Json ErrorSchema() {
  Json message = Json::Object().Set("type", "object");
  message.Set("required", Json::Array()
                              .Add(Json::String("code"))
                              .Add(Json::String("incident_id_guid"))
                              .Add(Json::String("trace_id_guid"))
                              .Add(Json::String("debug")));
  message.Set(
      "properties",
      Json::Object()
          .Set("code",
               Json::Object()
                   .Set("type", "integer")
                   .Set("description", "ThoughtSpot's error code: 10002, 10097, 10023 or 10038."))
          .Set("incident_id_guid", Json::Object().Set("type", "string").Set("format", "uuid"))
          .Set("trace_id_guid", Json::Object().Set("type", "string").Set("format", "uuid"))
          .Set("debug", Json::Object()
                            .Set("type", "string")
                            .Set("description", "What went wrong; never a secret.")));
  Json error = Json::Object()
                   .Set("type", "object")
                   .Set("required", Json::Array().Add(Json::String("message")))
                   .Set("properties", Json::Object().Set("message", std::move(message)));
  return Json::Object()
      .Set("type", "object")
      .Set("required", Json::Array().Add(Json::String("error")))
      .Set("properties", Json::Object().Set("error", std::move(error)));
}

const ThoughtSpotOperation* FindThoughtSpotOperation(absl::string_view method) {
  for (const ThoughtSpotOperation& operation : kThoughtSpotOperations) {
    if (operation.method == method) return &operation;
  }
  return nullptr;
}

std::string LowerFirst(absl::string_view name) {
  std::string text(name);
  if (!text.empty()) text[0] = absl::ascii_tolower(text[0]);
  return text;
}

void AddErrorRefs(bool has_body, Json* responses_out) {
  Json& responses = *responses_out;
  responses.Set("400", Ref("responses", "BadRequest"));
  responses.Set("401", Ref("responses", "Unauthorized"));
  responses.Set("403", Ref("responses", "Forbidden"));
  responses.Set("404", Ref("responses", "NotFound"));
  if (has_body) responses.Set("415", Ref("responses", "UnsupportedMediaType"));
  responses.Set("429", Ref("responses", "TooManyRequests"));
  responses.Set("500", Ref("responses", "ServerError"));
}

// The operation of one gateway route.
Json RouteOperation(const Route& route, Schemas* schemas) {
  const google::protobuf::MethodDescriptor* method = route.method;
  const ThoughtSpotOperation* known = FindThoughtSpotOperation(method->name());
  Json operation = Json::Object();
  operation.Set("tags", Json::Array().Add(Json::String(known ? known->tag : kExtensionTag)));
  operation.Set("operationId", known ? known->operation_id : LowerFirst(method->name()));
  operation.Set("summary", known ? known->summary : method->full_name());
  if (known == nullptr) operation.Set("x-webhookd-extension", Json::Literal("true"));
  std::set<std::string> path_fields;
  Json parameters = Json::Array();
  for (const Route::Segment& segment : route.segments) {
    if (!segment.variable) continue;
    path_fields.insert(segment.text);
    parameters.Add(Json::Object()
                       .Set("name", segment.text)
                       .Set("in", "path")
                       .Set("required", Json::Literal("true"))
                       .Set("description", "Id or name (percent-encoded).")
                       .Set("schema", Json::Object().Set("type", "string")));
  }
  if (!path_fields.empty()) operation.Set("parameters", std::move(parameters));
  if (route.has_body) {
    const std::string body = schemas->AddMessage(
        method->input_type(),
        path_fields.empty() ? "" : SchemaName(method->input_type()->full_name()) + "Body",
        path_fields);
    operation.Set(
        "requestBody",
        Json::Object()
            .Set("required", Json::Literal("true"))
            .Set("content",
                 Json::Object().Set(kJson, Json::Object().Set("schema", Ref("schemas", body)))));
  }
  Json responses = Json::Object();
  if (method->output_type() == google::protobuf::Empty::descriptor()) {
    responses.Set("204", Json::Object().Set("description", "Done; no body."));
  } else {
    Json schema = route.response_field != nullptr ? schemas->FieldSchema(route.response_field)
                                                  : schemas->MessageSchema(method->output_type());
    responses.Set("200",
                  Json::Object()
                      .Set("description", "OK")
                      .Set("content", Json::Object().Set(
                                          kJson, Json::Object().Set("schema", std::move(schema)))));
  }
  AddErrorRefs(route.has_body, &responses);
  operation.Set("responses", std::move(responses));
  return operation;
}

// An operation of webhookd's own, served outside the gateway.
Json ExtensionOperation(absl::string_view operation_id, absl::string_view summary,
                        absl::string_view content_type, Json schema) {
  return Json::Object()
      .Set("tags", Json::Array().Add(Json::String(kExtensionTag)))
      .Set("operationId", operation_id)
      .Set("summary", summary)
      .Set("x-webhookd-extension", Json::Literal("true"))
      .Set("security", Json::Array())
      .Set("responses",
           Json::Object().Set(
               "200", Json::Object()
                          .Set("description", "OK")
                          .Set("content", Json::Object().Set(
                                              content_type,
                                              Json::Object().Set("schema", std::move(schema))))));
}

Json Tag(absl::string_view name, absl::string_view description) {
  return Json::Object().Set("name", name).Set("description", description);
}

}  // namespace

absl::StatusOr<std::string> OpenApiDocument(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  // The gateway's own compiled routes.
  absl::StatusOr<std::vector<Route>> compiled = grpc_service_internal::CompileRoutes(services);
  if (!compiled.ok()) return compiled.status();
  const std::vector<Route>& routes = *compiled;
  for (const RequiredFields& entry : kRequestRequired) {
    const Descriptor* message = services[0]->file()->pool()->FindMessageTypeByName(
        absl::StrCat("webhooks.v1.", entry.message));
    for (absl::string_view field : entry.fields) {
      if (message == nullptr || message->FindFieldByName(std::string(field)) == nullptr) {
        return absl::InternalError(absl::StrCat("no field webhooks.v1.", entry.message, ".", field,
                                                " for ThoughtSpot's required request fields"));
      }
    }
  }

  Schemas schemas;
  for (const Route& route : routes) {
    if (route.has_body) schemas.MarkReachable(route.method->input_type(), /*request=*/true);
    schemas.MarkReachable(route.response_field != nullptr && route.response_field->message_type()
                              ? route.response_field->message_type()
                              : route.method->output_type(),
                          /*request=*/false);
  }
  Json paths = Json::Object();
  for (const Route& route : routes) {
    if (paths.Find(route.pattern) == nullptr) paths.Set(route.pattern, Json::Object());
    Json* path = paths.Find(route.pattern);
    path->Set(absl::AsciiStrToLower(route.verb), RouteOperation(route, &schemas));
  }
  paths.Set(kOpenApiPath,
            Json::Object().Set(
                "get", ExtensionOperation("getOpenApiDocument", "This document (OpenAPI 3.0).",
                                          kJson, Json::Object().Set("type", "object"))));
  paths.Set("/metrics",
            Json::Object().Set(
                "get", ExtensionOperation(
                           "getMetrics",
                           "Prometheus' text format 0.0.4 (unless the embedder turned it off).",
                           "text/plain; version=0.0.4", Json::Object().Set("type", "string"))));

  Json components = Json::Object();
  Json all_schemas = schemas.Build();
  all_schemas.Set("ErrorResponse", ErrorSchema());
  components.Set("schemas", std::move(all_schemas));
  components.Set("responses", ErrorResponses());
  components.Set("securitySchemes",
                 Json::Object().Set("bearerAuth", Json::Object()
                                                      .Set("type", "http")
                                                      .Set("scheme", "bearer")
                                                      .Set("description", "A principal's token.")));

  std::vector<std::string> names;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    names.push_back(service->full_name());
  }
  Json document = Json::Object();
  document.Set("openapi", "3.0.3");
  document.Set(
      "info",
      Json::Object()
          .Set("title", "webhookd REST API")
          .Set("version", "2.0")
          .Set("description",
               absl::StrCat("The REST gateway of ", absl::StrJoin(names, " and "),
                            ": ThoughtSpot's REST API v2.0 webhook operations (paths, field names "
                            "and error bodies as ThoughtSpot's). Generated from the services' "
                            "google.api.http rules; operations tagged \"webhookd\" and marked "
                            "x-webhookd-extension are not part of ThoughtSpot's API.")));
  document.Set("security", Json::Array().Add(Json::Object().Set("bearerAuth", Json::Array())));
  document.Set("tags", Json::Array()
                           .Add(Tag("Webhooks", "ThoughtSpot: webhook configurations."))
                           .Add(Tag("System", "ThoughtSpot: communication channels."))
                           .Add(Tag("Jobs", "ThoughtSpot: delivery history."))
                           .Add(Tag(kExtensionTag, "webhookd's own; not in ThoughtSpot's API.")
                                    .Set("x-webhookd-extension", Json::Literal("true"))));
  document.Set("paths", std::move(paths));
  document.Set("components", std::move(components));
  std::string out;
  document.Write(0, &out);
  out.push_back('\n');
  return out;
}

}  // namespace webhooks
