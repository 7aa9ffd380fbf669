// The one table that maps errors across webhookd's boundaries:
//   absl::Status (engine)  ->  grpc::Status (gRPC service)  ->  HTTP status + ThoughtSpot error
//   body (REST gateway).
//
// ThoughtSpot's REST API v2.0 answers every error with
//   {"error":{"message":{"code":10002,"incident_id_guid":"<uuid>","trace_id_guid":"<uuid>",
//                        "debug":"<what went wrong>"}}}
// and these pairs:
//   INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION  -> 400 / 10002
//   UNAUTHENTICATED                                                   -> 401 / 10097
//   PERMISSION_DENIED                                                 -> 403 / 10023
//   RESOURCE_EXHAUSTED (a limit of this server; retry later)          -> 429 / 10002
//   anything else                                                     -> 500 / 10038
// A 500 never carries the internal message: its `debug` is a fixed generic text.
//
//   grpc::Status status = webhooks::ToGrpcStatus(engine_status);
//   webhooks::HttpError error = webhooks::HttpErrorFromGrpc(status);
#ifndef WEBHOOKS_GRPC_SERVICE_STATUS_MAPPING_H_
#define WEBHOOKS_GRPC_SERVICE_STATUS_MAPPING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace webhooks {

// ThoughtSpot's error codes (the `code` of the error body).
inline constexpr int kThoughtSpotBadRequest = 10002;
inline constexpr int kThoughtSpotUnauthenticated = 10097;
inline constexpr int kThoughtSpotForbidden = 10023;
inline constexpr int kThoughtSpotServerError = 10038;

// The `debug` text of every 500: internal details stay in the server.
inline constexpr absl::string_view kGenericServerError = "Unexpected server error.";

// Same code, same message. absl and gRPC share the canonical code numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The status a caller of the service sees: the caller's own errors (INVALID_ARGUMENT,
// NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE, RESOURCE_EXHAUSTED,
// UNAUTHENTICATED, PERMISSION_DENIED) as they are; any other error keeps its code but its
// message becomes kGenericServerError, so server internals stay in the server.
grpc::Status ToCallerStatus(const absl::Status& status);

// An HTTP error response in ThoughtSpot's shape.
struct HttpError {
  int http_status = 500;
  int code = kThoughtSpotServerError;  // ThoughtSpot's code.
  std::string body;                    // The JSON error body.
};

// The REST form of a failed RPC. `status` must not be OK.
HttpError HttpErrorFromGrpc(const grpc::Status& status);

// An error that the HTTP layer itself raises (unknown path, wrong method, bad Content-Type, body
// too large, malformed request). ThoughtSpot documents no code for these; they use 10002, its
// code for a bad request, except 5xx, which use 10038 and the generic message.
HttpError HttpErrorForStatus(int http_status, absl::string_view debug);

// The ThoughtSpot error body with fresh random incident and trace ids.
std::string ErrorBody(int code, absl::string_view debug);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_STATUS_MAPPING_H_
