// WebhookService through a generated gRPC stub (in-process channel): authentication from
// metadata, each engine outcome as its canonical gRPC status, and the success replies.
#include "grpc_service/webhook_service.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpc_service/metrics.h"
#include "grpc_service/server_capacity.h"
#include "grpc_service/status_mapping.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::kUserATestOrg2025Token;
using ::webhooks::testing::kViewerToken;
using ::webhooks::testing::StatusIs;
using ::webhooks::testing::TestEnvironment;

class WebhookServiceTest : public ::testing::Test {
 protected:
  WebhookServiceTest() : stub_(v1::WebhookService::NewStub(env_.server().InProcessChannel())) {}

  // A context carrying `authorization: Bearer <token>` (none for an empty token).
  static std::unique_ptr<grpc::ClientContext> As(absl::string_view token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return context;
  }

  static v1::CreateWebhookRequest CreateRequest(absl::string_view name) {
    v1::CreateWebhookRequest request;
    request.set_name(std::string(name));
    request.set_url("https://example.com/hook");
    request.add_events(v1::LIVEBOARD_SCHEDULE);
    return request;
  }

  absl::Status Create(absl::string_view token, const v1::CreateWebhookRequest& request,
                      v1::Webhook* created = nullptr) {
    v1::Webhook reply;
    return FromGrpcStatus(
        stub_->CreateWebhook(As(token).get(), request, created ? created : &reply));
  }

  TestEnvironment env_;
  std::unique_ptr<v1::WebhookService::Stub> stub_;
};

TEST_F(WebhookServiceTest, EveryRpcServesItsReply) {
  v1::Webhook created;
  ASSERT_OK(Create(kUserATestOrg1Token, CreateRequest("hook"), &created));
  EXPECT_EQ(created.id(), "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(created.org().name(), "testOrg1");
  EXPECT_EQ(created.created_by().name(), "UserA@example.com");

  v1::SearchWebhooksResponse found;
  ASSERT_OK(FromGrpcStatus(
      stub_->SearchWebhooks(As(kAdminToken).get(), v1::SearchWebhooksRequest(), &found)));
  ASSERT_EQ(found.webhooks_size(), 1);  // The cluster admin sees every org.
  EXPECT_EQ(found.pagination().total_count(), 1);

  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("hook");
  update.set_description("changed");
  google::protobuf::Empty empty;
  ASSERT_OK(FromGrpcStatus(stub_->UpdateWebhook(As(kUserATestOrg1Token).get(), update, &empty)));

  v1::ConfigureChannelPreferencesRequest configure;
  v1::OrgChannelConfigInput* org = configure.add_org_preferences();
  org->set_org_identifier("testOrg1");
  v1::EventChannelConfig* preference = org->add_preferences();
  preference->set_event_type(v1::LIVEBOARD_SCHEDULE);
  preference->add_channels(v1::EMAIL);
  ASSERT_OK(
      FromGrpcStatus(stub_->ConfigureChannelPreferences(As(kAdminToken).get(), configure, &empty)));

  v1::SearchChannelPreferencesResponse preferences;
  ASSERT_OK(FromGrpcStatus(stub_->SearchChannelPreferences(
      As(kAdminToken).get(), v1::SearchChannelPreferencesRequest(), &preferences)));
  EXPECT_EQ(preferences.cluster_preferences_size(), 1);
  EXPECT_EQ(preferences.org_preferences_size(), 3);

  v1::DeleteWebhooksRequest remove;
  remove.add_webhook_identifiers("hook");
  v1::DeleteWebhooksResponse removed;
  ASSERT_OK(FromGrpcStatus(stub_->DeleteWebhooks(As(kUserATestOrg1Token).get(), remove, &removed)));
  EXPECT_EQ(removed.deleted_count(), 1);
  EXPECT_EQ(removed.deleted_webhooks(0).description(), "changed");

  v1::GetStorageConfigResponse storage;
  ASSERT_OK(FromGrpcStatus(stub_->GetWebhookStorageConfig(
      As(kUserATestOrg1Token).get(), v1::GetStorageConfigRequest(), &storage)));
  ASSERT_EQ(storage.configs_size(), 1);
  EXPECT_EQ(storage.configs(0).provider(), v1::AWS_S3);
  EXPECT_EQ(storage.configs(0).config().aws_account_id(), "210987654321");
}

TEST_F(WebhookServiceTest, MissingUnknownOrMalformedTokenIsUnauthenticated) {
  EXPECT_THAT(Create("", CreateRequest("a")),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("missing")));
  EXPECT_THAT(Create("not-a-token", CreateRequest("a")),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("not-a-token"))));
  grpc::ClientContext basic;
  basic.AddMetadata("authorization", "Basic dXNlcjpwYXNz");
  v1::Webhook reply;
  EXPECT_THAT(FromGrpcStatus(stub_->CreateWebhook(&basic, CreateRequest("a"), &reply)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("Bearer")));
}

TEST_F(WebhookServiceTest, MissingPrivilegeIsPermissionDenied) {
  EXPECT_THAT(Create(kViewerToken, CreateRequest("a")),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST_F(WebhookServiceTest, BadFieldIsInvalidArgument) {
  v1::CreateWebhookRequest request = CreateRequest("a");
  request.clear_events();
  EXPECT_THAT(Create(kUserATestOrg1Token, request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events")));
}

// A client built from older protos sends the retired url_params map (field 4) and history
// epochs (int64 fields 6 and 7): refused, rather than dropped without a word.
TEST_F(WebhookServiceTest, FieldsThisServerDoesNotKnowAreInvalidArgument) {
  v1::CreateWebhookRequest create;
  create.set_name("old-client");
  create.set_url("https://example.com/hook");
  create.add_events(v1::LIVEBOARD_SCHEDULE);
  create.GetReflection()->MutableUnknownFields(&create)->AddLengthDelimited(4, "\n\x01k\x12\x01v");
  v1::Webhook created;
  EXPECT_THAT(FromGrpcStatus(stub_->CreateWebhook(As(kAdminToken).get(), create, &created)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "webhooks.v1.CreateWebhookRequest has fields this server does not know "
                       "(numbers 4): update the client to this server's "
                       "proto/webhook_service.proto"));
  v1::SearchChannelHistoryRequest history;
  history.set_channel_type(v1::WEBHOOK);
  history.add_job_ids("n.1");
  history.GetReflection()->MutableUnknownFields(&history)->AddVarint(6, 1);
  history.GetReflection()->MutableUnknownFields(&history)->AddVarint(7, 2);
  v1::SearchChannelHistoryResponse jobs;
  EXPECT_THAT(
      FromGrpcStatus(stub_->SearchChannelHistory(As(kAdminToken).get(), history, &jobs)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "webhooks.v1.SearchChannelHistoryRequest has fields this server does not know "
               "(numbers 6, 7): update the client to this server's "
               "proto/webhook_service.proto"));
  // Without a token, the caller learns nothing more than that.
  grpc::ClientContext anonymous;
  EXPECT_THAT(FromGrpcStatus(stub_->CreateWebhook(&anonymous, create, &created)),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
}

// SearchWebhooks is answered with each webhook serialized straight from the engine's stored
// copy: the same bytes as the page the engine builds, secrets redacted, with the same errors.
TEST_F(WebhookServiceTest, SearchAnswersTheEnginesPageRedacted) {
  v1::CreateWebhookRequest signed_request = CreateRequest("signed");
  signed_request.mutable_authentication()->set_bearer_token("receiver-token");
  signed_request.mutable_signature_verification()->set_type(v1::HMAC_SHA256);
  signed_request.mutable_signature_verification()->set_header("X-Signature");
  signed_request.mutable_signature_verification()->set_algorithm(v1::SHA256);
  signed_request.mutable_signature_verification()->set_secret("signing-secret");
  ASSERT_OK(Create(kUserATestOrg1Token, signed_request));
  ASSERT_OK(Create(kUserATestOrg2025Token, CreateRequest("plain")));

  v1::SearchWebhooksResponse found;
  ASSERT_OK(FromGrpcStatus(
      stub_->SearchWebhooks(As(kAdminToken).get(), v1::SearchWebhooksRequest(), &found)));
  ASSERT_EQ(found.webhooks_size(), 2);
  EXPECT_EQ(found.webhooks(1).name(), "signed");  // CREATED, DESC.
  EXPECT_EQ(found.webhooks(1).authentication().bearer_token(), "***");
  EXPECT_EQ(found.webhooks(1).signature_verification().secret(), "***");
  EXPECT_EQ(found.pagination().total_count(), 2);
  EXPECT_FALSE(found.pagination().has_more());
  ASSERT_OK_AND_ASSIGN(const Principal admin, env_.authenticator()->Authenticate(kAdminToken));
  ASSERT_OK_AND_ASSIGN(const v1::SearchWebhooksResponse page,
                       env_.engine().SearchWebhooks(admin, v1::SearchWebhooksRequest()));
  EXPECT_EQ(found.SerializeAsString(), page.SerializeAsString());

  v1::SearchWebhooksRequest negative;
  negative.set_record_offset(-1);
  EXPECT_THAT(FromGrpcStatus(stub_->SearchWebhooks(As(kAdminToken).get(), negative, &found)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "record_offset must be a non-negative integer."));
  EXPECT_THAT(FromGrpcStatus(stub_->SearchWebhooks(As("").get(), negative, &found)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "Authentication required: missing bearer token."));
}

// Every call but those that never wait runs on the call threads; with every one busy and no
// room to queue, a call is refused at once rather than left to wait. The metrics count both.
TEST_F(WebhookServiceTest, BusyCallThreadsAreResourceExhausted) {
  WebhookCalls calls(&env_.engine(), env_.authenticator());
  HandlerPool call_threads(/*threads=*/1, /*max_queued=*/0);
  Metrics metrics(env_.clock());
  GrpcService service(WebhookServiceDescriptor(), &calls, &call_threads,
                      MethodsThatNeverWait(/*store=*/nullptr), &metrics);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::WebhookService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));

  // The one thread, taken before any call (a finished call frees its place only after it has
  // answered).
  absl::Notification release;
  ASSERT_TRUE(call_threads.TrySubmit([&release] { release.WaitForNotification(); }));
  v1::Webhook created;
  EXPECT_THAT(FromGrpcStatus(stub->CreateWebhook(As(kUserATestOrg2025Token).get(),
                                                 CreateRequest("busy"), &created)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "webhookd is handling as many calls as it can; try again shortly"));
  v1::SearchWebhooksResponse found;  // Runs on gRPC's thread.
  ASSERT_OK(FromGrpcStatus(
      stub->SearchWebhooks(As(kAdminToken).get(), v1::SearchWebhooksRequest(), &found)));
  EXPECT_EQ(found.webhooks_size(), 0);  // The refused create left nothing behind.
  EXPECT_EQ(found.pagination().total_count(), 0);
  const std::string rendered = metrics.Render();
  for (const char* line :
       {"webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
        "method=\"CreateWebhook\",code=\"RESOURCE_EXHAUSTED\"} 1\n",
        "webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
        "method=\"SearchWebhooks\",code=\"OK\"} 1\n",
        "webhookd_grpc_request_duration_seconds_bucket{service=\"webhooks.v1.WebhookService\","
        "method=\"SearchWebhooks\",le=\"0.0005\"} 1\n"}) {  // The fake clock stood still.
    EXPECT_THAT(rendered, ::testing::HasSubstr(line));
  }
  release.Notify();
  server->Shutdown();
}

// A store other replicas write too: shared() is all that MethodsThatNeverWait reads.
class SharedStore final : public NullStateStore {
 public:
  bool shared() const override { return true; }
};

TEST(MethodsThatNeverWaitTest, DependOnTheStore) {
  const auto method = [](const char* name) {
    return WebhookServiceDescriptor()->FindMethodByName(name);
  };
  EXPECT_THAT(MethodsThatNeverWait(nullptr),
              UnorderedElementsAre(method("SearchWebhooks"), method("PublishEvent")));
  NullStateStore journal_like;  // Writes may wait for the disk; reads never do.
  EXPECT_THAT(MethodsThatNeverWait(&journal_like), UnorderedElementsAre(method("SearchWebhooks")));
  SharedStore shared;
  EXPECT_THAT(MethodsThatNeverWait(&shared), IsEmpty());
}

TEST_F(WebhookServiceTest, UnknownWebhookIsNotFound) {
  v1::UpdateWebhookRequest update;
  update.set_webhook_identifier("missing");
  update.set_name("x");
  google::protobuf::Empty empty;
  EXPECT_THAT(FromGrpcStatus(stub_->UpdateWebhook(As(kUserATestOrg1Token).get(), update, &empty)),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST_F(WebhookServiceTest, SecondWebhookInAnOrgIsAlreadyExists) {
  ASSERT_OK(Create(kUserATestOrg1Token, CreateRequest("first")));
  EXPECT_THAT(Create(kUserATestOrg1Token, CreateRequest("second")),
              StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
}

TEST_F(WebhookServiceTest, WebhookChannelOffIsFailedPrecondition) {
  v1::ConfigureChannelPreferencesRequest configure;
  v1::OrgChannelConfigInput* org = configure.add_org_preferences();
  org->set_org_identifier("testOrg2025");
  v1::EventChannelConfig* preference = org->add_preferences();
  preference->set_event_type(v1::LIVEBOARD_SCHEDULE);
  google::protobuf::Empty empty;
  ASSERT_OK(
      FromGrpcStatus(stub_->ConfigureChannelPreferences(As(kAdminToken).get(), configure, &empty)));
  EXPECT_THAT(Create(kUserATestOrg2025Token, CreateRequest("a")),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
}

TEST(BearerTokenTest, ParsesOnlyTheBearerScheme) {
  EXPECT_EQ(BearerToken("Bearer abc").value_or(""), "abc");
  EXPECT_EQ(BearerToken("BEARER  abc ").value_or(""), "abc");
  EXPECT_THAT(BearerToken("Bearer "), StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_THAT(BearerToken("Basic abc"), StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_THAT(BearerToken("abc"), StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
}

}  // namespace
}  // namespace webhooks
