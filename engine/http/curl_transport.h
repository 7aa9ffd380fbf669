// CurlTransport: the HttpTransport that sends real requests, with libcurl.
//
//   CurlTransportOptions options;
//   options.user_agent = "ThoughtSpot-Webhooks/1.0";
//   ASSIGN_OR_RETURN(std::unique_ptr<CurlTransport> transport, CurlTransport::Create(options));
//   transport->Send(request, [](absl::StatusOr<HttpResponse> response) { ... });
//
// All requests run on one background thread that drives a libcurl multi handle, so idle
// connections are kept alive and reused across requests to the same host. Every connection
// is checked against the address policy (engine/http/address_policy.h) on the address actually
// being connected to, after DNS resolution, so hostnames resolving to loopback or private
// addresses, and DNS rebinding, are refused unless `allow_private_endpoints` is set (or the
// request is to an operator's endpoint: HttpRequest::operator_endpoint); so are ports outside
// `allowed_ports` when it is set.
//
// Requests to operator endpoints keep their connections in a pool of their own, apart from
// every other request's: an operator connection was opened past the address policy, so a
// webhook request must never get it (nor an operator request one that a webhook opened).
// Redirects are never followed, only http and https are spoken, proxy environment variables
// are ignored, and TLS peers are verified against the system's CA store.
//
// Headers are sent as given, in order; the transport adds only Host, Content-Length and (when
// configured and the request has none) User-Agent. libcurl's default "Accept",
// "Content-Type" and "Expect" headers are suppressed unless the request sets them.
//
// Thread-safe. Callbacks run on the transport's thread, one at a time; they may call Send()
// but must not block for long (they hold up every other request) and must not destroy the
// transport.
#ifndef WEBHOOKS_ENGINE_HTTP_CURL_TRANSPORT_H_
#define WEBHOOKS_ENGINE_HTTP_CURL_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/http/http_transport.h"

namespace webhooks {

struct CurlTransportOptions {
  // Let requests reach loopback, private, link-local and other non-public addresses (the
  // server's --allow_private_endpoints). Off: such connections fail with kPermissionDenied.
  bool allow_private_endpoints = false;
  // Response bodies are cut to this many bytes. Up to 1 MiB beyond it is read and dropped so
  // the connection can be reused; past that the connection is closed (the response, with its
  // truncated body, is still returned).
  size_t max_response_body = 4096;
  // Sent as User-Agent unless the request has its own; empty sends none.
  std::string user_agent;
  // The destination ports requests may connect to (for example {443, 8443}); empty allows
  // every port. Checked, like the address policy, on every connection, so a URL's implicit
  // port (80 for http, 443 for https) counts too; other connections fail with
  // kPermissionDenied. Operator endpoints (HttpRequest::operator_endpoint) are exempt.
  // Create() refuses a port outside 1-65535 with kInvalidArgument.
  std::vector<int> allowed_ports;
};

class CurlTransport final : public HttpTransport {
 public:
  // Starts the transport's thread. Returns kInvalidArgument for an option out of range and
  // kInternal if libcurl cannot be initialised.
  static absl::StatusOr<std::unique_ptr<CurlTransport>> Create(CurlTransportOptions options);

  // Stops the thread; requests still in flight or queued complete with kCancelled (their
  // callbacks run before the destructor returns). Must not run on the transport's thread.
  ~CurlTransport() override;

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // See HttpTransport::Send. In addition: kInvalidArgument for a URL libcurl cannot parse,
  // a scheme other than http or https, or a header name or value containing CR, LF or NUL.
  // Error messages name the method and the URL without its query string or fragment.
  // A Send() after destruction began fails at once with kCancelled, on the calling thread.
  void Send(HttpRequest request, Callback done) override;

 private:
  struct Pending {
    HttpRequest request;
    Callback done;
  };
  CurlTransport(CurlTransportOptions options, void* multi, void* operator_pool);

  void Run();

  const CurlTransportOptions options_;
  void* const multi_;  // CURLM*, used on the thread except for curl_multi_wakeup.
  // CURLSH* holding the connection pool of operator requests (the multi handle's pool holds
  // the others'). Used on the thread only.
  void* const operator_pool_;

  absl::Mutex mu_;
  std::vector<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_HTTP_CURL_TRANSPORT_H_
