// gateway_routes: prints every route that webhookd's REST gateway serves, one "VERB /path" line
// each (path variables as in the rule, e.g. {webhook_identifier}), in declaration order. For
// openapi_test, which checks them against the OpenAPI document.
#include <cstdio>

#include "grpc_service/rest_gateway.h"
#include "grpc_service/webhook_service.h"

int main() {
  // The routes as webhookd's gateway compiles them.
  const auto routes =
      webhooks::grpc_service_internal::CompileRoutes(webhooks::RestServiceDescriptors());
  if (!routes.ok()) {
    std::fprintf(stderr, "gateway_routes: %s\n", routes.status().ToString().c_str());
    return 1;
  }
  for (const auto& route : *routes)
    std::printf("%s %s\n", route.verb.c_str(), route.pattern.c_str());
  return 0;
}
