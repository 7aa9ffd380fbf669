#include "grpc_service/webhook_service.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/base/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_message_reflection.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpc_service/server_log.h"
#include "grpc_service/status_mapping.h"

namespace webhooks {
namespace {

// One incoming call: what its log lines say it is about, and how it ends. Its request id is
// the caller's x-request-id (the REST gateway sends the one it chose) if usable, else a new
// one; either way it goes back in the response's initial metadata.
class Call {
 public:
  Call(grpc::ServerContext& context, absl::string_view method) {
    const auto& metadata = context.client_metadata();
    const auto supplied = metadata.find(kRequestIdHeader);
    log.request_id =
        RequestId(supplied == metadata.end()
                      ? absl::string_view()
                      : absl::string_view(supplied->second.data(), supplied->second.size()));
    log.method = std::string(method);
    context.AddInitialMetadata(kRequestIdHeader, log.request_id);
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

// The call's deadline; InfiniteFuture when the client set none.
absl::Time Deadline(const grpc::ServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// The client address of a TCP peer ("ipv4:10.0.0.1:5000" -> "ipv4:10.0.0.1", likewise for
// ipv6); "" for any other transport (in-process calls).
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
absl::StatusOr<Principal> AuthenticateCall(const grpc::ServerContext& context,
                                           const google::protobuf::Message& request,
                                           const Authenticator& authenticator,
                                           RateLimiter* rate_limiter, LogContext& log) {
  if (rate_limiter != nullptr) {
    const std::string client = ClientAddress(context.peer());
    if (!client.empty()) {
      const absl::Duration wait = rate_limiter->Acquire(client);
      if (wait > absl::ZeroDuration()) return rate_limiter->ExceededError(wait);
    }
  }
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find("authorization");
  if (found == metadata.end()) {
    return absl::UnauthenticatedError("Authentication required: missing bearer token.");
  }
  absl::StatusOr<std::string> token =
      BearerToken(absl::string_view(found->second.data(), found->second.size()));
  if (!token.ok()) return token.status();
  absl::StatusOr<Principal> caller = authenticator.Authenticate(*token);
  if (!caller.ok()) return caller;
  log.org = caller->org.id();
  RETURN_IF_ERROR(KnownFieldsOnly(request));
  return caller;
}

}  // namespace

const google::protobuf::ServiceDescriptor* WebhookServiceDescriptor() {
  // The descriptor lives in webhook_service.pb.cc, which nothing else references, so a static
  // link drops it unless something calls into it. AssignDescriptors does, and also makes sure
  // the file is in the generated pool before it is searched.
  google::protobuf::internal::AssignDescriptors(
      &::descriptor_table_proto_2fwebhook_5fservice_2eproto);
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      v1::WebhookService::service_full_name());
}

std::vector<const google::protobuf::ServiceDescriptor*> RestServiceDescriptors() {
  google::protobuf::internal::AssignDescriptors(
      &::descriptor_table_proto_2fdelivery_5frepair_5fservice_2eproto);
  return {WebhookServiceDescriptor(),
          google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
              v1::DeliveryRepairService::service_full_name())};
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

absl::StatusOr<Principal> WebhookServiceImpl::Caller(const grpc::ServerContext& context,
                                                     const google::protobuf::Message& request,
                                                     LogContext& log) const {
  return AuthenticateCall(context, request, *authenticator_, rate_limiter_, log);
}

grpc::Status WebhookServiceImpl::CreateWebhook(grpc::ServerContext* context,
                                               const v1::CreateWebhookRequest* request,
                                               v1::Webhook* response) {
  Call call(*context, "CreateWebhook");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->CreateWebhook(*caller, *request), response);
}

grpc::Status WebhookServiceImpl::SearchWebhooks(grpc::ServerContext* context,
                                                const v1::SearchWebhooksRequest* request,
                                                v1::SearchWebhooksResponse* response) {
  Call call(*context, "SearchWebhooks");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->SearchWebhooks(*caller, *request), response);
}

grpc::Status WebhookServiceImpl::UpdateWebhook(grpc::ServerContext* context,
                                               const v1::UpdateWebhookRequest* request,
                                               google::protobuf::Empty* /*response*/) {
  Call call(*context, "UpdateWebhook");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Finish(engine_->UpdateWebhook(*caller, *request));
}

grpc::Status WebhookServiceImpl::DeleteWebhooks(grpc::ServerContext* context,
                                                const v1::DeleteWebhooksRequest* request,
                                                v1::DeleteWebhooksResponse* response) {
  Call call(*context, "DeleteWebhooks");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->DeleteWebhooks(*caller, *request), response);
}

grpc::Status WebhookServiceImpl::ConfigureChannelPreferences(
    grpc::ServerContext* context, const v1::ConfigureChannelPreferencesRequest* request,
    google::protobuf::Empty* /*response*/) {
  Call call(*context, "ConfigureChannelPreferences");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Finish(engine_->ConfigureChannelPreferences(*caller, *request));
}

grpc::Status WebhookServiceImpl::SearchChannelPreferences(
    grpc::ServerContext* context, const v1::SearchChannelPreferencesRequest* request,
    v1::SearchChannelPreferencesResponse* response) {
  Call call(*context, "SearchChannelPreferences");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->SearchChannelPreferences(*caller, *request), response);
}

grpc::Status WebhookServiceImpl::ValidateCommunicationChannel(
    grpc::ServerContext* context, const v1::ValidateCommunicationChannelRequest* request,
    v1::ValidateCommunicationChannelResponse* response) {
  Call call(*context, "ValidateCommunicationChannel");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  // Copies: the validation may outlive this call when its deadline passes.
  return call.Reply(validations_.Run<v1::ValidateCommunicationChannelResponse>(
                        Deadline(*context),
                        [engine = engine_, caller = *caller, request = *request] {
                          return engine->ValidateCommunicationChannel(caller, request);
                        }),
                    response);
}

grpc::Status WebhookServiceImpl::SearchChannelHistory(
    grpc::ServerContext* context, const v1::SearchChannelHistoryRequest* request,
    v1::SearchChannelHistoryResponse* response) {
  Call call(*context, "SearchChannelHistory");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->SearchChannelHistory(*caller, *request), response);
}

grpc::Status WebhookServiceImpl::GetWebhookStorageConfig(grpc::ServerContext* context,
                                                         const v1::GetStorageConfigRequest* request,
                                                         v1::GetStorageConfigResponse* response) {
  Call call(*context, "GetWebhookStorageConfig");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->GetStorageConfig(*caller), response);
}

grpc::Status WebhookServiceImpl::PublishEvent(grpc::ServerContext* context,
                                              const v1::PublishEventRequest* request,
                                              v1::PublishEventResponse* response) {
  Call call(*context, "PublishEvent");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->PublishEvent(*caller, *request), response);
}

absl::StatusOr<Principal> DeliveryRepairServiceImpl::Caller(
    const grpc::ServerContext& context, const google::protobuf::Message& request,
    LogContext& log) const {
  return AuthenticateCall(context, request, *authenticator_, rate_limiter_, log);
}

grpc::Status DeliveryRepairServiceImpl::RedeliverJob(grpc::ServerContext* context,
                                                     const v1::RedeliverJobRequest* request,
                                                     v1::ChannelHistoryJob* response) {
  Call call(*context, "RedeliverJob");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->RedeliverJob(*caller, *request), response);
}

grpc::Status DeliveryRepairServiceImpl::ReplayFailedJobs(
    grpc::ServerContext* context, const v1::ReplayFailedJobsRequest* request,
    v1::ReplayFailedJobsResponse* response) {
  Call call(*context, "ReplayFailedJobs");
  absl::StatusOr<Principal> caller = Caller(*context, *request, call.log);
  if (!caller.ok()) return call.Finish(caller.status());
  return call.Reply(engine_->ReplayFailedJobs(*caller, *request), response);
}

}  // namespace webhooks
