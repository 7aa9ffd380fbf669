// The OpenAPI document of webhookd's REST API on the REST listener: GET
// /api/rest/2.0/webhooks/openapi.json answers openapi.json, which //grpc_service:openapi_gen
// builds from proto/webhook_service.proto (openapi.h) and compiles into the binary. It needs no
// token: it holds no data.
//
//   if (std::optional<RestResponse> document = ServeOpenApi(request)) return *document;
//   return gateway.Handle(request);
#ifndef WEBHOOKS_GRPC_SERVICE_OPENAPI_ROUTE_H_
#define WEBHOOKS_GRPC_SERVICE_OPENAPI_ROUTE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "grpc_service/rest_types.h"

namespace webhooks {

// The document (JSON), compiled in. Static storage; thread-safe.
absl::string_view OpenApiJson();

// Answers a request whose path is kOpenApiPath (openapi.h; any query string is ignored): 200 with
// the document and `Content-Type: application/json` for GET, 405 (ThoughtSpot's error body, an
// Allow header) for any other method. Returns nullopt for every other path, which the caller
// routes elsewhere. Thread-safe.
std::optional<RestResponse> ServeOpenApi(const RestRequest& request);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_OPENAPI_ROUTE_H_
