#include "grpc_service/rest_types.h"

#include "absl/strings/match.h"

namespace webhooks {

std::string RestResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

}  // namespace webhooks
