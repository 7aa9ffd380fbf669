// RestCallTarget: what the REST gateway calls for a route: one unary method of a gRPC service,
// with gRPC's status semantics but no transport. webhookd's target is WebhookCalls
// (webhook_service.h), the same code its gRPC services run, so a REST request costs no
// in-process gRPC call.
#ifndef WEBHOOKS_GRPC_SERVICE_CALL_TARGET_H_
#define WEBHOOKS_GRPC_SERVICE_CALL_TARGET_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/status.h"

namespace webhooks {

// What handling a call needs of the transport it came over.
struct CallInfo {
  std::string authorization;  // The `authorization` value ("Bearer <token>"); empty if none.
  std::string request_id;     // The caller's request id, if any (RequestId() decides its use).
  // gRPC's peer ("ipv4:10.0.0.1:5000"): the rate limiter counts calls per client address.
  // Empty for the gateway's calls, which the HTTP server limits itself, and when no rate
  // limiter counts calls (WebhookCalls::counts_clients).
  std::string peer;
  absl::Time deadline = absl::InfiniteFuture();
};

class RestCallTarget {
 public:
  virtual ~RestCallTarget() = default;

  // Calls `method` with `request` (of its input type); on OK, `response` (of its output type)
  // holds the reply. Thread-safe.
  virtual grpc::Status Call(const google::protobuf::MethodDescriptor& method, const CallInfo& info,
                            const google::protobuf::Message& request,
                            google::protobuf::Message* response) = 0;

  // The same call with its reply written to `*json`, byte for byte as ToJson would write the
  // response, for a method whose JSON the target writes without building the response message
  // first (WebhookCalls: SearchWebhooks, read straight from the engine's stored webhooks).
  // nullopt, with nothing done, for any other method; the gateway then uses Call.
  virtual std::optional<grpc::Status> CallToJson(const google::protobuf::MethodDescriptor& method,
                                                 const CallInfo& info,
                                                 const google::protobuf::Message& request,
                                                 std::string* json) {
    return std::nullopt;
  }
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_CALL_TARGET_H_
