// webhookd's listeners on loopback ports chosen at run time: REST through a real HTTP client
// (libcurl, one kept-alive connection) and gRPC through a generated stub over TCP, plus gRPC
// health checking and server reflection. Metrics and logs: webhookd_observability_test.cc.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/persistence/state_store.h"
#include "gmock/gmock.h"
#include "grpc_service/status_mapping.h"
#include "grpc_service/test_client.h"
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

using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::Append;
using ::webhooks::testing::As;
using ::webhooks::testing::Client;
using ::webhooks::testing::CurlResult;
using ::webhooks::testing::ErrorJson;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::kViewerToken;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::StatusIs;
using ::webhooks::testing::TestEnvironment;

class WebhookdIntegrationTest : public ::testing::Test {
 protected:
  static WebhookServerOptions Options() {
    WebhookServerOptions options;
    options.http.max_body_bytes = 4096;
    options.gateway.max_body_bytes = 4096;
    options.http.max_header_bytes = 2048;
    return options;
  }

  WebhookdIntegrationTest()
      : env_(TestEnvironment::kListen, Options()),
        client_(env_.server().http_port()),
        channel_(grpc::CreateChannel(absl::StrCat("127.0.0.1:", env_.server().grpc_port()),
                                     grpc::InsecureChannelCredentials())),
        stub_(v1::WebhookService::NewStub(channel_)) {}

  TestEnvironment env_;
  Client client_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WebhookService::Stub> stub_;
};

TEST_F(WebhookdIntegrationTest, ListensOnPortsChosenAtRunTime) {
  EXPECT_GT(env_.server().grpc_port(), 0);
  EXPECT_GT(env_.server().http_port(), 0);
  EXPECT_NE(env_.server().grpc_port(), env_.server().http_port());
}

TEST_F(WebhookdIntegrationTest, RestLifecycleOverOneKeptAliveConnection) {
  const CurlResult created = client_.Post(
      "/api/rest/2.0/webhooks/create",
      R"({"name":"webhook-lb-event","url":"https://example.com/hook","events":["LIVEBOARD_SCHEDULE"],)"
      R"("authentication":{"BEARER_TOKEN":"Bearer {AUTH_TOKEN}"},"description":"Webhook for Liveboard schedule"})",
      kUserATestOrg1Token);
  EXPECT_EQ(created.status, 200);
  EXPECT_EQ(created.content_type, "application/json");
  EXPECT_EQ(created.new_connections, 1);
  EXPECT_EQ(
      created.body,
      R"json({"id":"00000000-0000-4000-8000-000000000001","name":"webhook-lb-event",)json"
      R"json("description":"Webhook for Liveboard schedule","org":{"id":"2100019165","name":"testOrg1"},)json"
      R"json("url":"https://example.com/hook","url_params":null,"events":["LIVEBOARD_SCHEDULE"],)json"
      R"json("authentication":{"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":"***","OAUTH2":null},)json"
      R"json("signature_verification":null,"additional_headers":null,)json"
      R"json("creation_time_in_millis":1773824614455,"modification_time_in_millis":1773824614455,)json"
      R"json("created_by":{"id":"4e6e5692-667e-487d-9672-f301ccc2ea77","name":"UserA@example.com"},)json"
      R"json("last_modified_by":null,"storage_destination":null,"status":null})json");

  const CurlResult updated = client_.Post("/api/rest/2.0/webhooks/webhook-lb-event/update",
                                          R"({"description":"changed"})", kUserATestOrg1Token);
  EXPECT_EQ(updated.status, 204);
  EXPECT_EQ(updated.body, "");
  EXPECT_EQ(updated.new_connections, 0);  // Reused.

  const CurlResult found = client_.Post(
      "/api/rest/2.0/webhooks/search", R"({"webhook_identifier":"webhook-lb-event"})", kAdminToken);
  EXPECT_EQ(found.status, 200);
  EXPECT_THAT(found.body, HasSubstr(R"("description":"changed")"));
  EXPECT_THAT(found.body, HasSubstr(R"("total_count":1,"has_more":false)"));
  EXPECT_EQ(found.new_connections, 0);

  const CurlResult configured = client_.Post(
      "/api/rest/2.0/system/preferences/communication-channels/configure",
      R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL","WEBHOOK"]}]})",
      kAdminToken);
  EXPECT_EQ(configured.status, 204);
  const CurlResult preferences =
      client_.Post("/api/rest/2.0/system/preferences/communication-channels/search",
                   R"({"cluster_preferences":["LIVEBOARD_SCHEDULE"]})", kAdminToken);
  EXPECT_EQ(preferences.status, 200);
  EXPECT_THAT(
      preferences.body,
      HasSubstr(
          R"({"cluster_preferences":[{"event_type":"LIVEBOARD_SCHEDULE","channels":["EMAIL","WEBHOOK"]}])"));

  const CurlResult deleted =
      client_.Post("/api/rest/2.0/webhooks/delete",
                   R"({"webhook_identifiers":["webhook-lb-event","nope"]})", kUserATestOrg1Token);
  EXPECT_EQ(deleted.status, 200);
  EXPECT_THAT(deleted.body, HasSubstr(R"({"deleted_count":1,"failed_count":1,)"));
  EXPECT_EQ(deleted.new_connections, 0);
}

TEST_F(WebhookdIntegrationTest, RestErrorMappings) {
  CurlResult r = client_.Post("/api/rest/2.0/webhooks/search", "{}", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(NormalizeUuids(r.body),
            ErrorJson(10097, "Authentication required: missing bearer token."));
  r = client_.Post("/api/rest/2.0/webhooks/create",
                   R"({"name":"a","url":"https://e.com","events":["LIVEBOARD_SCHEDULE"]})",
                   kViewerToken);
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(NormalizeUuids(r.body),
              ::testing::StartsWith(R"({"error":{"message":{"code":10023,)"));
  r = client_.Post("/api/rest/2.0/webhooks/nope/update", R"({"name":"x"})", kUserATestOrg1Token);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr(R"("code":10002)"));
  r = client_.Post("/api/rest/2.0/webhooks/search", R"({"unknown_field":1})", kAdminToken);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("unknown_field"));
  r = client_.Post("/api/rest/2.0/no/such/path", "{}", kAdminToken);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  r = client_.Send("GET", "/api/rest/2.0/webhooks/search", "", kAdminToken);
  EXPECT_EQ(r.status, 405);
  r = client_.Send("POST", "/api/rest/2.0/webhooks/search", "x=1", kAdminToken, "text/plain");
  EXPECT_EQ(r.status, 415);
}

TEST_F(WebhookdIntegrationTest, ServerLimitsAnswer413And431) {
  Client big_body(env_.server().http_port());
  CurlResult r = big_body.Post(
      "/api/rest/2.0/webhooks/search",
      absl::StrCat(R"({"webhook_identifier":")", std::string(5000, 'x'), R"("})"), kAdminToken);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(NormalizeUuids(r.body),
            ErrorJson(10002, "Request body exceeds the limit of 4096 bytes."));
  Client big_headers(env_.server().http_port());
  r = big_headers.Send("POST", "/api/rest/2.0/webhooks/search", "{}", kAdminToken,
                       "application/json", {absl::StrCat("X-Padding: ", std::string(3000, 'p'))});
  EXPECT_EQ(r.status, 431);
  EXPECT_THAT(r.body, HasSubstr(R"("code":10002)"));
}

TEST_F(WebhookdIntegrationTest, ConcurrentClientsAreAllAnswered) {
  ASSERT_EQ(
      client_
          .Post("/api/rest/2.0/webhooks/create",
                R"({"name":"h","url":"https://example.com/hook","events":["LIVEBOARD_SCHEDULE"]})",
                kUserATestOrg1Token)
          .status,
      200);
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Client client(env_.server().http_port());
      for (int j = 0; j < kRequests; ++j) {
        const CurlResult found =
            i % 2 == 0 ? client.Post("/api/rest/2.0/webhooks/search", "{}", kUserATestOrg1Token)
                       : client.Post("/api/rest/2.0/webhooks/h/update",
                                     absl::StrCat(R"({"description":"from client )", i, R"("})"),
                                     kUserATestOrg1Token);
        if (found.status == (i % 2 == 0 ? 200 : 204)) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST_F(WebhookdIntegrationTest, GrpcOverTcpSharesTheEngineWithRest) {
  v1::CreateWebhookRequest request;
  request.set_name("over-grpc");
  request.set_url("https://example.com/hook");
  request.add_events(v1::LIVEBOARD_SCHEDULE);
  v1::Webhook created;
  ASSERT_OK(FromGrpcStatus(stub_->CreateWebhook(As(kUserATestOrg1Token).get(), request, &created)));
  EXPECT_EQ(created.org().id(), "2100019165");

  // REST sees what gRPC made.
  const CurlResult found = client_.Post("/api/rest/2.0/webhooks/search", "{}", kUserATestOrg1Token);
  EXPECT_THAT(found.body, HasSubstr(R"("name":"over-grpc")"));

  v1::Webhook ignored;
  EXPECT_THAT(FromGrpcStatus(stub_->CreateWebhook(As("").get(), request, &ignored)),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  EXPECT_THAT(FromGrpcStatus(stub_->CreateWebhook(As(kViewerToken).get(), request, &ignored)),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(
      FromGrpcStatus(stub_->CreateWebhook(As(kUserATestOrg1Token).get(), request, &ignored)),
      StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
}

// Makes one unary call with raw bytes; returns the reply's bytes.
absl::StatusOr<std::string> RawCall(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& method, const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::CompletionQueue queue;
  auto call = stub.PrepareUnaryCall(&context, method, request_buffer, &queue);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  if (!queue.Next(&tag, &ok) || !ok) return absl::InternalError("call did not complete");
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!response_buffer.Dump(&slices).ok()) return absl::InternalError("bad reply");
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes;
}

TEST_F(WebhookdIntegrationTest, HealthCheckingReportsServing) {
  // grpc.health.v1.HealthCheckResponse{status: SERVING} is the two bytes 08 01.
  EXPECT_EQ(RawCall(channel_, "/grpc.health.v1.Health/Check", "").value_or("?"),
            std::string("\x08\x01", 2));
  // HealthCheckRequest{service: "webhooks.v1.WebhookService"}: field 1, length-delimited.
  const std::string service = "webhooks.v1.WebhookService";
  EXPECT_EQ(
      RawCall(channel_, "/grpc.health.v1.Health/Check",
              absl::StrCat("\x0a", std::string(1, static_cast<char>(service.size())), service))
          .value_or("?"),
      std::string("\x08\x01", 2));
}

TEST_F(WebhookdIntegrationTest, ReflectionListsTheService) {
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  void* tag = nullptr;
  bool ok = false;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  grpc::Slice request(std::string("\x3a\x00", 2));
  call->Write(grpc::ByteBuffer(&request, 1), reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  std::string bytes;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(bytes, HasSubstr("webhooks.v1.WebhookService"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  call->WritesDone(reinterpret_cast<void*>(4));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

// A self-signed certificate for localhost and 127.0.0.1 (EC P-256), valid for an hour.
struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

SelfSigned MakeSelfSigned() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair<int, const char*>{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
        {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(cert, key, EVP_sha256());
  SelfSigned result;
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<size_t>(size));
    BIO_free(bio);
    return text;
  };
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  result.cert_pem = to_string(cert_bio);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  result.key_pem = to_string(key_bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return result;
}

TEST(WebhookdTlsTest, BothListenersServeTls) {
  const SelfSigned pem = MakeSelfSigned();
  WebhookServerOptions options;
  options.tls_cert_chain_pem = pem.cert_pem;
  options.tls_private_key_pem = pem.key_pem;
  TestEnvironment env(TestEnvironment::kListen, options);

  // HTTPS through libcurl, trusting only the test certificate.
  CURL* curl = curl_easy_init();
  const std::string url =
      absl::StrCat("https://127.0.0.1:", env.server().http_port(), "/api/rest/2.0/webhooks/search");
  std::string body;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, absl::StrCat("Authorization: Bearer ", kAdminToken).c_str());
  curl_blob ca{const_cast<char*>(pem.cert_pem.data()), pem.cert_pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  const CURLcode code = curl_easy_perform(curl);
  EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  EXPECT_EQ(status, 200);
  EXPECT_THAT(body, HasSubstr(R"("total_count":0)"));
  // Plain HTTP on the TLS port gets no HTTP answer.
  const std::string plain = absl::StrCat("http://127.0.0.1:", env.server().http_port(), "/");
  curl_easy_setopt(curl, CURLOPT_URL, plain.c_str());
  body.clear();
  EXPECT_NE(curl_easy_perform(curl), CURLE_OK);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  // gRPC over TLS.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.cert_pem;
  grpc::ChannelArguments arguments;
  arguments.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", env.server().grpc_port()),
                                           grpc::SslCredentials(ssl), arguments);
  auto stub = v1::WebhookService::NewStub(channel);
  v1::SearchWebhooksResponse found;
  EXPECT_OK(FromGrpcStatus(
      stub->SearchWebhooks(As(kAdminToken).get(), v1::SearchWebhooksRequest(), &found)));
}

TEST(WebhookdTlsTest, BadTlsOptionsAreRefused) {
  const SelfSigned pem = MakeSelfSigned();
  WebhookServerOptions options;
  options.grpc_listen = "127.0.0.1:0";
  options.http.listen = "127.0.0.1:0";
  options.tls_cert_chain_pem = pem.cert_pem;
  TestEnvironment env;  // For an engine and an authenticator.
  // A certificate without a key.
  EXPECT_THAT(WebhookServer::Start(options, &env.engine(), env.authenticator()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));
  options.tls_private_key_pem =
      "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  EXPECT_THAT(WebhookServer::Start(options, &env.engine(), env.authenticator()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TLS")));
}

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ::testing::InitGoogleMock(&argc, argv);
  const int result = RUN_ALL_TESTS();
  curl_global_cleanup();
  return result;
}
