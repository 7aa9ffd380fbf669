#include "engine/http/curl_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/http/http_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/http_receiver.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;
using ::webhooks::testing::HttpReceiver;
using ::webhooks::testing::ScriptedResponse;
using ::webhooks::testing::StatusIs;

constexpr char kRefusedSuffix[] = "; refused (use --allow_private_endpoints to allow it)";

std::unique_ptr<CurlTransport> MakeTransport(bool allow_private = true,
                                             size_t max_response_body = 4096) {
  CurlTransportOptions options;
  options.allow_private_endpoints = allow_private;
  options.max_response_body = max_response_body;
  options.user_agent = "webhooks-test/1.0";
  absl::StatusOr<std::unique_ptr<CurlTransport>> transport = CurlTransport::Create(options);
  EXPECT_OK(transport.status());
  return transport.ok() ? *std::move(transport) : nullptr;
}

// Sends `request` and waits for its callback.
absl::StatusOr<HttpResponse> SendAndWait(HttpTransport& transport, HttpRequest request) {
  std::promise<absl::StatusOr<HttpResponse>> promise;
  std::future<absl::StatusOr<HttpResponse>> future = promise.get_future();
  transport.Send(std::move(request), [&promise](absl::StatusOr<HttpResponse> response) {
    promise.set_value(std::move(response));
  });
  return future.get();
}

HttpRequest Post(std::string url, std::string body = "") {
  HttpRequest request;
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

ScriptedResponse Reply(int status, std::string body = "",
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  ScriptedResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

TEST(CurlTransportTest, SendsExactlyTheGivenHeadersAndBody) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  HttpRequest request =
      Post(receiver.url("/hook?version=v1&key=s3cret"), R"({"eventType":"LIVEBOARD_SCHEDULE"})");
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Webhook-Signature", "abc123"},
                     {"X-Empty", ""},
                     {"Authorization", "Bearer token"}};
  ASSERT_OK_AND_ASSIGN(HttpResponse response, SendAndWait(*transport, request));
  EXPECT_EQ(response.status, 200);

  const std::vector<testing::ReceivedRequest> received = receiver.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].target, "/hook?version=v1&key=s3cret");
  EXPECT_EQ(received[0].version, "HTTP/1.1");
  EXPECT_THAT(
      received[0].headers,
      ElementsAre(Pair("host", absl::StrCat("127.0.0.1:", receiver.port())),
                  Pair("user-agent", "webhooks-test/1.0"), Pair("content-type", "application/json"),
                  Pair("x-webhook-signature", "abc123"), Pair("x-empty", ""),
                  Pair("authorization", "Bearer token"), Pair("content-length", "34")));
  EXPECT_EQ(received[0].body, R"({"eventType":"LIVEBOARD_SCHEDULE"})");
}

TEST(CurlTransportTest, RequestUserAgentAndAcceptWinAndNoContentTypeIsInvented) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  HttpRequest request = Post(receiver.url("/"), "a=b");
  request.headers = {{"User-Agent", "custom/2"}, {"Accept", "application/json"}};
  ASSERT_OK(SendAndWait(*transport, request).status());
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_THAT(receiver.requests()[0].headers,
              ElementsAre(Pair("host", absl::StrCat("127.0.0.1:", receiver.port())),
                          Pair("user-agent", "custom/2"), Pair("accept", "application/json"),
                          Pair("content-length", "3")));
}

TEST(CurlTransportTest, GetAndPutMethods) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  HttpRequest get;
  get.method = "GET";
  get.url = receiver.url("/token");
  ASSERT_OK(SendAndWait(*transport, get).status());
  HttpRequest put = Post(receiver.url("/put"), "xyz");
  put.method = "PUT";
  ASSERT_OK(SendAndWait(*transport, put).status());

  const std::vector<testing::ReceivedRequest> received = receiver.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].method, "GET");
  EXPECT_EQ(received[0].body, "");
  EXPECT_EQ(received[0].Header("content-length"), "");
  EXPECT_EQ(received[1].method, "PUT");
  EXPECT_EQ(received[1].body, "xyz");
}

TEST(CurlTransportTest, ReturnsStatusHeadersAndBody) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(201, "accepted", {{"X-Reply", "yes"}, {"Retry-After", " 7 "}}));
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  ASSERT_OK_AND_ASSIGN(HttpResponse response,
                       SendAndWait(*transport, Post(receiver.url("/hook"), "{}")));
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "accepted");
  EXPECT_THAT(response.headers, ElementsAre(Pair("x-reply", "yes"), Pair("retry-after", "7"),
                                            Pair("content-length", "8")));
  EXPECT_EQ(response.Header("retry-after"), "7");
}

TEST(CurlTransportTest, ErrorStatusesAreResponsesNotErrors) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(503, "busy"));
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  ASSERT_OK_AND_ASSIGN(HttpResponse response, SendAndWait(*transport, Post(receiver.url("/hook"))));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "busy");
}

TEST(CurlTransportTest, RedirectsAreNotFollowed) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(302, "", {{"Location", "/elsewhere"}}));
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  ASSERT_OK_AND_ASSIGN(HttpResponse response,
                       SendAndWait(*transport, Post(receiver.url("/hook"), "{}")));
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.Header("location"), "/elsewhere");
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].target, "/hook");
}

TEST(CurlTransportTest, TimeoutIsDeadlineExceededWithoutTheQuery) {
  HttpReceiver receiver;
  receiver.SetDefaultResponse(ScriptedResponse::Hang());
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  HttpRequest request = Post(receiver.url("/slow?api_key=s3cret"), "{}");
  request.timeout = absl::Milliseconds(200);
  const absl::StatusOr<HttpResponse> response = SendAndWait(*transport, request);
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                 StartsWith(absl::StrCat("POST ", receiver.url("/slow"),
                                                         " timed out after 200ms: "))));
  EXPECT_THAT(std::string(response.status().message()), Not(HasSubstr("s3cret")));
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(CurlTransportTest, LoopbackIsRefusedUnlessAllowed) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport(/*allow_private=*/false);
  ASSERT_NE(transport, nullptr);

  EXPECT_THAT(SendAndWait(*transport, Post(receiver.url("/hook"), "{}")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("destination address 127.0.0.1 is loopback", kRefusedSuffix)));
  EXPECT_EQ(receiver.connection_count(), 0);
  EXPECT_EQ(receiver.requests().size(), 0u);
}

TEST(CurlTransportTest, HostnamesResolvingToLoopbackAreRefused) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport(/*allow_private=*/false);
  ASSERT_NE(transport, nullptr);

  // localhost resolves to 127.0.0.1 and/or ::1; whichever is tried first is named.
  const absl::StatusOr<HttpResponse> response = SendAndWait(
      *transport, Post(absl::StrCat("http://localhost:", receiver.port(), "/hook"), "{}"));
  EXPECT_THAT(response, StatusIs(absl::StatusCode::kPermissionDenied,
                                 ::testing::AnyOf(absl::StrCat("destination address 127.0.0.1 "
                                                               "is loopback",
                                                               kRefusedSuffix),
                                                  absl::StrCat("destination address ::1 is "
                                                               "loopback",
                                                               kRefusedSuffix))));
  // Numeric forms that are not dotted quads are caught too: 2130706433 is 127.0.0.1.
  EXPECT_THAT(
      SendAndWait(*transport, Post(absl::StrCat("http://2130706433:", receiver.port(), "/hook"))),
      StatusIs(absl::StatusCode::kPermissionDenied,
               absl::StrCat("destination address 127.0.0.1 is loopback", kRefusedSuffix)));
  EXPECT_EQ(receiver.connection_count(), 0);
}

TEST(CurlTransportTest, PortsOutsideTheAllowListAreRefused) {
  HttpReceiver receiver;
  const int other_port = receiver.port() == 443 ? 8443 : 443;
  CurlTransportOptions options;
  options.allow_private_endpoints = true;
  options.allowed_ports = {other_port};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<CurlTransport> transport, CurlTransport::Create(options));

  EXPECT_THAT(
      SendAndWait(*transport, Post(receiver.url("/hook"), "{}")),
      StatusIs(absl::StatusCode::kPermissionDenied,
               absl::StrCat("destination port ", receiver.port(),
                            " is not an allowed delivery port (", other_port, "); refused")));
  EXPECT_EQ(receiver.connection_count(), 0);
  // The address policy still comes first.
  options.allow_private_endpoints = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<CurlTransport> strict, CurlTransport::Create(options));
  EXPECT_THAT(SendAndWait(*strict, Post(receiver.url("/hook"), "{}")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("destination address 127.0.0.1 is loopback", kRefusedSuffix)));
  EXPECT_EQ(receiver.connection_count(), 0);

  // Operator endpoints are exempt.
  HttpRequest storage = Post(receiver.url("/bucket/key"), "object");
  storage.operator_endpoint = true;
  ASSERT_OK_AND_ASSIGN(HttpResponse stored, SendAndWait(*transport, storage));
  EXPECT_EQ(stored.status, 200);

  options.allow_private_endpoints = true;
  options.allowed_ports = {other_port, receiver.port()};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<CurlTransport> listed, CurlTransport::Create(options));
  ASSERT_OK_AND_ASSIGN(HttpResponse delivered,
                       SendAndWait(*listed, Post(receiver.url("/hook"), "{}")));
  EXPECT_EQ(delivered.status, 200);
  ASSERT_EQ(receiver.requests().size(), 2u);
  EXPECT_EQ(receiver.requests()[1].target, "/hook");
}

TEST(CurlTransportTest, CreateRefusesPortsOutOfRange) {
  for (const int port : {0, -1, 65536}) {
    CurlTransportOptions options;
    options.allowed_ports = {443, port};
    EXPECT_THAT(CurlTransport::Create(options),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("allowed_ports: ", port, " is not a TCP port (1-65535)")));
  }
}

// Operator requests and the others never share a connection, in either direction, and each
// kind still reuses its own.
TEST(CurlTransportTest, OperatorRequestsKeepConnectionsOfTheirOwn) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport(/*allow_private=*/true);
  ASSERT_NE(transport, nullptr);
  HttpRequest storage = Post(receiver.url("/bucket/key"), "object");
  storage.operator_endpoint = true;

  ASSERT_OK(SendAndWait(*transport, Post(receiver.url("/hook1"), "one")).status());
  ASSERT_OK(SendAndWait(*transport, storage).status());
  ASSERT_OK(SendAndWait(*transport, Post(receiver.url("/hook2"), "two")).status());
  ASSERT_OK(SendAndWait(*transport, storage).status());

  const std::vector<testing::ReceivedRequest> received = receiver.requests();
  ASSERT_EQ(received.size(), 4u);
  EXPECT_EQ(received[0].connection, 1);  // Webhook.
  EXPECT_EQ(received[1].connection, 2);  // Operator: not the webhook's connection.
  EXPECT_EQ(received[2].connection, 1);  // Webhook: not the operator's.
  EXPECT_EQ(received[3].connection, 2);  // Operator: its own, kept alive.
  EXPECT_EQ(receiver.connection_count(), 2);
}

TEST(CurlTransportTest, WebhooksCannotRideAnOperatorConnectionPastThePolicy) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport(/*allow_private=*/false);
  ASSERT_NE(transport, nullptr);
  HttpRequest storage = Post(receiver.url("/bucket/key"), "object");
  storage.operator_endpoint = true;

  ASSERT_OK(SendAndWait(*transport, storage).status());
  // The operator's connection to 127.0.0.1 is idle and alive; a webhook naming the same host
  // and port must still go through the policy.
  EXPECT_THAT(SendAndWait(*transport, Post(receiver.url("/bucket/key"), "{}")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       absl::StrCat("destination address 127.0.0.1 is loopback", kRefusedSuffix)));
  ASSERT_OK(SendAndWait(*transport, storage).status());
  const std::vector<testing::ReceivedRequest> received = receiver.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].connection, 1);
  EXPECT_EQ(received[1].connection, 1);
  EXPECT_EQ(receiver.connection_count(), 1);
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailable) {
  // A bound socket that does not listen: connecting to its port is refused.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  struct sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length), 0);
  const std::string url =
      absl::StrCat("http://127.0.0.1:", ntohs(address.sin_port), "/hook?token=s3cret");

  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);
  const absl::StatusOr<HttpResponse> response = SendAndWait(*transport, Post(url));
  close(fd);
  EXPECT_THAT(response,
              StatusIs(absl::StatusCode::kUnavailable,
                       StartsWith(absl::StrCat("POST http://127.0.0.1:", ntohs(address.sin_port),
                                               "/hook failed: "))));
  EXPECT_THAT(std::string(response.status().message()), Not(HasSubstr("s3cret")));
}

TEST(CurlTransportTest, UnresolvableHostIsUnavailable) {
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);
  // .invalid never resolves (RFC 2606). The generous timeout keeps a slow resolver from
  // turning this into a timeout.
  HttpRequest request = Post("http://webhook.invalid/hook");
  request.timeout = absl::Seconds(60);
  EXPECT_THAT(SendAndWait(*transport, request),
              StatusIs(absl::StatusCode::kUnavailable,
                       StartsWith("POST http://webhook.invalid/hook failed: ")));
}

TEST(CurlTransportTest, ResponseBodyIsCapped) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(200, "0123456789ABCDEF"));
  receiver.Enqueue(Reply(200, "short"));
  std::unique_ptr<CurlTransport> transport =
      MakeTransport(/*allow_private=*/true, /*max_response_body=*/10);
  ASSERT_NE(transport, nullptr);

  ASSERT_OK_AND_ASSIGN(HttpResponse capped, SendAndWait(*transport, Post(receiver.url("/a"))));
  EXPECT_EQ(capped.status, 200);
  EXPECT_EQ(capped.body, "0123456789");
  ASSERT_OK_AND_ASSIGN(HttpResponse small, SendAndWait(*transport, Post(receiver.url("/b"))));
  EXPECT_EQ(small.body, "short");
  // The small overflow was drained: the connection was reused.
  EXPECT_EQ(receiver.connection_count(), 1);
}

TEST(CurlTransportTest, HugeResponseBodyIsCutAndTheConnectionDropped) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(200, std::string(3 << 20, 'x')));
  std::unique_ptr<CurlTransport> transport =
      MakeTransport(/*allow_private=*/true, /*max_response_body=*/10);
  ASSERT_NE(transport, nullptr);

  ASSERT_OK_AND_ASSIGN(HttpResponse response, SendAndWait(*transport, Post(receiver.url("/big"))));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "xxxxxxxxxx");
  ASSERT_OK_AND_ASSIGN(HttpResponse next, SendAndWait(*transport, Post(receiver.url("/next"))));
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(receiver.connection_count(), 2);
}

TEST(CurlTransportTest, KeepAliveReusesTheConnection) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  ASSERT_OK(SendAndWait(*transport, Post(receiver.url("/1"), "one")).status());
  ASSERT_OK(SendAndWait(*transport, Post(receiver.url("/2"), "two")).status());
  const std::vector<testing::ReceivedRequest> received = receiver.requests();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].body, "one");
  EXPECT_EQ(received[1].body, "two");
  EXPECT_EQ(received[0].connection, 1);
  EXPECT_EQ(received[1].connection, 1);
  EXPECT_EQ(receiver.connection_count(), 1);
}

TEST(CurlTransportTest, ConcurrentSendsFromSeveralThreads) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 5;
  absl::Mutex mu;
  std::vector<std::string> failures;
  int ok_responses = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const absl::StatusOr<HttpResponse> response = SendAndWait(
            *transport, Post(receiver.url(absl::StrCat("/t", t)), absl::StrCat(t, "-", i)));
        absl::MutexLock lock(&mu);
        if (response.ok() && response->status == 200) {
          ++ok_responses;
        } else {
          failures.push_back(response.status().ToString());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::IsEmpty());
  EXPECT_EQ(ok_responses, kThreads * kPerThread);

  std::set<std::string> bodies;
  for (const testing::ReceivedRequest& request : receiver.requests()) bodies.insert(request.body);
  std::set<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) expected.insert(absl::StrCat(t, "-", i));
  }
  EXPECT_EQ(bodies, expected);
  EXPECT_LE(receiver.connection_count(), kThreads);
}

TEST(CurlTransportTest, InvalidRequestsAreInvalidArgument) {
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  HttpRequest injected = Post("http://127.0.0.1:1/hook");
  injected.headers = {{"X-Token", "a\r\nX-Evil: 1"}};
  EXPECT_THAT(SendAndWait(*transport, injected),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "value of request header X-Token contains CR, LF or NUL"));

  HttpRequest bad_name = Post("http://127.0.0.1:1/hook");
  bad_name.headers = {{"X Token", "a"}};
  EXPECT_THAT(SendAndWait(*transport, bad_name),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "request header name \"X Token\" is not a valid HTTP token"));

  EXPECT_THAT(SendAndWait(*transport, Post("ftp://example.com/file?user=me")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("POST ftp://example.com/file: not a usable http or https "
                                  "URL: ")));
}

TEST(CurlTransportTest, DestructorCancelsRequestsInFlight) {
  HttpReceiver receiver;
  receiver.SetDefaultResponse(ScriptedResponse::Hang());
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  std::promise<absl::StatusOr<HttpResponse>> promise;
  HttpRequest request = Post(receiver.url("/hang?k=v"));
  request.timeout = absl::Seconds(60);
  transport->Send(request, [&promise](absl::StatusOr<HttpResponse> response) {
    promise.set_value(std::move(response));
  });
  ASSERT_TRUE(receiver.WaitForRequests(1));
  transport.reset();
  EXPECT_THAT(promise.get_future().get(),
              StatusIs(absl::StatusCode::kCancelled,
                       absl::StrCat("POST ", receiver.url("/hang"),
                                    " cancelled: the transport is shutting down")));
}

TEST(CurlTransportTest, CallbacksMaySendAgain) {
  HttpReceiver receiver;
  std::unique_ptr<CurlTransport> transport = MakeTransport();
  ASSERT_NE(transport, nullptr);

  std::promise<absl::StatusOr<HttpResponse>> second;
  transport->Send(Post(receiver.url("/first")), [&](absl::StatusOr<HttpResponse> first) {
    ASSERT_OK(first.status());
    transport->Send(Post(receiver.url("/second")), [&](absl::StatusOr<HttpResponse> response) {
      second.set_value(std::move(response));
    });
  });
  ASSERT_OK_AND_ASSIGN(HttpResponse response, second.get_future().get());
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(receiver.requests().size(), 2u);
  EXPECT_EQ(receiver.requests()[1].target, "/second");
}

}  // namespace
}  // namespace webhooks
