// The web console on the REST listener: GET /console serves the single-page app of console/web/
// (compiled into the binary, console/assets.h) and GET /console/<file> its other files. The app
// calls the same REST API with the user's bearer token, so it adds no privilege of its own;
// these routes need no token because the files hold no data.
//
//   if (std::optional<RestResponse> page = ServeConsole(request)) return *page;
//   return gateway.Handle(request);
#ifndef WEBHOOKS_GRPC_SERVICE_CONSOLE_H_
#define WEBHOOKS_GRPC_SERVICE_CONSOLE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "grpc_service/rest_types.h"

namespace webhooks {

// The Content-Security-Policy of every console response: only the console's own files, calls to
// this origin, no inline script or style, no framing.
inline constexpr absl::string_view kConsoleContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// Answers a request whose path is /console, /console/ or /console/<file> (any query string is
// ignored): 200 with the file, its Content-Type, Cache-Control, nosniff and the policy above;
// 404 for a file the console does not have; 405 for a method other than GET. Returns nullopt
// for every other path, which the caller routes elsewhere. Thread-safe.
std::optional<RestResponse> ServeConsole(const RestRequest& request);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_CONSOLE_H_
