#include "grpc_service/status_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "engine/base/id_generator.h"
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

namespace {

// `text` with each byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF) replaced by '?'. Error messages can
// quote request bytes, and a JSON body must be UTF-8.
std::string ToValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = byte(0);
    const size_t length = lead < 0x80           ? 1
                          : (lead >> 5) == 0x06 ? 2
                          : (lead >> 4) == 0x0e ? 3
                          : (lead >> 3) == 0x1e ? 4
                                                : 0;
    bool ok = length > 0 && i + length <= text.size();
    for (size_t k = 1; ok && k < length; ++k) ok = (byte(k) & 0xc0) == 0x80;
    if (ok && length == 2) ok = lead >= 0xc2;
    if (ok && length == 3) {
      ok = !(lead == 0xe0 && byte(1) < 0xa0) && !(lead == 0xed && byte(1) >= 0xa0);
    }
    if (ok && length == 4) {
      ok = !(lead == 0xf0 && byte(1) < 0x90) && lead <= 0xf4 && !(lead == 0xf4 && byte(1) >= 0x90);
    }
    if (ok) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string ErrorBody(int code, absl::string_view debug) {
  // protobuf's JSON printer escapes the text: a Value holding a string prints as a JSON string.
  google::protobuf::Value debug_value;
  debug_value.set_string_value(ToValidUtf8(debug));
  std::string debug_json;
  if (!google::protobuf::util::MessageToJsonString(debug_value, &debug_json).ok()) {
    debug_json = "\"\"";
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
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return HttpErrorForStatus(429, status.error_message());
    default:
      return HttpErrorForStatus(500, kGenericServerError);
  }
}

}  // namespace webhooks
