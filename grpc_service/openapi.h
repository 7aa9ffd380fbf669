// OpenApiDocument: the OpenAPI 3.0 description of the REST API that RestGateway serves for
// services, built from their google.api.http rules and message descriptors, so the document and
// the gateway share one source (proto/webhook_service.proto, proto/delivery_repair_service.proto).
// //grpc_service:openapi_gen runs it at build time; webhookd serves the result (openapi_route.h).
//
//   absl::StatusOr<std::string> json = OpenApiDocument(RestServiceDescriptors());
//
// What it writes, following the JSON form of engine/base/json_codec.h: field names as in the
// proto (ThoughtSpot's snake_case), enums as strings, 64-bit integers as numbers, `nullable` on
// every field the codec may write as null (fields with presence, `null_when_empty` fields). In a
// message only responses use, every field the codec always writes is `required`; elsewhere the
// request fields ThoughtSpot's spec requires (CreateWebhookRequest's name, url, events, ...). One
// operation per route (ThoughtSpot's operationId and tag where the route is ThoughtSpot's), its
// path variables as path parameters, its body as the request body, 200 with the reply (or the
// `response_body` field) or 204 for google.protobuf.Empty, and the errors in ThoughtSpot's error
// body. Operations that ThoughtSpot's API lacks (GET /metrics, the document itself, and any rule
// of a method not in ThoughtSpot's API) carry `x-webhookd-extension: true` and the tag "webhookd".
#ifndef WEBHOOKS_GRPC_SERVICE_OPENAPI_H_
#define WEBHOOKS_GRPC_SERVICE_OPENAPI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace webhooks {

// Where webhookd serves the document (on the REST listener, without authentication).
inline constexpr absl::string_view kOpenApiPath = "/api/rest/2.0/webhooks/openapi.json";

// The document as indented JSON with a final newline; the same bytes for the same descriptors.
// kInvalidArgument for a rule the gateway would refuse (RestGateway::Create's errors).
// kInternal if its table of ThoughtSpot's required fields names a field the protos lack.
absl::StatusOr<std::string> OpenApiDocument(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_OPENAPI_H_
