#include "grpc_service/webhook_service.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/base/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_message_reflection.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpc_service/server_log.h"
#include "grpc_service/status_mapping.h"
#include "grpcpp/support/server_callback.h"

namespace webhooks {
namespace {

// One call being handled: what its log lines say it is about, and how it ends.
class CallInProgress {
 public:
  CallInProgress(const CallInfo& info, absl::string_view method) {
    log.request_id = RequestId(info.request_id);
    log.method = std::string(method);
  }

  // The caller's view of `status`; a server-side error is logged here with its detail first.
  grpc::Status Finish(const absl::Status& status) const {
    const grpc::Status caller_status = ToCallerStatus(status);
    if (caller_status.error_message() != status.message()) {
      LogError(absl::StrCat(log.method, " failed: ", status.ToString()), log);
    }
    return caller_status;
  }

  // Fills `*response` from a successful result, or returns its error.
  template <typename T>
  grpc::Status Reply(absl::StatusOr<T> result, T* response) const {
    if (!result.ok()) return Finish(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  }

  LogContext log;  // The org is filled in once the caller is known.
};

// The client address of a TCP peer ("ipv4:10.0.0.1:5000" -> "ipv4:10.0.0.1", likewise for
// ipv6); "" for any other transport (in-process calls) and for none (the gateway's calls).
std::string ClientAddress(absl::string_view peer) {
  if (!absl::StartsWith(peer, "ipv4:") && !absl::StartsWith(peer, "ipv6:")) return "";
  return std::string(peer.substr(0, peer.rfind(':')));
}

// kInvalidArgument if `request` carries fields this server's protos do not have: a client built
// from another version of them, whose values would otherwise be dropped without a word (as
// CreateWebhookRequest's retired url_params map, field 4, would be).
absl::Status KnownFieldsOnly(const google::protobuf::Message& request) {
  const google::protobuf::UnknownFieldSet& unknown =
      request.GetReflection()->GetUnknownFields(request);
  if (unknown.empty()) return absl::OkStatus();
  std::vector<int> numbers;
  for (int i = 0; i < unknown.field_count(); ++i) numbers.push_back(unknown.field(i).number());
  return absl::InvalidArgumentError(
      absl::StrCat(request.GetDescriptor()->full_name(),
                   " has fields this server does not know (numbers ", absl::StrJoin(numbers, ", "),
                   "): update the client to this server's proto/webhook_service.proto"));
}

// The rate limit, then the caller's Principal from its bearer token (noted in `log`), if
// `request` holds only fields this server knows (KnownFieldsOnly).
absl::StatusOr<Principal> AuthenticateCall(const CallInfo& info,
                                           const google::protobuf::Message& request,
                                           const Authenticator& authenticator,
                                           RateLimiter* rate_limiter, LogContext& log) {
  if (rate_limiter != nullptr) {
    const std::string client = ClientAddress(info.peer);
    if (!client.empty()) {
      const absl::Duration wait = rate_limiter->Acquire(client);
      if (wait > absl::ZeroDuration()) return rate_limiter->ExceededError(wait);
    }
  }
  if (info.authorization.empty()) {
    return absl::UnauthenticatedError("Authentication required: missing bearer token.");
  }
  absl::StatusOr<std::string> token = BearerToken(info.authorization);
  if (!token.ok()) return token.status();
  absl::StatusOr<Principal> caller = authenticator.Authenticate(*token);
  if (!caller.ok()) return caller;
  log.org = caller->org.id();
  RETURN_IF_ERROR(KnownFieldsOnly(request));
  return caller;
}

// What a gRPC call carries; its peer only if `with_peer`, since formatting it costs about 1 % of
// a search call. Its request id (the caller's x-request-id if usable, else a new one) goes back
// in the response's initial metadata.
CallInfo InfoOf(grpc::ServerContextBase& context, bool with_peer) {
  CallInfo info;
  const auto& metadata = context.client_metadata();
  const auto value = [&metadata](const char* key) {
    const auto found = metadata.find(key);
    return found == metadata.end() ? std::string()
                                   : std::string(found->second.data(), found->second.size());
  };
  info.authorization = value("authorization");
  info.request_id = RequestId(value(kRequestIdHeader));
  context.AddInitialMetadata(kRequestIdHeader, info.request_id);
  if (with_peer) info.peer = context.peer();
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    info.deadline = absl::FromChrono(deadline);
  }
  return info;
}

std::string MethodName(absl::string_view service, absl::string_view method) {
  return absl::StrCat(service, ".", method);
}

}  // namespace

template <typename Request, typename Response, typename Body>
grpc::Status WebhookCalls::Handle(absl::string_view method, const CallInfo& info,
                                  const Request& request, const Body& body, Response* response) {
  CallInProgress call(info, method);
  absl::StatusOr<Principal> caller =
      AuthenticateCall(info, request, *authenticator_, rate_limiter_, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(body(*caller, request, info), response);
}

template <typename Request, typename Response>
void WebhookCalls::Add(
    absl::string_view name,
    std::function<absl::StatusOr<Response>(const Principal&, const Request&, const CallInfo&)>
        body) {
  std::string method(name.substr(name.rfind('.') + 1));
  handlers_[name] = [this, method = std::move(method), body = std::move(body)](
                        const CallInfo& info, const google::protobuf::Message& request,
                        google::protobuf::Message* response) {
    return Handle(method, info, static_cast<const Request&>(request), body,
                  static_cast<Response*>(response));
  };
}

WebhookCalls::WebhookCalls(WebhookEngine* engine, const Authenticator* authenticator,
                           int max_concurrent_validations, RateLimiter* rate_limiter)
    : engine_(engine),
      authenticator_(authenticator),
      rate_limiter_(rate_limiter),
      validations_(max_concurrent_validations, "validations") {
  using google::protobuf::Empty;
  const auto webhooks = [](absl::string_view method) {
    return MethodName(v1::WebhookService::service_full_name(), method);
  };
  Add<v1::CreateWebhookRequest, v1::Webhook>(
      webhooks("CreateWebhook"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->CreateWebhook(caller, request);
      });
  Add<v1::SearchWebhooksRequest, v1::SearchWebhooksResponse>(
      webhooks("SearchWebhooks"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->SearchWebhooks(caller, request);
      });
  Add<v1::UpdateWebhookRequest, Empty>(webhooks("UpdateWebhook"),
                                       [this](const Principal& caller, const auto& request,
                                              const CallInfo&) -> absl::StatusOr<Empty> {
                                         RETURN_IF_ERROR(engine_->UpdateWebhook(caller, request));
                                         return Empty();
                                       });
  Add<v1::DeleteWebhooksRequest, v1::DeleteWebhooksResponse>(
      webhooks("DeleteWebhooks"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->DeleteWebhooks(caller, request);
      });
  Add<v1::GetStorageConfigRequest, v1::GetStorageConfigResponse>(
      webhooks("GetWebhookStorageConfig"),
      [this](const Principal& caller, const auto&, const CallInfo&) {
        return engine_->GetStorageConfig(caller);
      });
  Add<v1::ConfigureChannelPreferencesRequest, Empty>(
      webhooks("ConfigureChannelPreferences"),
      [this](const Principal& caller, const auto& request,
             const CallInfo&) -> absl::StatusOr<Empty> {
        RETURN_IF_ERROR(engine_->ConfigureChannelPreferences(caller, request));
        return Empty();
      });
  Add<v1::SearchChannelPreferencesRequest, v1::SearchChannelPreferencesResponse>(
      webhooks("SearchChannelPreferences"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->SearchChannelPreferences(caller, request);
      });
  Add<v1::ValidateCommunicationChannelRequest, v1::ValidateCommunicationChannelResponse>(
      webhooks("ValidateCommunicationChannel"),
      [this](const Principal& caller, const auto& request, const CallInfo& info) {
        // Copies: the validation may outlive this call when its deadline passes.
        return validations_.Run<v1::ValidateCommunicationChannelResponse>(
            info.deadline, [engine = engine_, caller, request] {
              return engine->ValidateCommunicationChannel(caller, request);
            });
      });
  Add<v1::SearchChannelHistoryRequest, v1::SearchChannelHistoryResponse>(
      webhooks("SearchChannelHistory"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->SearchChannelHistory(caller, request);
      });
  Add<v1::PublishEventRequest, v1::PublishEventResponse>(
      webhooks("PublishEvent"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->PublishEvent(caller, request);
      });
  const auto repairs = [](absl::string_view method) {
    return MethodName(v1::DeliveryRepairService::service_full_name(), method);
  };
  Add<v1::RedeliverJobRequest, v1::ChannelHistoryJob>(
      repairs("RedeliverJob"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->RedeliverJob(caller, request);
      });
  Add<v1::ReplayFailedJobsRequest, v1::ReplayFailedJobsResponse>(
      repairs("ReplayFailedJobs"),
      [this](const Principal& caller, const auto& request, const CallInfo&) {
        return engine_->ReplayFailedJobs(caller, request);
      });
}

grpc::Status WebhookCalls::SearchWebhooksWire(const CallInfo& info,
                                              const v1::SearchWebhooksRequest& request,
                                              std::string* wire) {
  const auto body = [this](const Principal& caller, const v1::SearchWebhooksRequest& request,
                           const CallInfo&) -> absl::StatusOr<std::string> {
    std::string bytes;
    bytes.reserve(16 * 1024);  // About a page of 50, in one allocation.
    // A length-delimited field of SearchWebhooksResponse: its tag, its length, its bytes.
    const auto write = [&bytes](int field, absl::string_view value) {
      using google::protobuf::internal::WireFormatLite;
      using google::protobuf::io::CodedOutputStream;
      const uint32_t tag =
          WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
      const uint32_t size = static_cast<uint32_t>(value.size());
      const size_t start = bytes.size();
      bytes.resize(start + CodedOutputStream::VarintSize32(tag) +
                   CodedOutputStream::VarintSize32(size));
      auto* target = reinterpret_cast<uint8_t*>(&bytes[start]);
      target = CodedOutputStream::WriteVarint32ToArray(tag, target);
      CodedOutputStream::WriteVarint32ToArray(size, target);
      bytes.append(value.data(), value.size());
    };
    ASSIGN_OR_RETURN(
        const v1::Pagination pagination,
        engine_->VisitSearchPage(caller, request, [&](absl::string_view wire, absl::string_view) {
          write(v1::SearchWebhooksResponse::kWebhooksFieldNumber, wire);
        }));
    write(v1::SearchWebhooksResponse::kPaginationFieldNumber, pagination.SerializeAsString());
    return bytes;
  };
  return Handle("SearchWebhooks", info, request, body, wire);
}

std::optional<grpc::Status> WebhookCalls::CallToJson(
    const google::protobuf::MethodDescriptor& method, const CallInfo& info,
    const google::protobuf::Message& request, std::string* json) {
  if (&method != SearchWebhooksMethod()) return std::nullopt;
  // What ToJson writes for a SearchWebhooksResponse, a webhook at a time.
  const auto body = [this](const Principal& caller, const v1::SearchWebhooksRequest& request,
                           const CallInfo&) -> absl::StatusOr<std::string> {
    std::string page = "{\"webhooks\":[";
    page.reserve(32 * 1024);  // About a page of 50, in one allocation.
    bool first = true;
    ASSIGN_OR_RETURN(
        const v1::Pagination pagination,
        engine_->VisitSearchPage(caller, request, [&](absl::string_view, absl::string_view json) {
          if (!first) page.push_back(',');
          first = false;
          page.append(json.data(), json.size());
        }));
    page.append("],\"pagination\":");
    AppendJson(pagination, &page);
    page.push_back('}');
    return page;
  };
  return Handle("SearchWebhooks", info, static_cast<const v1::SearchWebhooksRequest&>(request),
                body, json);
}

grpc::Status WebhookCalls::Call(const google::protobuf::MethodDescriptor& method,
                                const CallInfo& info, const google::protobuf::Message& request,
                                google::protobuf::Message* response) {
  const auto handler = handlers_.find(method.full_name());
  if (handler == handlers_.end()) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat(method.full_name(), " is not served here"));
  }
  return handler->second(info, request, response);
}

const google::protobuf::ServiceDescriptor* WebhookServiceDescriptor() {
  // The descriptor lives in webhook_service.pb.cc, which nothing else references, so a static
  // link drops it unless something calls into it. AssignDescriptors does, and also makes sure
  // the file is in the generated pool before it is searched.
  static const google::protobuf::ServiceDescriptor* const descriptor = [] {
    google::protobuf::internal::AssignDescriptors(
        &::descriptor_table_proto_2fwebhook_5fservice_2eproto);
    return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        v1::WebhookService::service_full_name());
  }();
  return descriptor;
}

const google::protobuf::ServiceDescriptor* DeliveryRepairServiceDescriptor() {
  static const google::protobuf::ServiceDescriptor* const descriptor = [] {
    google::protobuf::internal::AssignDescriptors(
        &::descriptor_table_proto_2fdelivery_5frepair_5fservice_2eproto);
    return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        v1::DeliveryRepairService::service_full_name());
  }();
  return descriptor;
}

const google::protobuf::MethodDescriptor* SearchWebhooksMethod() {
  static const google::protobuf::MethodDescriptor* const method =
      WebhookServiceDescriptor()->FindMethodByName("SearchWebhooks");
  return method;
}

absl::flat_hash_set<const google::protobuf::MethodDescriptor*> MethodsThatNeverWait(
    const StateStore* store) {
  absl::flat_hash_set<const google::protobuf::MethodDescriptor*> methods;
  if (store == nullptr || !store->shared()) methods.insert(SearchWebhooksMethod());
  if (store == nullptr) {
    methods.insert(WebhookServiceDescriptor()->FindMethodByName("PublishEvent"));
  }
  return methods;
}

std::vector<const google::protobuf::ServiceDescriptor*> RestServiceDescriptors() {
  return {WebhookServiceDescriptor(), DeliveryRepairServiceDescriptor()};
}

absl::StatusOr<std::string> BearerToken(absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return absl::UnauthenticatedError(
        "Authentication required: the authorization must be \"Bearer <token>\".");
  }
  return std::string(absl::StripAsciiWhitespace(authorization.substr(kScheme.size())));
}

GrpcService::GrpcService(const google::protobuf::ServiceDescriptor* service, WebhookCalls* calls,
                         HandlerPool* call_threads,
                         absl::flat_hash_set<const google::protobuf::MethodDescriptor*> never_wait,
                         Metrics* metrics)
    : calls_(*calls),
      call_threads_(*call_threads),
      metrics_(metrics),
      never_wait_(std::move(never_wait)) {
  for (int i = 0; i < service->method_count(); ++i) {
    paths_.push_back(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
  }
  // gRPC keeps a pointer to each path, so paths_ does not change from here on.
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = service->method(i);
    AddMethod(new grpc::internal::RpcServiceMethod(paths_[i].c_str(),
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodRawCallback(
        i, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
               [this, method](grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                              grpc::ByteBuffer* response) {
                 return Start(*method, *context, *request, response);
               }));
  }
}

grpc::ServerUnaryReactor* GrpcService::Start(const google::protobuf::MethodDescriptor& method,
                                             grpc::CallbackServerContext& context,
                                             const grpc::ByteBuffer& request,
                                             grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context.DefaultReactor();
  const absl::Time start = metrics_ != nullptr ? metrics_->clock().Now() : absl::Time();
  if (never_wait_.contains(&method)) {
    Finish(method, start, reactor, Handle(method, context, request, response));
    return reactor;
  }
  const bool queued =
      call_threads_.TrySubmit([this, &method, &context, &request, response, reactor, start] {
        Finish(method, start, reactor, Handle(method, context, request, response));
      });
  if (!queued) {
    Finish(method, start, reactor,
           grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "webhookd is handling as many calls as it can; try again shortly"));
  }
  return reactor;
}

void GrpcService::Finish(const google::protobuf::MethodDescriptor& method, absl::Time start,
                         grpc::ServerUnaryReactor* reactor, grpc::Status status) {
  if (metrics_ != nullptr) {
    metrics_->RecordCall(method, status.error_code(), metrics_->clock().Now() - start);
  }
  reactor->Finish(std::move(status));
}

grpc::Status GrpcService::Handle(const google::protobuf::MethodDescriptor& method,
                                 grpc::ServerContextBase& context,
                                 const grpc::ByteBuffer& request_bytes,
                                 grpc::ByteBuffer* response_bytes) {
  using Serialization = grpc::SerializationTraits<google::protobuf::Message>;
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<google::protobuf::Message> request(
      factory->GetPrototype(method.input_type())->New());
  grpc::ByteBuffer bytes(request_bytes);  // Shares the slices; Deserialize consumes it.
  grpc::Status status = Serialization::Deserialize(&bytes, request.get());
  if (!status.ok()) return status;
  const CallInfo info = InfoOf(context, calls_.counts_clients());
  if (&method == SearchWebhooksMethod()) {
    auto* wire = new std::string();  // Owned by the reply's one slice.
    status = calls_.SearchWebhooksWire(
        info, static_cast<const v1::SearchWebhooksRequest&>(*request), wire);
    grpc::Slice slice(
        wire->data(), wire->size(), [](void* bytes) { delete static_cast<std::string*>(bytes); },
        wire);
    if (status.ok()) *response_bytes = grpc::ByteBuffer(&slice, 1);
    return status;
  }
  bool own_buffer;
  std::unique_ptr<google::protobuf::Message> response(
      factory->GetPrototype(method.output_type())->New());
  status = calls_.Call(method, info, *request, response.get());
  return status.ok() ? Serialization::Serialize(*response, response_bytes, &own_buffer) : status;
}

}  // namespace webhooks
