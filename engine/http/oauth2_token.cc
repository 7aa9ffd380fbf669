#include "engine/http/oauth2_token.h"

#include "engine/base/json_codec.h"
#include "google/protobuf/struct.pb.h"

namespace webhooks {

std::optional<AccessToken> ParseAccessToken(absl::string_view body,
                                            absl::Duration default_lifetime) {
  google::protobuf::Struct json;
  if (!FromJson(body, &json).ok()) return std::nullopt;
  const auto& fields = json.fields();
  const auto token = fields.find("access_token");
  if (token == fields.end() || token->second.string_value().empty()) return std::nullopt;
  const auto expires_in = fields.find("expires_in");
  return AccessToken{token->second.string_value(),
                     expires_in != fields.end() ? absl::Seconds(expires_in->second.number_value())
                                                : default_lifetime};
}

}  // namespace webhooks
