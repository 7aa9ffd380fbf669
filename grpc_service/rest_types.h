// RestRequest and RestResponse: an inbound HTTP request and its response, as the HTTP server
// (http_server.h) and the REST gateway (rest_gateway.h) exchange them, free of any server
// library so the gateway is tested without sockets. (Outbound requests are the engine's
// HttpRequest, engine/http_transport.h.)
#ifndef WEBHOOKS_GRPC_SERVICE_REST_TYPES_H_
#define WEBHOOKS_GRPC_SERVICE_REST_TYPES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace webhooks {

struct RestRequest {
  std::string method;  // Upper case, e.g. "POST".
  std::string target;  // The request target: path and optional "?query".
  // Header names in lower case; a repeated header holds its values joined by ", ".
  absl::flat_hash_map<std::string, std::string> headers;
  std::string body;
};

struct RestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // In order; no Content-Length.
  std::string body;

  // The value of header `name` (case-insensitive), or "" if absent.
  std::string Header(absl::string_view name) const;
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_TYPES_H_
