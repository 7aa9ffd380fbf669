// Percent-encoding for URLs that this server builds (query parameters of deliveries, AWS
// requests and their signatures).
#ifndef WEBHOOKS_ENGINE_URI_ENCODING_H_
#define WEBHOOKS_ENGINE_URI_ENCODING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace webhooks {
namespace engine_internal {

// RFC 3986: every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) becomes %XX, upper-case
// hex, '/' included. This is also AWS Signature Version 4's UriEncode.
std::string UriEncode(absl::string_view bytes);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_URI_ENCODING_H_
