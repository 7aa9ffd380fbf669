#include "testing/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

// A client socket that writes raw bytes, to send what an HTTP client library would not.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = fd_ >= 0 &&
                 connect(fd_, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(absl::string_view data) {
    while (!data.empty()) {
      const ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      data.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // Reads one response (head and Content-Length body); "" if none arrives within `timeout`.
  std::string ReadResponse(absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      const size_t head_end = pending_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::string head = absl::AsciiStrToLower(pending_.substr(0, head_end + 2));
        size_t length = 0;
        const size_t at = head.find("\r\ncontent-length: ");
        if (at != std::string::npos) {
          const size_t start = at + 18;
          absl::SimpleAtoi(head.substr(start, head.find("\r\n", start) - start), &length);
        }
        if (pending_.size() >= head_end + 4 + length) {
          std::string response = pending_.substr(0, head_end + 4 + length);
          pending_.erase(0, response.size());
          return response;
        }
      }
      if (!ReadSome(deadline)) return "";
    }
  }

  // Whether the server closed the connection (and sent nothing more) within `timeout`.
  bool ClosedByPeer(absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (ReadSome(deadline)) {
    }
    return eof_ && pending_.empty();
  }

 private:
  // Appends what arrives before `deadline` to `pending_`; false on timeout or end of stream.
  bool ReadSome(absl::Time deadline) {
    if (eof_) return false;
    struct pollfd pfd = {fd_, POLLIN, 0};
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0 || poll(&pfd, 1, static_cast<int>(ms)) <= 0) return false;
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pending_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string pending_;
};

ScriptedResponse Reply(int status, std::string body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  ScriptedResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

TEST(HttpReceiverTest, RecordsPipelinedRequestsAndAnswersInOrder) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(201, "ok", {{"X-Reply", "1"}}));
  RawClient client(receiver.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(
      "POST /hook?a=b HTTP/1.1\r\nHost: x\r\nX-Mixed-Case:  v1 \r\nContent-Length: 5\r\n\r\nhello"
      "GET /second HTTP/1.1\r\nHost: x\r\n\r\n"));

  EXPECT_EQ(client.ReadResponse(),
            "HTTP/1.1 201 Created\r\nX-Reply: 1\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(client.ReadResponse(), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(receiver.WaitForRequests(2));
  const std::vector<ReceivedRequest> requests = receiver.requests();
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook?a=b");
  EXPECT_EQ(requests[0].version, "HTTP/1.1");
  EXPECT_THAT(requests[0].headers, ElementsAre(Pair("host", "x"), Pair("x-mixed-case", "v1"),
                                               Pair("content-length", "5")));
  EXPECT_EQ(requests[0].Header("x-mixed-case"), "v1");
  EXPECT_EQ(requests[0].Header("absent"), "");
  EXPECT_EQ(requests[0].body, "hello");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].body, "");
  EXPECT_EQ(requests[0].connection, 1);
  EXPECT_EQ(requests[1].connection, 1);
  EXPECT_EQ(receiver.connection_count(), 1);
}

TEST(HttpReceiverTest, ScriptedContentLengthIsNotRepeated) {
  HttpReceiver receiver;
  receiver.Enqueue(Reply(200, "abc", {{"content-length", "3"}}));
  RawClient client(receiver.port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse(), "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc");
}

TEST(HttpReceiverTest, ChunkedBodyGets411AndTheConnectionCloses) {
  HttpReceiver receiver;
  RawClient client(receiver.port());
  ASSERT_TRUE(client.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  const std::string response = client.ReadResponse();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 411 "));
  EXPECT_THAT(response, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(client.ClosedByPeer());
  EXPECT_EQ(receiver.requests().size(), 0u);
}

TEST(HttpReceiverTest, TransferEncodingWithContentLengthGets411) {
  HttpReceiver receiver;
  RawClient client(receiver.port());
  ASSERT_TRUE(
      client.Send("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 411 "));
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST(HttpReceiverTest, MalformedRequestsGet400AndTheConnectionCloses) {
  for (const char* bad : {"NONSENSE\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    SCOPED_TRACE(bad);
    HttpReceiver receiver;
    RawClient client(receiver.port());
    ASSERT_TRUE(client.Send(bad));
    const std::string response = client.ReadResponse();
    EXPECT_THAT(response, StartsWith("HTTP/1.1 400 "));
    EXPECT_THAT(response, HasSubstr("Connection: close\r\n"));
    EXPECT_TRUE(client.ClosedByPeer());
    EXPECT_EQ(receiver.requests().size(), 0u);
  }
}

TEST(HttpReceiverTest, ConnectionCloseFromEitherSideClosesAfterTheAnswer) {
  HttpReceiver receiver;
  {
    RawClient client(receiver.port());
    ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(client.ReadResponse(),
              "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(client.ClosedByPeer());
  }
  ScriptedResponse closing = Reply(503, "busy");
  closing.close = true;
  receiver.Enqueue(closing);
  RawClient client(receiver.port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse(),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\n"
            "busy");
  EXPECT_TRUE(client.ClosedByPeer());
  EXPECT_EQ(receiver.connection_count(), 2);
}

TEST(HttpReceiverTest, HangRecordsButNeverAnswersAndTheDestructorCloses) {
  std::unique_ptr<RawClient> client;
  {
    HttpReceiver receiver;
    receiver.Enqueue(ScriptedResponse::Hang());
    client = std::make_unique<RawClient>(receiver.port());
    ASSERT_TRUE(
        client->Send("POST /slow HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"
                     "GET /after HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(receiver.WaitForRequests(1));
    ASSERT_TRUE(client->Send("GET /ignored HTTP/1.1\r\n\r\n"));
    // Within a while, nothing is answered and nothing after the hanging request is read.
    EXPECT_EQ(client->ReadResponse(absl::Milliseconds(300)), "");
    EXPECT_FALSE(client->ClosedByPeer(absl::Milliseconds(100)));  // Still open.
    EXPECT_EQ(receiver.requests().size(), 1u);
  }
  EXPECT_TRUE(client->ClosedByPeer());
}

TEST(HttpReceiverTest, DefaultResponseAndHandler) {
  HttpReceiver receiver;
  receiver.SetDefaultResponse(Reply(204, ""));
  receiver.Enqueue(Reply(202, "scripted"));
  RawClient client(receiver.port());
  ASSERT_TRUE(client.Send("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 202 Accepted\r\n"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 204 No Content\r\n"));

  // The handler may call the receiver; its request is recorded once it has returned.
  receiver.SetHandler([&receiver](const ReceivedRequest& request) {
    return Reply(200, absl::StrCat(request.target, " after ", receiver.requests().size()));
  });
  ASSERT_TRUE(client.Send("GET /3 HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), HasSubstr("\r\n\r\n/3 after 2"));
  receiver.Enqueue(Reply(200, "scripted first"));
  ASSERT_TRUE(client.Send("GET /4 HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), HasSubstr("\r\n\r\nscripted first"));
  receiver.SetHandler(nullptr);
  ASSERT_TRUE(client.Send("GET /5 HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 204 "));
  EXPECT_EQ(receiver.requests().size(), 5u);
  EXPECT_THAT(client.ReadResponse(absl::Milliseconds(50)), Not(HasSubstr("HTTP")));
}

TEST(HttpReceiverTest, ListensOnTheGivenPort) {
  int port = 0;
  {
    HttpReceiver first;
    port = first.port();
  }
  HttpReceiver receiver(port);
  EXPECT_EQ(receiver.port(), port);
  EXPECT_EQ(receiver.url("/x"), absl::StrCat("http://127.0.0.1:", port, "/x"));
  RawClient client(port);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_THAT(client.ReadResponse(), StartsWith("HTTP/1.1 200 OK\r\n"));
}

}  // namespace
}  // namespace testing
}  // namespace webhooks
