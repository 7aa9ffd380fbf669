// WebhookServer: webhookd's listeners. A gRPC server that serves webhooks.v1.WebhookService and
// webhooks.v1.DeliveryRepairService, gRPC health checking (grpc.health.v1.Health; the services
// and "" report SERVING) and server reflection (unless turned off), and an HTTP/1.1 server whose
// REST gateway calls the code those services run (WebhookCalls) directly, so both entry points
// share authentication, status mapping and behaviour.
//
//   WebhookServerOptions options;
//   options.grpc_listen = "127.0.0.1:0";
//   options.http.listen = "127.0.0.1:0";
//   auto server = WebhookServer::Start(options, engine.get(), authenticator.get());
//   ... (*server)->grpc_port(), (*server)->http_port() ...
//   (*server)->Shutdown();
//
// Thread-safe.
#ifndef WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVER_H_
#define WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/persistence/state_store.h"
#include "engine/webhook_engine.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/http_server.h"
#include "grpc_service/metrics.h"
#include "grpc_service/rate_limiter.h"
#include "grpc_service/rest_gateway.h"
#include "grpc_service/webhook_service.h"
#include "grpcpp/server.h"

namespace webhooks {

struct WebhookServerOptions {
  // "host:port" for gRPC; port 0 picks a free port. Empty: no gRPC listener (InProcessChannel()
  // and the REST gateway still work).
  std::string grpc_listen = "127.0.0.1:0";
  // The HTTP listener (http.listen) and its limits. Empty http.listen: no REST listener. The
  // server refuses bodies over http.max_body_bytes before reading them; the gateway, bodies over
  // gateway.max_body_bytes (webhookd sets both alike).
  HttpServerOptions http;
  RestGatewayOptions gateway;
  // Largest gRPC message the server accepts and sends. A published event may hold 25 MB of files
  // (DeliveryOptions::max_event_file_bytes); 32 MiB leaves over 7 MB for its other fields and
  // protobuf's framing. gRPC's default, 4 MiB, refused such events as RESOURCE_EXHAUSTED.
  int max_grpc_message_bytes = 32 * 1024 * 1024;
  // ValidateCommunicationChannel calls that may run at once, over gRPC and REST together;
  // more are RESOURCE_EXHAUSTED (REST: 429 with Retry-After).
  int max_concurrent_validations = 4;
  // Inbound rate limit per client address on both listeners (REST: 429 with Retry-After;
  // gRPC: RESOURCE_EXHAUSTED). Unset: none.
  std::optional<RateLimit> rate_limit;
  // The rate limit's clock (not owned; null: the system clock).
  const Clock* clock = nullptr;
  // Count calls and responses, and serve them at GET /metrics on the REST listener (Prometheus
  // text format, without authentication: it holds no request data; see metrics.h). Times are
  // taken on `clock`.
  bool metrics = true;
  // The engine's state store, whose figures the metrics include (not owned; null: none). Unless
  // it is shared (PostgreSQL), searches run on gRPC's own threads (see GrpcService); give it
  // whenever the engine has one.
  const StateStore* state_store = nullptr;
  // Serve gRPC server reflection (grpc.reflection.v1alpha.ServerReflection).
  bool grpc_reflection = true;
  // How long Shutdown waits for gRPC calls in progress before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // PEM certificate chain and private key: both listeners serve TLS when both are given.
  std::string tls_cert_chain_pem;
  std::string tls_private_key_pem;
};

class WebhookServer {
 public:
  // `engine` and `authenticator` are not owned and must outlive the server. kUnavailable if a
  // listener cannot be bound, kInvalidArgument for bad options (a TLS key without a
  // certificate, or PEM that OpenSSL refuses).
  static absl::StatusOr<std::unique_ptr<WebhookServer>> Start(const WebhookServerOptions& options,
                                                              WebhookEngine* engine,
                                                              const Authenticator* authenticator);

  // Shuts down.
  ~WebhookServer();

  int grpc_port() const { return grpc_port_; }  // 0 without a gRPC listener.
  int http_port() const;                        // 0 without an HTTP listener.

  // The REST gateway (for tests and embedding).
  const RestGateway& gateway() const { return *gateway_; }
  // What the server counts; null unless options.metrics.
  const Metrics* metrics() const { return metrics_.get(); }

  // A channel to the service inside this process; it carries messages up to
  // `max_grpc_message_bytes` both ways.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Stops the HTTP listener (requests in progress finish), then the gRPC server (calls in
  // progress get up to `shutdown_grace`), and returns when both are down. Idempotent.
  void Shutdown();

 private:
  WebhookServer() = default;

  absl::Duration shutdown_grace_;
  int max_grpc_message_bytes_ = 0;
  std::unique_ptr<RateLimiter> rate_limiter_;    // Null without a rate limit.
  std::unique_ptr<Metrics> metrics_;             // Null without options.metrics.
  std::unique_ptr<WebhookCalls> calls_;          // What both services and the gateway call.
  std::unique_ptr<RestCallTarget> rest_calls_;   // calls_, counted in metrics_.
  std::unique_ptr<HandlerPool> call_threads_;    // Run the calls of both services.
  std::unique_ptr<GrpcService> service_;         // webhooks.v1.WebhookService.
  std::unique_ptr<GrpcService> repair_service_;  // webhooks.v1.DeliveryRepairService.
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
  std::unique_ptr<RestGateway> gateway_;
  std::unique_ptr<HttpServer> http_server_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVER_H_
