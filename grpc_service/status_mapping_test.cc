#include "grpc_service/status_mapping.h"

#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::regex& ErrorBodyShape() {
  static const std::regex* const shape = new std::regex(
      R"re(\{"error":\{"message":\{"code":([0-9]+),)re"
      R"re("incident_id_guid":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",)re"
      R"re("trace_id_guid":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",)re"
      R"re("debug":"(.*)"\}\}\})re");
  return *shape;
}

TEST(StatusMappingTest, AbslAndGrpcCodesRoundTrip) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status status(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    const grpc::Status grpc_status = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(grpc_status.error_code()), code);
    EXPECT_EQ(FromGrpcStatus(grpc_status), status);
  }
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("no webhook")).error_message(), "no webhook");
}

TEST(StatusMappingTest, CallerStatusHidesServerSideDetail) {
  for (const absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
        absl::StatusCode::kAlreadyExists, absl::StatusCode::kFailedPrecondition,
        absl::StatusCode::kOutOfRange, absl::StatusCode::kResourceExhausted,
        absl::StatusCode::kUnauthenticated, absl::StatusCode::kPermissionDenied}) {
    const grpc::Status status = ToCallerStatus(absl::Status(code, "the caller's mistake"));
    EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(code));
    EXPECT_EQ(status.error_message(), "the caller's mistake");
  }
  for (const absl::StatusCode code :
       {absl::StatusCode::kInternal, absl::StatusCode::kUnknown, absl::StatusCode::kDataLoss,
        absl::StatusCode::kUnavailable, absl::StatusCode::kCancelled,
        absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kUnimplemented,
        absl::StatusCode::kAborted}) {
    const grpc::Status status = ToCallerStatus(absl::Status(code, "journal /var/x is corrupt"));
    EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(code));
    EXPECT_EQ(status.error_message(), "Unexpected server error.");
  }
  EXPECT_TRUE(ToCallerStatus(absl::OkStatus()).ok());
}

struct Row {
  grpc::StatusCode grpc_code;
  int http_status;
  int code;
};

TEST(StatusMappingTest, HttpErrorFromGrpcFollowsThoughtSpotsTable) {
  const Row rows[] = {
      {grpc::StatusCode::INVALID_ARGUMENT, 400, 10002},
      {grpc::StatusCode::NOT_FOUND, 400, 10002},
      {grpc::StatusCode::ALREADY_EXISTS, 400, 10002},
      {grpc::StatusCode::FAILED_PRECONDITION, 400, 10002},
      {grpc::StatusCode::UNAUTHENTICATED, 401, 10097},
      {grpc::StatusCode::PERMISSION_DENIED, 403, 10023},
      {grpc::StatusCode::INTERNAL, 500, 10038},
      {grpc::StatusCode::UNKNOWN, 500, 10038},
      {grpc::StatusCode::UNAVAILABLE, 500, 10038},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 500, 10038},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429, 10002},
      {grpc::StatusCode::UNIMPLEMENTED, 500, 10038},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.grpc_code);
    const HttpError error = HttpErrorFromGrpc(grpc::Status(row.grpc_code, "the reason"));
    EXPECT_EQ(error.http_status, row.http_status);
    EXPECT_EQ(error.code, row.code);
    std::smatch match;
    ASSERT_TRUE(std::regex_match(error.body, match, ErrorBodyShape())) << error.body;
    EXPECT_EQ(match[1].str(), std::to_string(row.code));
    EXPECT_EQ(match[2].str(), row.http_status == 500 ? "Unexpected server error." : "the reason");
  }
}

TEST(StatusMappingTest, ServerErrorsHideTheInternalMessage) {
  const HttpError error =
      HttpErrorFromGrpc(grpc::Status(grpc::StatusCode::INTERNAL, "disk /var/secret is full"));
  EXPECT_THAT(error.body, Not(HasSubstr("secret")));
  EXPECT_EQ(HttpErrorForStatus(503, "stack trace").body.find("stack trace"), std::string::npos);
}

TEST(StatusMappingTest, HttpLayerErrorsUseTheBadRequestCode) {
  for (const int status : {404, 405, 413, 415, 431}) {
    const HttpError error = HttpErrorForStatus(status, "why");
    EXPECT_EQ(error.http_status, status);
    EXPECT_EQ(error.code, 10002);
  }
}

TEST(StatusMappingTest, BodyIsValidJsonWithEscapedDebugText) {
  const std::string body = ErrorBody(10002, "bad \"name\"\n\\ value");
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok()) << body;
  const auto& message =
      parsed.fields().at("error").struct_value().fields().at("message").struct_value();
  EXPECT_EQ(message.fields().size(), 4);
  EXPECT_EQ(message.fields().at("code").number_value(), 10002);
  EXPECT_EQ(message.fields().at("debug").string_value(), "bad \"name\"\n\\ value");
  EXPECT_NE(message.fields().at("incident_id_guid").string_value(),
            message.fields().at("trace_id_guid").string_value());
}

// A finding of //fuzz:rest_gateway_fuzzer: error messages quote request bytes, which need
// not be UTF-8; the body must still be JSON.
TEST(ErrorBodyTest, InvalidUtf8BecomesQuestionMarks) {
  const std::string body =
      ErrorBody(10002, "bad \xc1\xb1 bytes, ok \xc3\xa9, overlong \xe0\x8b\x8f");
  EXPECT_NE(body.find("\"debug\":\"bad ?? bytes, ok \xc3\xa9, overlong ???\""), std::string::npos)
      << body;
}

}  // namespace
}  // namespace webhooks
