#include "grpc_service/rest_gateway.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/memory/memory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "engine/base/json_codec.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/message.h"
#include "grpc_service/server_log.h"
#include "grpc_service/status_mapping.h"

namespace webhooks {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using grpc_service_internal::Route;

constexpr absl::string_view kJson = "application/json";

std::vector<std::string> SplitPath(absl::string_view path) {
  return absl::StrSplit(path, '/');  // "/a/b" -> {"", "a", "b"}.
}

// Compiles one binding of `method`. Supports literal segments and `{field}` / `{field=*}`.
absl::StatusOr<Route> Compile(const MethodDescriptor* method, const google::api::HttpRule& rule) {
  Route route;
  route.method = method;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      route.verb = "GET";
      route.pattern = rule.get();
      break;
    case google::api::HttpRule::kPut:
      route.verb = "PUT";
      route.pattern = rule.put();
      break;
    case google::api::HttpRule::kPost:
      route.verb = "POST";
      route.pattern = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      route.verb = "DELETE";
      route.pattern = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      route.verb = "PATCH";
      route.pattern = rule.patch();
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(method->full_name(),
                       ": google.api.http must use get, put, post, delete "
                       "or patch"));
  }
  if (rule.body() != "*" && !rule.body().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method->full_name(), ": google.api.http body must be \"*\" or empty"));
  }
  route.has_body = rule.body() == "*";
  if (!rule.response_body().empty()) {
    route.response_field = method->output_type()->FindFieldByName(rule.response_body());
    if (route.response_field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          method->full_name(), ": google.api.http response_body \"", rule.response_body(),
          "\" names no field of ", method->output_type()->full_name()));
    }
  }
  if (route.pattern.empty() || route.pattern[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(method->full_name(), ": path template must start with '/'"));
  }
  for (const std::string& text : SplitPath(route.pattern)) {
    Route::Segment segment;
    if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
      absl::string_view name = absl::string_view(text).substr(1, text.size() - 2);
      if (absl::EndsWith(name, "=*")) name.remove_suffix(2);
      const FieldDescriptor* field = method->input_type()->FindFieldByName(std::string(name));
      if (field == nullptr || field->is_repeated() ||
          field->type() != FieldDescriptor::TYPE_STRING) {
        return absl::InvalidArgumentError(absl::StrCat(
            method->full_name(), ": path variable {", name,
            "} must name a singular string field of ", method->input_type()->full_name()));
      }
      segment.text = std::string(name);
      segment.variable = true;
    } else if (absl::StrContains(text, "{") || absl::StrContains(text, "}") ||
               absl::StrContains(text, "*")) {
      return absl::InvalidArgumentError(
          absl::StrCat(method->full_name(), ": unsupported path template segment \"", text, "\""));
    } else {
      segment.text = text;
    }
    route.segments.push_back(std::move(segment));
  }
  return route;
}

// Decodes %XX escapes; false for a malformed escape.
bool PercentDecode(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !absl::ascii_isxdigit(in[i + 1]) ||
        !absl::ascii_isxdigit(in[i + 2])) {
      return false;
    }
    auto hex = [](char c) {
      return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
    };
    out->push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
    i += 2;
  }
  return true;
}

// Fills the path variables of `route` from `path_segments`; false if the path does not match.
bool MatchPath(const Route& route, const std::vector<std::string>& path_segments,
               std::vector<std::pair<std::string, std::string>>* variables) {
  if (route.segments.size() != path_segments.size()) return false;
  variables->clear();
  for (size_t i = 0; i < path_segments.size(); ++i) {
    const Route::Segment& segment = route.segments[i];
    if (!segment.variable) {
      if (segment.text != path_segments[i]) return false;
      continue;
    }
    std::string value;
    if (path_segments[i].empty() || !PercentDecode(path_segments[i], &value)) return false;
    variables->emplace_back(segment.text, std::move(value));
  }
  return true;
}

RestResponse JsonResponse(int status, std::string body) {
  RestResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::string(kJson));
  response.body = std::move(body);
  return response;
}

RestResponse ErrorResponse(const HttpError& error) {
  return JsonResponse(error.http_status, error.body);
}

// An authorization value that gRPC metadata could not carry (printable ASCII only) is not passed
// on, as for a gRPC caller: the call then has no credentials and fails as unauthenticated.
bool IsValidMetadataValue(absl::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string MediaType(absl::string_view content_type) {
  const absl::string_view type = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

}  // namespace

namespace grpc_service_internal {

absl::StatusOr<std::vector<Route>> CompileRoutes(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  if (services.empty() || absl::c_linear_search(services, nullptr)) {
    return absl::InvalidArgumentError("RestGateway needs service descriptors");
  }
  std::vector<const MethodDescriptor*> methods;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) methods.push_back(service->method(i));
  }
  std::vector<Route> routes;
  absl::flat_hash_set<std::string> seen;
  for (const MethodDescriptor* method : methods) {
    if (method->client_streaming() || method->server_streaming()) continue;
    if (!method->options().HasExtension(google::api::http)) continue;
    const google::api::HttpRule& rule = method->options().GetExtension(google::api::http);
    std::vector<const google::api::HttpRule*> bindings = {&rule};
    for (const auto& extra : rule.additional_bindings()) bindings.push_back(&extra);
    for (const google::api::HttpRule* binding : bindings) {
      absl::StatusOr<Route> route = Compile(method, *binding);
      if (!route.ok()) return route.status();
      // Variables match any segment, so routes differing only in variable names collide too.
      std::vector<std::string> shape;
      for (const auto& segment : route->segments) {
        shape.push_back(segment.variable ? "{}" : segment.text);
      }
      if (!seen.insert(absl::StrCat(route->verb, " ", absl::StrJoin(shape, "/"))).second) {
        return absl::InvalidArgumentError(absl::StrCat(method->full_name(),
                                                       ": another rule already routes ",
                                                       route->verb, " ", route->pattern));
      }
      routes.push_back(*std::move(route));
    }
  }
  return routes;
}

}  // namespace grpc_service_internal

absl::StatusOr<std::unique_ptr<RestGateway>> RestGateway::Create(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services, RestCallTarget* target,
    const RestGatewayOptions& options) {
  if (target == nullptr) return absl::InvalidArgumentError("RestGateway needs a call target");
  absl::StatusOr<std::vector<Route>> routes = grpc_service_internal::CompileRoutes(services);
  if (!routes.ok()) return routes.status();
  return absl::WrapUnique(new RestGateway(*std::move(routes), target, options));
}

RestResponse RestGateway::Handle(const RestRequest& request) const {
  const auto supplied = request.headers.find(kRequestIdHeader);
  const std::string request_id =
      RequestId(supplied == request.headers.end() ? "" : supplied->second);
  RestResponse response = Answer(request, request_id);
  response.headers.emplace_back("X-Request-Id", request_id);
  return response;
}

const Route* RestGateway::Match(const RestRequest& request,
                                std::vector<std::pair<std::string, std::string>>* variables,
                                std::vector<std::string>* allowed) const {
  const absl::string_view target = request.target;
  const std::vector<std::string> path_segments = SplitPath(target.substr(0, target.find('?')));
  for (const Route& candidate : routes_) {
    std::vector<std::pair<std::string, std::string>> candidate_variables;
    if (!MatchPath(candidate, path_segments, &candidate_variables)) continue;
    if (candidate.verb == request.method) {
      *variables = std::move(candidate_variables);
      return &candidate;
    }
    allowed->push_back(candidate.verb);
  }
  return nullptr;
}

const google::protobuf::MethodDescriptor* RestGateway::MethodOf(const RestRequest& request) const {
  std::vector<std::pair<std::string, std::string>> variables;
  std::vector<std::string> allowed;
  const Route* route = Match(request, &variables, &allowed);
  return route == nullptr ? nullptr : route->method;
}

RestResponse RestGateway::Answer(const RestRequest& request, const std::string& request_id) const {
  const absl::string_view target = request.target;
  const absl::string_view path = target.substr(0, target.find('?'));

  std::vector<std::pair<std::string, std::string>> variables;
  std::vector<std::string> allowed;
  const Route* route = Match(request, &variables, &allowed);
  if (route == nullptr && allowed.empty()) {
    return ErrorResponse(
        HttpErrorForStatus(404, absl::StrCat("No API endpoint at path ", path, ".")));
  }
  if (route == nullptr) {
    RestResponse response = ErrorResponse(
        HttpErrorForStatus(405, absl::StrCat("Method ", request.method, " is not allowed at path ",
                                             path, "; use ", absl::StrJoin(allowed, ", "), ".")));
    response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return response;
  }

  // The request message: the JSON body, then the path variables.
  if (request.body.size() > options_.max_body_bytes) {
    return ErrorResponse(HttpErrorForStatus(413, absl::StrCat("Request body exceeds the limit of ",
                                                              options_.max_body_bytes, " bytes.")));
  }
  const auto content_type = request.headers.find("content-type");
  const bool has_body = !absl::StripAsciiWhitespace(request.body).empty();
  if (route->has_body && (has_body || content_type != request.headers.end()) &&
      (content_type == request.headers.end() || MediaType(content_type->second) != kJson)) {
    return ErrorResponse(HttpErrorForStatus(
        415, "Unsupported Content-Type: the request body must be application/json."));
  }
  const MethodDescriptor* method = route->method;
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  const Message* request_prototype = factory->GetPrototype(method->input_type());
  const Message* response_prototype = factory->GetPrototype(method->output_type());
  if (request_prototype == nullptr || response_prototype == nullptr) {
    return ErrorResponse(HttpErrorForStatus(500, kGenericServerError));
  }
  std::unique_ptr<Message> call_request(request_prototype->New());
  if (route->has_body && has_body) {
    const absl::Status parsed = FromJson(request.body, call_request.get());
    if (!parsed.ok()) return ErrorResponse(HttpErrorForStatus(400, parsed.message()));
  }
  for (const auto& [field_name, value] : variables) {
    const FieldDescriptor* field = method->input_type()->FindFieldByName(field_name);
    call_request->GetReflection()->SetString(call_request.get(), field, value);
  }
  // The call, and its reply.
  CallInfo info;
  const auto authorization = request.headers.find("authorization");
  if (authorization != request.headers.end() && IsValidMetadataValue(authorization->second)) {
    info.authorization = authorization->second;
  }
  info.request_id = request_id;
  info.deadline = absl::Now() + options_.call_timeout;
  const auto call_error = [](const grpc::Status& status) {
    RestResponse response = ErrorResponse(HttpErrorFromGrpc(status));
    // A limit of this server (too many validations at once, say): worth trying again soon.
    if (response.status == 429) response.headers.emplace_back("Retry-After", "1");
    return response;
  };
  if (route->response_field == nullptr) {
    std::string json;
    if (const std::optional<grpc::Status> status =
            target_.CallToJson(*method, info, *call_request, &json)) {
      return status->ok() ? JsonResponse(200, std::move(json)) : call_error(*status);
    }
  }
  std::unique_ptr<Message> call_response(response_prototype->New());
  const grpc::Status status = target_.Call(*method, info, *call_request, call_response.get());
  if (!status.ok()) return call_error(status);
  if (method->output_type() == google::protobuf::Empty::descriptor()) {
    RestResponse response;
    response.status = 204;
    return response;
  }
  return JsonResponse(200, route->response_field == nullptr
                               ? ToJson(*call_response)
                               : FieldToJson(*call_response, *route->response_field));
}

}  // namespace webhooks
