// RestGateway: answers REST requests by calling gRPC services, with routes taken from the
// services' google.api.http rules (for WebhookService, ThoughtSpot's REST API v2.0 paths; for
// DeliveryRepairService, webhookd's own /api/webhookd/v1/ paths).
//
// For each request: find the rule whose path template matches (404 if none; 405 with an Allow
// header if only the verb differs), check size (413) and Content-Type (415 unless
// application/json), parse the JSON body into the method's request message with FromJson (400
// naming an unknown field or bad value), fill the path variables (`{webhook_identifier}`) into
// the fields they name, and call the method on `target` (RestCallTarget, call_target.h) with the
// request's `Authorization` header and request id, and a deadline of `call_timeout` (a call
// past it is a 500); no in-process gRPC call is made. Success: 204 with no body when
// the method returns google.protobuf.Empty, else 200 with the response as ToJson writes it.
// Errors: status_mapping.h's table and ThoughtSpot's error body. Every response with a body has
// `Content-Type: application/json`. The gateway itself never authenticates (the service does),
// so a request that is both unauthenticated and malformed gets the 4xx of the HTTP checks
// (404, 405, 413, 415, 400 for the JSON) before the 401.
//
//   WebhookCalls calls(engine, authenticator);
//   auto gateway = RestGateway::Create(RestServiceDescriptors(), &calls, {});
//   RestResponse response = (*gateway)->Handle(request);
//
// Thread-safe; Handle blocks until the call completes.
#ifndef WEBHOOKS_GRPC_SERVICE_REST_GATEWAY_H_
#define WEBHOOKS_GRPC_SERVICE_REST_GATEWAY_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpc_service/call_target.h"
#include "grpc_service/rest_types.h"
#include "grpcpp/support/status.h"

namespace webhooks {

struct RestGatewayOptions {
  // Larger bodies are refused with 413.
  size_t max_body_bytes = 1 << 20;
  // Deadline of each call; an expired call is a 500.
  absl::Duration call_timeout = absl::Seconds(30);
};

namespace grpc_service_internal {

// One compiled google.api.http binding: verb, path template, target method.
struct Route {
  std::string verb;     // "GET", "POST", ...
  std::string pattern;  // As written in the rule, for messages.
  // Per path segment: a literal, or (variable=true) a field name that the segment fills.
  struct Segment {
    std::string text;
    bool variable = false;
  };
  std::vector<Segment> segments;
  bool has_body = false;  // body: "*".
  // response_body: the one field of the response that is the whole reply; null: all of it.
  const google::protobuf::FieldDescriptor* response_field = nullptr;
  const google::protobuf::MethodDescriptor* method = nullptr;
};

// The routes of every method of `services` that carries a google.api.http rule (and its
// additional_bindings), in order; RestGateway::Create's errors.
absl::StatusOr<std::vector<Route>> CompileRoutes(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services);

}  // namespace grpc_service_internal

class RestGateway {
 public:
  // Routes every method of `services` that carries a google.api.http rule (and its
  // additional_bindings), in order. kInvalidArgument for a rule the gateway cannot serve: a custom
  // verb, a body other than "*" or "", a response_body that names no field of the response, a path
  // variable that is not a singular string field of the request, or two rules with the same verb
  // and path. `target` is not owned and must outlive the gateway.
  static absl::StatusOr<std::unique_ptr<RestGateway>> Create(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services,
      RestCallTarget* target, const RestGatewayOptions& options);

  // Answers `request`. Every answer carries X-Request-Id: the request's own if usable, else a
  // new one (RequestId in server_log.h), which the call also carries, so that it is logged
  // under the same id.
  RestResponse Handle(const RestRequest& request) const;

  // The method `request` is routed to; null if none.
  const google::protobuf::MethodDescriptor* MethodOf(const RestRequest& request) const;

  // The compiled routes, in declaration order.
  const std::vector<grpc_service_internal::Route>& routes() const { return routes_; }

 private:
  // The first route whose template matches the request's path and whose verb is its method,
  // with its path variables; null if none, with the verbs of the routes whose templates match
  // in `allowed`.
  const grpc_service_internal::Route* Match(
      const RestRequest& request, std::vector<std::pair<std::string, std::string>>* variables,
      std::vector<std::string>* allowed) const;
  // Handle, once the request id is chosen.
  RestResponse Answer(const RestRequest& request, const std::string& request_id) const;

  RestGateway(std::vector<grpc_service_internal::Route> routes, RestCallTarget* target,
              const RestGatewayOptions& options)
      : routes_(std::move(routes)), target_(*target), options_(options) {}

  const std::vector<grpc_service_internal::Route> routes_;
  RestCallTarget& target_;
  const RestGatewayOptions options_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_GATEWAY_H_
