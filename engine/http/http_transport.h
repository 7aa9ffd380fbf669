// HttpTransport: how the engine sends one HTTP request (deliveries, OAuth2 token requests,
// validation). CurlTransport (engine/http/curl_transport.h) is the real one; tests use
// //testing:fake_transport.
#ifndef WEBHOOKS_ENGINE_HTTP_HTTP_TRANSPORT_H_
#define WEBHOOKS_ENGINE_HTTP_HTTP_TRANSPORT_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace webhooks {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // Absolute http or https URL, query included.
  std::vector<std::pair<std::string, std::string>> headers;  // Sent in this order.
  std::string body;
  absl::Duration timeout = absl::Seconds(5);  // For the whole exchange, connect included.
  // The URL is the server operator's (AWS STS and S3 endpoints), not a user's: the address
  // policy does not apply, and the connection is never shared with a request that is not an
  // operator's (CurlTransport keeps operator connections in a pool of their own).
  bool operator_endpoint = false;
};

struct HttpResponse {
  int status = 0;
  // Names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // At most the transport's body cap; the rest is dropped.

  // The value of the first header named `name` (lower case), or "" if there is none.
  std::string Header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
};

// Implementations are thread-safe. Redirects are never followed (a 3xx is returned as such).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  using Callback = std::function<void(absl::StatusOr<HttpResponse>)>;

  // Sends `request` and calls `done` exactly once, on a thread of the transport's, with the
  // response (any status code) or an error: kDeadlineExceeded for a timeout,
  // kPermissionDenied for a destination refused by the address policy (the message says
  // which address and why), kUnavailable for connection and DNS failures.
  virtual void Send(HttpRequest request, Callback done) = 0;
};

// The error of a request that got no answer, with what it was: "<where> failed: <error>",
// keeping the transport's code (which says whether trying again may help).
inline absl::Status RequestFailed(absl::string_view where, const absl::Status& error) {
  return absl::Status(error.code(), absl::StrCat(where, " failed: ", error.message()));
}

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_HTTP_HTTP_TRANSPORT_H_
