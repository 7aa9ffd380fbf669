#include "grpc_service/webhook_server.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpc_service/console.h"
#include "grpc_service/openapi_route.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace webhooks {

// The threads that run gRPC calls (GrpcService), and how many calls may wait for one: enough
// for every call of a busy server to start at once, each waiting at most on the state store.
constexpr int kCallThreads = 32;
constexpr size_t kMaxQueuedCalls = 1024;

namespace {

// The gateway's calls, counted in the metrics (when there are any) as the gRPC calls they are
// of, as GrpcService counts its own.
class MeteredCalls final : public RestCallTarget {
 public:
  MeteredCalls(RestCallTarget& calls, Metrics* metrics) : calls_(calls), metrics_(metrics) {}

  grpc::Status Call(const google::protobuf::MethodDescriptor& method, const CallInfo& info,
                    const google::protobuf::Message& request,
                    google::protobuf::Message* response) override {
    if (metrics_ == nullptr) return calls_.Call(method, info, request, response);
    const absl::Time start = metrics_->clock().Now();
    const grpc::Status status = calls_.Call(method, info, request, response);
    Record(method, status, start);
    return status;
  }

  std::optional<grpc::Status> CallToJson(const google::protobuf::MethodDescriptor& method,
                                         const CallInfo& info,
                                         const google::protobuf::Message& request,
                                         std::string* json) override {
    const absl::Time start = metrics_ == nullptr ? absl::Time() : metrics_->clock().Now();
    std::optional<grpc::Status> status = calls_.CallToJson(method, info, request, json);
    if (status.has_value() && metrics_ != nullptr) Record(method, *status, start);
    return status;
  }

 private:
  void Record(const google::protobuf::MethodDescriptor& method, const grpc::Status& status,
              absl::Time start) {
    metrics_->RecordCall(method, status.error_code(), metrics_->clock().Now() - start);
  }

  RestCallTarget& calls_;
  Metrics* const metrics_;
};

// Removes gRPC's reflection plugin from one ServerBuilder. Linking grpc++_reflection registers
// the plugin for every builder of the process, so leaving it out is the only way to turn it off.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
                                    return plugin->name() == "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookServer>> WebhookServer::Start(
    const WebhookServerOptions& options, WebhookEngine* engine,
    const Authenticator* authenticator) {
  if (engine == nullptr || authenticator == nullptr) {
    return absl::InvalidArgumentError("WebhookServer needs an engine and an authenticator");
  }
  const bool tls = !options.tls_cert_chain_pem.empty() || !options.tls_private_key_pem.empty();
  if (tls) {
    const absl::Status usable =
        CheckTlsCredentials(options.tls_cert_chain_pem, options.tls_private_key_pem);
    if (!usable.ok()) return usable;
  }
  auto server = absl::WrapUnique(new WebhookServer());
  server->shutdown_grace_ = options.shutdown_grace;
  server->max_grpc_message_bytes_ = options.max_grpc_message_bytes;
  if (options.max_concurrent_validations < 1) {
    return absl::InvalidArgumentError("max_concurrent_validations must be at least 1");
  }
  if (options.rate_limit.has_value()) {
    if (!(options.rate_limit->per_second > 0) || options.rate_limit->burst < 1) {
      return absl::InvalidArgumentError(
          "the rate limit needs a positive rate and a burst of at least 1");
    }
    server->rate_limiter_ = std::make_unique<RateLimiter>(
        *options.rate_limit, options.clock != nullptr ? *options.clock : *SystemClock());
  }
  server->calls_ = std::make_unique<WebhookCalls>(
      engine, authenticator, options.max_concurrent_validations, server->rate_limiter_.get());
  server->call_threads_ = std::make_unique<HandlerPool>(kCallThreads, kMaxQueuedCalls);
  const absl::flat_hash_set<const google::protobuf::MethodDescriptor*> never_wait =
      MethodsThatNeverWait(options.state_store);
  if (options.metrics) {
    const StateStore* store = options.state_store;
    server->metrics_ = std::make_unique<Metrics>(
        options.clock != nullptr ? *options.clock : *SystemClock(),
        [engine] { return engine->GetDeliveryStats(); },
        store != nullptr ? std::function<StoreStats()>([store] { return store->Stats(); })
                         : nullptr);
  }
  server->service_ = std::make_unique<GrpcService>(WebhookServiceDescriptor(), server->calls_.get(),
                                                   server->call_threads_.get(), never_wait,
                                                   server->metrics_.get());
  server->repair_service_ = std::make_unique<GrpcService>(
      DeliveryRepairServiceDescriptor(), server->calls_.get(), server->call_threads_.get(),
      never_wait, server->metrics_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options.grpc_reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  int selected_port = 0;
  if (!options.grpc_listen.empty()) {
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (tls) {
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back({options.tls_private_key_pem, options.tls_cert_chain_pem});
      credentials = grpc::SslServerCredentials(ssl);
    }
    builder.AddListeningPort(options.grpc_listen, credentials, &selected_port);
  }
  builder.SetMaxReceiveMessageSize(options.max_grpc_message_bytes);
  builder.SetMaxSendMessageSize(options.max_grpc_message_bytes);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->repair_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || (!options.grpc_listen.empty() && selected_port == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the gRPC server on \"", options.grpc_listen, "\""));
  }
  server->grpc_port_ = selected_port;
  if (auto* health = server->grpc_server_->GetHealthCheckService()) {
    health->SetServingStatus(v1::WebhookService::service_full_name(), true);
    health->SetServingStatus(v1::DeliveryRepairService::service_full_name(), true);
    health->SetServingStatus(true);
  }

  server->rest_calls_ = std::make_unique<MeteredCalls>(*server->calls_, server->metrics_.get());
  absl::StatusOr<std::unique_ptr<RestGateway>> gateway =
      RestGateway::Create(RestServiceDescriptors(), server->rest_calls_.get(), options.gateway);
  if (!gateway.ok()) return gateway.status();
  server->gateway_ = *std::move(gateway);

  if (!options.http.listen.empty()) {
    HttpServerOptions http = options.http;
    http.rate_limiter = server->rate_limiter_.get();
    if (!never_wait.empty()) {  // As on gRPC: handled on the thread that read the call.
      const RestGateway* gateway = server->gateway_.get();
      http.never_waits = [gateway, never_wait](const RestRequest& request) {
        return never_wait.contains(gateway->MethodOf(request));
      };
    }
    http.tls_cert_chain_pem = options.tls_cert_chain_pem;
    http.tls_private_key_pem = options.tls_private_key_pem;
    const RestGateway* rest = server->gateway_.get();
    Metrics* metrics = server->metrics_.get();
    absl::StatusOr<std::unique_ptr<HttpServer>> http_server =
        HttpServer::Start(http, [rest, metrics](const RestRequest& request) {
          if (std::optional<RestResponse> page = ServeConsole(request)) return *std::move(page);
          // Before the gateway, whose paths it shares.
          if (std::optional<RestResponse> document = ServeOpenApi(request)) {
            return *std::move(document);
          }
          if (metrics == nullptr) return rest->Handle(request);
          if (request.method == "GET" && request.target == "/metrics") return metrics->Scrape();
          RestResponse response = rest->Handle(request);
          metrics->RecordHttpResponse(response.status);
          return response;
        });
    if (!http_server.ok()) return http_server.status();
    server->http_server_ = *std::move(http_server);
  }
  return server;
}

WebhookServer::~WebhookServer() { Shutdown(); }

int WebhookServer::http_port() const { return http_server_ == nullptr ? 0 : http_server_->port(); }

std::shared_ptr<grpc::Channel> WebhookServer::InProcessChannel() {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(max_grpc_message_bytes_);
  arguments.SetMaxSendMessageSize(max_grpc_message_bytes_);
  return grpc_server_->InProcessChannel(arguments);
}

void WebhookServer::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);  // A second caller waits until the first is done.
  if (shut_down_) return;
  shut_down_ = true;
  if (http_server_ != nullptr) http_server_->Shutdown();
  if (grpc_server_ != nullptr) {
    if (auto* health = grpc_server_->GetHealthCheckService()) health->SetServingStatus(false);
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           absl::ToChronoMilliseconds(shutdown_grace_));
    grpc_server_->Wait();
  }
}

}  // namespace webhooks
