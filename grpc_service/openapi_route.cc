#include "grpc_service/openapi_route.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "grpc_service/openapi.h"
#include "grpc_service/status_mapping.h"

namespace webhooks {

std::optional<RestResponse> ServeOpenApi(const RestRequest& request) {
  const absl::string_view target = request.target;
  if (target.substr(0, target.find('?')) != kOpenApiPath) return std::nullopt;
  RestResponse response;
  response.headers.emplace_back("Content-Type", "application/json");
  if (request.method != "GET") {
    const HttpError error =
        HttpErrorForStatus(405, absl::StrCat("Method ", request.method, " is not allowed at path ",
                                             kOpenApiPath, "; use GET."));
    response.status = error.http_status;
    response.headers.emplace_back("Allow", "GET");
    response.body = error.body;
    return response;
  }
  response.status = 200;
  response.body = std::string(OpenApiJson());
  return response;
}

}  // namespace webhooks
