// The calls of webhookd over a WebhookEngine, and the two gRPC services that serve them.
//
// WebhookCalls handles each call the same way whatever carried it: it authenticates the bearer
// token of the `authorization` value ("Bearer <token>") with the Authenticator, calls the
// engine, and returns the engine's status as the canonical gRPC status (status_mapping.h,
// ToCallerStatus: a server-side error keeps its code, is logged to standard error with its
// detail, and reaches the caller with a generic message). A missing, malformed or unknown token
// is UNAUTHENTICATED. The REST gateway calls it directly (it is a RestCallTarget), and the gRPC
// services forward every call to it:
//   - WebhookServiceImpl: webhooks.v1.WebhookService (ThoughtSpot's API);
//   - DeliveryRepairServiceImpl: webhooks.v1.DeliveryRepairService (webhookd's extension).
//
//   WebhookCalls calls(engine.get(), authenticator.get());
//   WebhookServiceImpl service(&calls);
//   DeliveryRepairServiceImpl repairs(&calls);
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
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/webhook_engine.h"
#include "google/protobuf/descriptor.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/call_target.h"
#include "grpc_service/rate_limiter.h"
#include "grpc_service/slow_call_runner.h"
#include "proto/delivery_repair_service.grpc.pb.h"
#include "proto/search_page.pb.h"
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

  // WebhookService.SearchWebhooks as Call handles it, with the page in its wire form: each
  // webhook serialized straight from the engine's stored copy (WebhookEngine::VisitSearchPage)
  // rather than copied into a response message. The gRPC service answers with these bytes.
  grpc::Status SearchWebhooksPage(const CallInfo& info, const v1::SearchWebhooksRequest& request,
                                  wire::SearchWebhooksPage* page);

 private:
  using Handler = std::function<grpc::Status(const CallInfo&, const google::protobuf::Message&,
                                             google::protobuf::Message*)>;
  // Adds the handler of method `name` (the method's full name, "webhooks.v1.Service.Method"):
  // `body` runs once the caller is authenticated.
  // Authenticates the caller of `request` (to method `method`, a short name), then fills
  // `*response` with what `body` returns for it.
  template <typename Request, typename Response, typename Body>
  grpc::Status Handle(absl::string_view method, const CallInfo& info, const Request& request,
                      const Body& body, Response* response);
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

// SearchWebhooks is served by gRPC's callback API with the message in its serialized form
// (WebhookCalls::SearchWebhooksPage); the other methods by the synchronous API.
class WebhookServiceImpl final
    : public v1::WebhookService::WithRawCallbackMethod_SearchWebhooks<v1::WebhookService::Service> {
 public:
  explicit WebhookServiceImpl(WebhookCalls* calls) : calls_(*calls) {}  // Not owned.

  grpc::Status CreateWebhook(grpc::ServerContext* context, const v1::CreateWebhookRequest* request,
                             v1::Webhook* response) override;
  grpc::ServerUnaryReactor* SearchWebhooks(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::Status UpdateWebhook(grpc::ServerContext* context, const v1::UpdateWebhookRequest* request,
                             google::protobuf::Empty* response) override;
  grpc::Status DeleteWebhooks(grpc::ServerContext* context,
                              const v1::DeleteWebhooksRequest* request,
                              v1::DeleteWebhooksResponse* response) override;
  grpc::Status ConfigureChannelPreferences(grpc::ServerContext* context,
                                           const v1::ConfigureChannelPreferencesRequest* request,
                                           google::protobuf::Empty* response) override;
  grpc::Status SearchChannelPreferences(grpc::ServerContext* context,
                                        const v1::SearchChannelPreferencesRequest* request,
                                        v1::SearchChannelPreferencesResponse* response) override;
  grpc::Status ValidateCommunicationChannel(
      grpc::ServerContext* context, const v1::ValidateCommunicationChannelRequest* request,
      v1::ValidateCommunicationChannelResponse* response) override;
  grpc::Status SearchChannelHistory(grpc::ServerContext* context,
                                    const v1::SearchChannelHistoryRequest* request,
                                    v1::SearchChannelHistoryResponse* response) override;
  grpc::Status GetWebhookStorageConfig(grpc::ServerContext* context,
                                       const v1::GetStorageConfigRequest* request,
                                       v1::GetStorageConfigResponse* response) override;
  grpc::Status PublishEvent(grpc::ServerContext* context, const v1::PublishEventRequest* request,
                            v1::PublishEventResponse* response) override;

 private:
  WebhookCalls& calls_;
};

class DeliveryRepairServiceImpl final : public v1::DeliveryRepairService::Service {
 public:
  explicit DeliveryRepairServiceImpl(WebhookCalls* calls) : calls_(*calls) {}  // Not owned.

  grpc::Status RedeliverJob(grpc::ServerContext* context, const v1::RedeliverJobRequest* request,
                            v1::ChannelHistoryJob* response) override;
  grpc::Status ReplayFailedJobs(grpc::ServerContext* context,
                                const v1::ReplayFailedJobsRequest* request,
                                v1::ReplayFailedJobsResponse* response) override;

 private:
  WebhookCalls& calls_;
};

// The descriptor of webhooks.v1.WebhookService (with its google.api.http options). Never null.
const google::protobuf::ServiceDescriptor* WebhookServiceDescriptor();

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
