// echo_server: the gRPC baseline for bench/run.sh. Serves webhooks.bench.Echo with the
// ServerBuilder options of grpc_service/webhook_server.cc (insecure credentials, the default
// health checking service, reflection) and the same API: a callback service whose handler runs
// on gRPC's own thread, as webhookd's SearchWebhooks does when its state store is not shared.
// So the only difference from webhookd's SearchWebhooks is the work behind the call. Logs
// "echo: listening on port N"; runs until SIGINT or SIGTERM.
//
//   bazel run -c opt //bench:echo_server -- --listen=127.0.0.1:0
#include <csignal>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "bench/echo.grpc.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port (port 0 picks one; it is logged)");

namespace {

class EchoService final : public webhooks::bench::Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const webhooks::bench::EchoRequest* request,
                                 webhooks::bench::EchoResponse* response) override {
    // Like webhookd's service: read the caller's token, then fill the reply.
    (void)context->client_metadata().find("authorization");
    response->mutable_payload()->assign(static_cast<size_t>(request->response_bytes()), 'x');
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // Before gRPC starts its threads.

  EchoService service;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "echo: cannot listen on %s\n", absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  std::fprintf(stderr, "echo: listening on port %d\n", port);
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown();
  return 0;
}
