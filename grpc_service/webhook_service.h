// The calls of webhookd over a WebhookEngine, and the two gRPC services that serve them.
//
// WebhookCalls handles each call the same way whatever carried it: it authenticates the bearer
// token of the `authorization` value ("Bearer <token>") with the Authenticator, calls the
// engine, and returns the engine's status as the canonical gRPC status (status_mapping.h,
// ToCallerStatus: a server-side error keeps its code, is logged to standard error with its
// detail, and reaches the caller with a generic message). A missing, malformed or unknown token
// is UNAUTHENTICATED. The REST gateway calls it directly (it is a RestCallTarget), and the gRPC
// services (GrpcService) forward every call to it:
//   - webhooks.v1.WebhookService (ThoughtSpot's API);
//   - webhooks.v1.DeliveryRepairService (webhookd's extension).
//
//   WebhookCalls calls(engine.get(), authenticator.get());
//   HandlerPool call_threads(32, 1024);
//   Metrics metrics(*SystemClock());
//   GrpcService service(WebhookServiceDescriptor(), &calls, &call_threads,
//                       MethodsThatNeverWait(store), &metrics);
//   GrpcService repairs(DeliveryRepairServiceDescriptor(), &calls, &call_threads,
//                       MethodsThatNeverWait(store), &metrics);
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&service);
//   builder.RegisterService(&repairs);
//
// Thread-safe: the engine, the authenticator and the rate limiter are.
#ifndef WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVICE_H_
#define WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVICE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/persistence/state_store.h"
#include "engine/webhook_engine.h"
#include "google/protobuf/descriptor.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/call_target.h"
#include "grpc_service/metrics.h"
#include "grpc_service/rate_limiter.h"
#include "grpc_service/server_capacity.h"
#include "grpc_service/slow_call_runner.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "proto/delivery_repair_service.grpc.pb.h"
#include "proto/webhook_service.grpc.pb.h"

namespace webhooks {

class WebhookCalls final : public RestCallTarget {
 public:
  // Neither is owned; both must outlive this object. At most `max_concurrent_validations`
  // ValidateCommunicationChannel calls run at once (each waits on the webhook's receiver and
  // storage); more are RESOURCE_EXHAUSTED. Each runs on a thread of its own, and its caller
  // gets DEADLINE_EXCEEDED once the call's deadline passes; the validation itself then
  // finishes in the background (the destructor waits for it).
  // `rate_limiter` (not owned; null: none) limits calls per client address: a call from a TCP
  // peer over it is RESOURCE_EXHAUSTED. Calls with no peer (the REST gateway's, which the HTTP
  // server limits itself) are not counted.
  WebhookCalls(WebhookEngine* engine, const Authenticator* authenticator,
               int max_concurrent_validations = 4, RateLimiter* rate_limiter = nullptr);

  // Handles one call of `method`, a method of WebhookService or DeliveryRepairService;
  // UNIMPLEMENTED for any other.
  grpc::Status Call(const google::protobuf::MethodDescriptor& method, const CallInfo& info,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response) override;

  // SearchWebhooks, its JSON written straight from the engine's stored webhooks
  // (WebhookEngine::VisitSearchPage); nullopt for any other method.
  std::optional<grpc::Status> CallToJson(const google::protobuf::MethodDescriptor& method,
                                         const CallInfo& info,
                                         const google::protobuf::Message& request,
                                         std::string* json) override;

  // WebhookService.SearchWebhooks as Call handles it, its reply the serialized
  // SearchWebhooksResponse put together from the stored webhooks' serialized bytes
  // (WebhookEngine::VisitSearchPage) rather than built as a message first.
  grpc::Status SearchWebhooksWire(const CallInfo& info, const v1::SearchWebhooksRequest& request,
                                  std::string* wire);

  // Whether calls need CallInfo::peer: only a rate limiter reads it.
  bool counts_clients() const { return rate_limiter_ != nullptr; }

 private:
  using Handler = std::function<grpc::Status(const CallInfo&, const google::protobuf::Message&,
                                             google::protobuf::Message*)>;
  // Authenticates the caller of `request` (to method `method`, a short name), then fills
  // `*response` with what `body` returns for it.
  template <typename Request, typename Response, typename Body>
  grpc::Status Handle(absl::string_view method, const CallInfo& info, const Request& request,
                      const Body& body, Response* response);
  // Adds the handler of method `name` (the method's full name, "webhooks.v1.Service.Method"):
  // `body` runs once the caller is authenticated.
  template <typename Request, typename Response>
  void Add(
      absl::string_view name,
      std::function<absl::StatusOr<Response>(const Principal&, const Request&, const CallInfo&)>
          body);

  WebhookEngine* const engine_;
  const Authenticator* const authenticator_;
  RateLimiter* const rate_limiter_;
  SlowCallRunner validations_;
  absl::flat_hash_map<std::string, Handler> handlers_;  // By full method name; set once.
};

// One gRPC service of WebhookCalls, built from its descriptor: each method reads and writes
// serialized messages and hands its call to `calls` (SearchWebhooks to SearchWebhooksWire, so
// that its page is serialized straight from the engine's webhooks; every other method to Call).
//
// Served by gRPC's callback API, whose threads must never block: a call runs on one of
// `call_threads`, since it may wait on the state store, PostgreSQL or a receiver. A call that
// finds every thread busy and the pool's queue full is RESOURCE_EXHAUSTED. A call of one of
// `never_wait` (methods that cannot block with the engine's state store: MethodsThatNeverWait)
// runs on the gRPC thread itself, which saves a thread hand-off per call.
class GrpcService final : public grpc::Service {
 public:
  // None is owned; `calls` and `call_threads` must outlive the gRPC server.
  // `metrics` (null: none) records every call.
  GrpcService(const google::protobuf::ServiceDescriptor* service, WebhookCalls* calls,
              HandlerPool* call_threads,
              absl::flat_hash_set<const google::protobuf::MethodDescriptor*> never_wait,
              Metrics* metrics);

 private:
  grpc::ServerUnaryReactor* Start(const google::protobuf::MethodDescriptor& method,
                                  grpc::CallbackServerContext& context,
                                  const grpc::ByteBuffer& request, grpc::ByteBuffer* response);
  grpc::Status Handle(const google::protobuf::MethodDescriptor& method,
                      grpc::ServerContextBase& context, const grpc::ByteBuffer& request_bytes,
                      grpc::ByteBuffer* response_bytes);

  // Ends the call with `status`, recorded in the metrics as ending now.
  void Finish(const google::protobuf::MethodDescriptor& method, absl::Time start,
              grpc::ServerUnaryReactor* reactor, grpc::Status status);

  WebhookCalls& calls_;
  HandlerPool& call_threads_;
  Metrics* const metrics_;
  const absl::flat_hash_set<const google::protobuf::MethodDescriptor*> never_wait_;
  std::vector<std::string> paths_;  // "/<service>/<method>", in method order.
};

// The descriptor of webhooks.v1.WebhookService (with its google.api.http options). Never null.
const google::protobuf::ServiceDescriptor* WebhookServiceDescriptor();

// WebhookService.SearchWebhooks, the method served without building its reply message (see
// WebhookCalls::CallToJson and SearchWebhooksWire). Never null.
const google::protobuf::MethodDescriptor* SearchWebhooksMethod();

// The methods whose calls cannot block with `store` (null: no store, all state in memory), which
// the servers run on the thread that read the call instead of handing it to a call thread:
// SearchWebhooks unless the store is shared (then a search first catches up with the database),
// and PublishEvent without a store (it only queues the delivery in memory). Measured at 1,000
// publishes/s: the hand-off to a call thread doubled the publish call's p99 (bench/RESULTS.md).
absl::flat_hash_set<const google::protobuf::MethodDescriptor*> MethodsThatNeverWait(
    const StateStore* store);

// The descriptor of webhooks.v1.DeliveryRepairService. Never null.
const google::protobuf::ServiceDescriptor* DeliveryRepairServiceDescriptor();

// The services webhookd's REST gateway serves, in routing order: WebhookService (ThoughtSpot's
// paths), then DeliveryRepairService (webhookd's /api/webhookd/v1/ paths). Never null.
std::vector<const google::protobuf::ServiceDescriptor*> RestServiceDescriptors();

// The token of an `authorization` value "Bearer <token>" (scheme case-insensitive).
// kUnauthenticated if `value` is not of that form.
absl::StatusOr<std::string> BearerToken(absl::string_view authorization);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVICE_H_
