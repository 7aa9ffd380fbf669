// Percent-encoding for URLs that this server builds (query parameters of deliveries, AWS
// requests and their signatures).
#ifndef WEBHOOKS_ENGINE_BASE_URI_ENCODING_H_
#define WEBHOOKS_ENGINE_BASE_URI_ENCODING_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace webhooks {
namespace engine_internal {

// RFC 3986: every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) becomes %XX, upper-case
// hex, '/' included. This is also AWS Signature Version 4's UriEncode.
std::string UriEncode(absl::string_view bytes);

// application/x-www-form-urlencoded (the WHATWG URL serializer, which RFC 6749 appendix B
// uses): letters, digits and * - . _ stay, a space becomes '+', every other byte %XX.
std::string FormEncode(absl::string_view bytes);

// Decodes %XX escapes; a '%' not followed by two hex digits stands for itself. '+' is a space
// when `plus_is_space` (application/x-www-form-urlencoded), else a plus (RFC 3986, as AWS
// decodes URLs).
std::string UriDecode(absl::string_view text, bool plus_is_space = false);

// "a=1&b=x%20y" as application/x-www-form-urlencoded fields, decoded; of a repeated name the
// first counts.
std::map<std::string, std::string> ParseForm(absl::string_view text);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_BASE_URI_ENCODING_H_
