// WebhookServer's options, each in a server on loopback ports chosen at run time.
#include "grpc_service/webhook_server.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpc_service/status_mapping.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::webhooks::testing::StatusIs;
using ::webhooks::testing::TestEnvironment;

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

// Asks reflection for the list of services, as one message on its stream; how the call ends.
grpc::Status ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  grpc::Slice request_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::ByteBuffer reply;
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 grpc::StubOptions(), &request, &reply, [&](grpc::Status call_status) {
                   status = std::move(call_status);
                   done.Notify();
                 });
  done.WaitForNotification();
  return status;
}

TEST(WebhookServerTest, ReflectionIsOnByDefault) {
  TestEnvironment env(TestEnvironment::kListen);
  EXPECT_EQ(ListServices(ChannelTo(env.server().grpc_port())).error_code(), grpc::StatusCode::OK);
}

TEST(WebhookServerTest, ReflectionCanBeTurnedOff) {
  WebhookServerOptions options;
  options.grpc_reflection = false;
  TestEnvironment env(TestEnvironment::kListen, options);
  EXPECT_EQ(ListServices(ChannelTo(env.server().grpc_port())).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace webhooks
