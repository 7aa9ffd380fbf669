// WebhookServiceImpl: webhooks.v1.WebhookService over a WebhookEngine. A thin adapter: each
// method reads the bearer token from the `authorization` metadata ("Bearer <token>"), asks the
// Authenticator for the caller's Principal, calls the engine, and returns the engine's status
// as the canonical gRPC status (status_mapping.h, ToCallerStatus: a server-side error keeps its
// code, is logged to standard error with its detail, and reaches the caller with a generic
// message). A missing, malformed or unknown token is UNAUTHENTICATED.
//
//   WebhookServiceImpl service(engine.get(), authenticator.get());
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&service);
//
// Thread-safe: the engine, the authenticator and the rate limiter are.
#ifndef WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVICE_H_
#define WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVICE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/principal.h"
#include "engine/webhook_engine.h"
#include "google/protobuf/descriptor.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/rate_limiter.h"
#include "grpc_service/server_log.h"
#include "grpc_service/slow_call_runner.h"
#include "proto/delivery_repair_service.grpc.pb.h"
#include "proto/webhook_service.grpc.pb.h"

namespace webhooks {

class WebhookServiceImpl final : public v1::WebhookService::Service {
 public:
  // Neither is owned; both must outlive the service. At most `max_concurrent_validations`
  // ValidateCommunicationChannel calls run at once (each waits on the webhook's receiver and
  // storage); more are RESOURCE_EXHAUSTED. Each runs on a thread of its own, and its caller
  // gets DEADLINE_EXCEEDED once the call's deadline passes; the validation itself then
  // finishes in the background (the service's destructor waits for it).
  // `rate_limiter` (not owned; null: none) limits calls per client address: a call from a TCP
  // peer over it is RESOURCE_EXHAUSTED. In-process calls (the REST gateway's, which the HTTP
  // server limits itself) are not counted.
  WebhookServiceImpl(WebhookEngine* engine, const Authenticator* authenticator,
                     int max_concurrent_validations = 4, RateLimiter* rate_limiter = nullptr)
      : engine_(engine),
        authenticator_(authenticator),
        rate_limiter_(rate_limiter),
        validations_(max_concurrent_validations, "validations") {}

  grpc::Status CreateWebhook(grpc::ServerContext* context, const v1::CreateWebhookRequest* request,
                             v1::Webhook* response) override;
  grpc::Status SearchWebhooks(grpc::ServerContext* context,
                              const v1::SearchWebhooksRequest* request,
                              v1::SearchWebhooksResponse* response) override;
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
  // The rate limit, then the caller's Principal from its bearer token (whose org goes in
  // `log`), if `request` holds only fields this server knows (KnownFieldsOnly).
  absl::StatusOr<Principal> Caller(const grpc::ServerContext& context,
                                   const google::protobuf::Message& request, LogContext& log) const;

  WebhookEngine* const engine_;
  const Authenticator* const authenticator_;
  RateLimiter* const rate_limiter_;
  SlowCallRunner validations_;
};

// webhooks.v1.DeliveryRepairService (webhookd's extension) over a WebhookEngine, with the same
// authentication, rate limit and errors as WebhookServiceImpl. Thread-safe.
class DeliveryRepairServiceImpl final : public v1::DeliveryRepairService::Service {
 public:
  // Neither `engine` nor `authenticator` nor `rate_limiter` (null: none) is owned.
  DeliveryRepairServiceImpl(WebhookEngine* engine, const Authenticator* authenticator,
                            RateLimiter* rate_limiter = nullptr)
      : engine_(engine), authenticator_(authenticator), rate_limiter_(rate_limiter) {}

  grpc::Status RedeliverJob(grpc::ServerContext* context, const v1::RedeliverJobRequest* request,
                            v1::ChannelHistoryJob* response) override;
  grpc::Status ReplayFailedJobs(grpc::ServerContext* context,
                                const v1::ReplayFailedJobsRequest* request,
                                v1::ReplayFailedJobsResponse* response) override;

 private:
  absl::StatusOr<Principal> Caller(const grpc::ServerContext& context,
                                   const google::protobuf::Message& request, LogContext& log) const;

  WebhookEngine* const engine_;
  const Authenticator* const authenticator_;
  RateLimiter* const rate_limiter_;
};

// The descriptor of webhooks.v1.WebhookService (with its google.api.http options). Never null.
const google::protobuf::ServiceDescriptor* WebhookServiceDescriptor();

// The services webhookd's REST gateway serves, in routing order: WebhookService (ThoughtSpot's
// paths), then DeliveryRepairService (webhookd's /api/webhookd/v1/ paths). Never null.
std::vector<const google::protobuf::ServiceDescriptor*> RestServiceDescriptors();

// The token of an `authorization` value "Bearer <token>" (scheme case-insensitive).
// kUnauthenticated if `value` is not of that form.
absl::StatusOr<std::string> BearerToken(absl::string_view authorization);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_WEBHOOK_SERVICE_H_
