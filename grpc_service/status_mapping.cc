#include "grpc_service/status_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/id_generator.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace webhooks {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status ToCallerStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return ToGrpcStatus(status);
    default:
      return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                          std::string(kGenericServerError));
  }
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string ErrorBody(int code, absl::string_view debug) {
  // protobuf's JSON printer escapes the text: a Value holding a string prints as a JSON string.
  google::protobuf::Value debug_value;
  debug_value.set_string_value(std::string(debug));
  std::string debug_json;
  if (!google::protobuf::util::MessageToJsonString(debug_value, &debug_json).ok()) {
    debug_json = "\"\"";  // Only invalid UTF-8 fails; the text is then dropped, not mangled.
  }
  return absl::StrCat(R"({"error":{"message":{"code":)", code, R"(,"incident_id_guid":")",
                      RandomUuidGenerator()->NewId(), R"(","trace_id_guid":")",
                      RandomUuidGenerator()->NewId(), R"(","debug":)", debug_json, "}}}");
}

HttpError HttpErrorForStatus(int http_status, absl::string_view debug) {
  HttpError error;
  error.http_status = http_status;
  if (http_status >= 500) {
    error.code = kThoughtSpotServerError;
    debug = kGenericServerError;
  } else if (http_status == 401) {
    error.code = kThoughtSpotUnauthenticated;
  } else if (http_status == 403) {
    error.code = kThoughtSpotForbidden;
  } else {
    error.code = kThoughtSpotBadRequest;
  }
  error.body = ErrorBody(error.code, debug);
  return error;
}

HttpError HttpErrorFromGrpc(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return HttpErrorForStatus(400, status.error_message());
    case grpc::StatusCode::UNAUTHENTICATED:
      return HttpErrorForStatus(401, status.error_message());
    case grpc::StatusCode::PERMISSION_DENIED:
      return HttpErrorForStatus(403, status.error_message());
    default:
      return HttpErrorForStatus(500, kGenericServerError);
  }
}

}  // namespace webhooks
