// gateway_routes: prints every route that webhookd's REST gateway serves, one "VERB /path" line
// each (path variables as in the rule, e.g. {webhook_identifier}), in declaration order. For
// openapi_test, which checks them against the OpenAPI document.
#include <cstdio>
#include <memory>

#include "grpc_service/rest_gateway.h"
#include "grpc_service/webhook_service.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

int main() {
  // The gateway as webhookd builds it; its channel is never used.
  auto gateway = webhooks::RestGateway::Create(
      webhooks::RestServiceDescriptors(),
      grpc::CreateChannel("localhost:1", grpc::InsecureChannelCredentials()), {});
  if (!gateway.ok()) {
    std::fprintf(stderr, "gateway_routes: %s\n", gateway.status().ToString().c_str());
    return 1;
  }
  for (const auto& route : (*gateway)->routes()) {
    std::printf("%s %s\n", route.verb.c_str(), route.pattern.c_str());
  }
  return 0;
}
