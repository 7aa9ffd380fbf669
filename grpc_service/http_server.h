// HttpServer: an HTTP/1.1 server (Boost.Beast over Asio) with keep-alive, size limits and read
// timeouts, that hands each request to a blocking handler.
//
//   HttpServerOptions options;
//   options.listen = "127.0.0.1:0";
//   auto server = HttpServer::Start(options, [&](const RestRequest& r) { return gateway->Handle(r);
//   }); int port = (*server)->port();
//   (*server)->Shutdown();
//
// Limits answer in ThoughtSpot's error shape and then close the connection: a header block
// over `max_header_bytes` or `max_header_count` gets 431, a body over `max_body_bytes` 413, a
// malformed request 400. A connection that does not deliver a request's header block within
// `header_timeout` (also the keep-alive idle time), or a whole request within `read_timeout`, is
// closed. Connections beyond `max_connections`, or `max_connections_per_client` from one
// address, are closed on accept. Idle connections cost no thread.
//
// Thread-safe. The handler runs on one of `handler_threads` threads of its own, never on the
// `threads` I/O threads, so it may block (a validation waiting on a receiver that never
// answers, say) without delaying other connections; it is called concurrently for different
// connections. A request that finds every handler thread busy waits in a queue of at most
// `max_queued_requests`; beyond that it is answered 429 with `Retry-After: 1` at once.
#ifndef WEBHOOKS_GRPC_SERVICE_HTTP_SERVER_H_
#define WEBHOOKS_GRPC_SERVICE_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc_service/rate_limiter.h"
#include "grpc_service/rest_types.h"

namespace webhooks {

struct HttpServerOptions {
  // "host:port" to listen on; port 0 picks a free port (see HttpServer::port()). IPv6 hosts
  // in brackets: "[::1]:8080".
  std::string listen = "127.0.0.1:0";
  size_t max_header_bytes = 16 * 1024;
  // Header fields of one request; more gets 431 (the byte limit alone allows thousands).
  size_t max_header_count = 100;
  size_t max_body_bytes = 1 << 20;
  // Time to receive one whole request.
  absl::Duration read_timeout = absl::Seconds(30);
  // Time to receive a request's header block, counted from the connection's start or the end
  // of its previous response: a connection that idles or trickles its headers longer is closed
  // without an answer. Capped by read_timeout.
  absl::Duration header_timeout = absl::Seconds(10);
  // Open connections, in all and from one client address. A connection over either limit is
  // closed as soon as it is accepted, before anything is read from it.
  size_t max_connections = 1024;
  size_t max_connections_per_client = 64;
  // I/O threads: reading and writing only.
  int threads = 4;
  // Threads that run the handler: at most this many requests are handled at once.
  int handler_threads = 16;
  // Requests read while every handler thread is busy wait for one, up to this many; more are
  // answered 429 (ThoughtSpot's error body) with `Retry-After: 1`. 0: no waiting.
  size_t max_queued_requests = 256;
  // Requests for which this is true are handled on the I/O thread that read them, with no
  // hand-off to a handler thread: only for requests whose handling never blocks (null: none).
  std::function<bool(const RestRequest&)> never_waits;
  // Inbound rate limit per client address (not owned; null: none). A request over it is
  // answered 429 in ThoughtSpot's error body with `Retry-After` (whole seconds) before any
  // handler sees it.
  RateLimiter* rate_limiter = nullptr;
  // PEM certificate chain and private key: HTTPS (TLS 1.2 or later) when both are given.
  std::string tls_cert_chain_pem;
  std::string tls_private_key_pem;
};

using HttpHandler = std::function<RestResponse(const RestRequest&)>;

class HttpServer {
 public:
  // Binds and starts serving. kInvalidArgument for a malformed `listen` or options (including
  // a TLS key without a certificate, or PEM that OpenSSL refuses);
  // kUnavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler);

  // Shuts down.
  virtual ~HttpServer() = default;

  // The bound port.
  virtual int port() const = 0;

  // Stops accepting, closes idle connections, lets requests being handled finish (their
  // responses are sent with `Connection: close`) and returns when no handler runs any more.
  // Idempotent.
  virtual void Shutdown() = 0;
};

// kInvalidArgument unless both are given and OpenSSL accepts them as a PEM certificate chain and
// its matching private key. The messages never contain the key.
absl::Status CheckTlsCredentials(absl::string_view cert_chain_pem,
                                 absl::string_view private_key_pem);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_HTTP_SERVER_H_
