#include "examples/receiver/receiver_server.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "engine/delivery/signing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace receiver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Headers = std::vector<std::pair<std::string, std::string>>;
using ::webhooks::testing::FakeClock;
using ::webhooks::testing::StatusIs;

constexpr char kSecret[] = "receiver-test-secret";
constexpr char kSignatureHeader[] = "X-Webhook-Signature";
constexpr char kBody[] =
    "--B\r\nContent-Disposition: form-data; name=\"payload\"\r\n"
    "Content-Type: application/json\r\n\r\n{\"a\":1}\r\n"
    "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n"
    "Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n"
    "--B--\r\n";
// How long a test client waits for an answer before it gives up: far longer than any server
// timeout the tests set, so reaching it means the server did not answer or close.
constexpr auto kClientPatience = std::chrono::seconds(10);

// A fresh, empty folder for one test.
std::filesystem::path TestFolder() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path folder =
      std::filesystem::path(::testing::TempDir()) / absl::StrCat(test->name(), "_out");
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The headers webhookd sends with `body` for event `id` at `now`.
Headers SignedHeaders(const std::string& id, absl::Time now, const std::string& body) {
  const int64_t timestamp = absl::ToUnixSeconds(now);
  return {{"Content-Type", "multipart/form-data; boundary=B"},
          {kSignatureHeader, HmacSha256Hex(kSecret, body)},
          {kWebhookIdHeader, id},
          {kWebhookTimestampHeader, absl::StrCat(timestamp)},
          {kWebhookSignatureHeader, StandardWebhooksSignature(kSecret, id, timestamp, body)}};
}

class ReceiverTest : public ::testing::Test {
 protected:
  ReceiverOptions Options() const {
    ReceiverOptions options;
    options.verify.secrets = {kSecret};
    options.verify.signature_header = kSignatureHeader;
    options.out_dir = out_dir_;
    options.clock = &clock_;
    return options;
  }

  FakeClock clock_;
  const std::filesystem::path out_dir_ = TestFolder();
};

TEST_F(ReceiverTest, StoresThePayloadAndEveryFile) {
  const Answer answer =
      HandleDelivery(Options(), SignedHeaders("evt-1", clock_.Now(), kBody), kBody);
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.message, "stored");
  EXPECT_EQ(ReadFile(out_dir_ / "evt-1" / "payload.json"), "{\"a\":1}");
  EXPECT_EQ(ReadFile(out_dir_ / "evt-1" / "report.pdf"), "%PDF-1.7");
}

TEST_F(ReceiverTest, RefusesBadSignaturesAndUnreadableBodies) {
  Headers headers = SignedHeaders("evt-1", clock_.Now(), kBody);
  headers[1].second = HmacSha256Hex("another-secret", kBody);
  Answer answer = HandleDelivery(Options(), headers, kBody);
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.message, "X-Webhook-Signature does not match the body");

  const std::string not_multipart = "{}";
  headers = SignedHeaders("evt-1", clock_.Now(), not_multipart);
  headers[0].second = "application/json";
  answer = HandleDelivery(Options(), headers, not_multipart);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.message, "not multipart");
  EXPECT_FALSE(std::filesystem::exists(out_dir_ / "evt-1"));
}

TEST_F(ReceiverTest, AnswersServerErrorWhenTheFolderCannotBeCreated) {
  // A regular file where the output folder should be: not writable for root either.
  std::ofstream(out_dir_ / "not-a-folder") << "x";
  ReceiverOptions options = Options();
  options.out_dir = out_dir_ / "not-a-folder" / "received";
  const Answer answer = HandleDelivery(options, SignedHeaders("evt-1", clock_.Now(), kBody), kBody);
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.message, "could not store the delivery");
}

TEST_F(ReceiverTest, AnswersServerErrorWhenAFileCannotBeWritten) {
  // A folder where payload.json should be written.
  std::filesystem::create_directories(out_dir_ / "evt-1" / "payload.json");
  const Answer answer =
      HandleDelivery(Options(), SignedHeaders("evt-1", clock_.Now(), kBody), kBody);
  EXPECT_EQ(answer.status, 500);
  EXPECT_EQ(answer.message, "could not store the delivery");
}

TEST_F(ReceiverTest, StorePartsNamesWhatFailed) {
  std::filesystem::create_directories(out_dir_ / "payload.json");
  EXPECT_THAT(StoreParts(out_dir_, {FormPart{"payload", "", "application/json", "{}"}}),
              StatusIs(absl::StatusCode::kInternal,
                       absl::StrCat("cannot write ", (out_dir_ / "payload.json").string())));
  std::ofstream(out_dir_ / "file") << "x";
  EXPECT_THAT(StoreParts(out_dir_ / "file" / "sub", {}),
              StatusIs(absl::StatusCode::kInternal,
                       ::testing::StartsWith(absl::StrCat(
                           "cannot create folder ", (out_dir_ / "file" / "sub").string(), ": "))));
}

TEST_F(ReceiverTest, StartRefusesInvalidOptions) {
  ReceiverOptions options = Options();
  options.verify.secrets.clear();
  EXPECT_THAT(ReceiverServer::Start("127.0.0.1", 0, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verify.secrets must hold a secret, and no empty one"));
  options.verify.secrets = {kSecret, ""};
  EXPECT_THAT(ReceiverServer::Start("127.0.0.1", 0, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "verify.secrets must hold a secret, and no empty one"));
  options = Options();
  options.read_timeout = absl::ZeroDuration();
  EXPECT_THAT(
      ReceiverServer::Start("127.0.0.1", 0, options),
      StatusIs(absl::StatusCode::kInvalidArgument, "read_timeout must be at least 1ms, not 0"));
  options = Options();
  options.threads = 0;
  EXPECT_THAT(ReceiverServer::Start("127.0.0.1", 0, options),
              StatusIs(absl::StatusCode::kInvalidArgument, "threads must be at least 1, not 0"));
  EXPECT_THAT(
      ReceiverServer::Start("localhost", 0, Options()),
      StatusIs(absl::StatusCode::kInvalidArgument, "host \"localhost\" is not an IP address"));
  EXPECT_THAT(ReceiverServer::Start("127.0.0.1", 65536, Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, "port 65536 is not 0-65535"));
}

// A test's HTTP client: one connection to the server, with a deadline on every exchange.
class Client {
 public:
  explicit Client(int port) : stream_(io_) {
    stream_.expires_after(kClientPatience);
    stream_.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  }

  // Sends raw bytes (a request or part of one).
  void SendRaw(const std::string& bytes) {
    stream_.expires_after(kClientPatience);
    asio::write(stream_, asio::buffer(bytes));
  }

  void SendDelivery(const Headers& headers, const std::string& body) {
    http::request<http::string_body> request(http::verb::post, "/hook", 11);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    stream_.expires_after(kClientPatience);
    http::write(stream_, request);
  }

  // The next response, or the error that ended the wait for it.
  beast::error_code Receive(http::response<http::string_body>& response) {
    beast::error_code error;
    stream_.expires_after(kClientPatience);
    http::read(stream_, buffer_, response, error);
    return error;
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

TEST_F(ReceiverTest, ServesOverHttpWithJsonAnswers) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReceiverServer> server,
                       ReceiverServer::Start("127.0.0.1", 0, Options()));
  Client client(server->port());
  client.SendDelivery(SignedHeaders("evt-1", clock_.Now(), kBody), kBody);
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Receive(response));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response.body(), R"({"status":"ok","message":"stored"})");
  EXPECT_EQ(ReadFile(out_dir_ / "evt-1" / "payload.json"), "{\"a\":1}");

  // The same connection, kept alive: a delivery that cannot be stored is a 500.
  std::filesystem::remove_all(out_dir_ / "evt-2");
  std::filesystem::create_directories(out_dir_ / "evt-2" / "payload.json");
  client.SendDelivery(SignedHeaders("evt-2", clock_.Now(), kBody), kBody);
  http::response<http::string_body> failed;
  ASSERT_FALSE(client.Receive(failed));
  EXPECT_EQ(failed.result_int(), 500);
  EXPECT_EQ(failed.body(), R"({"status":"error","message":"could not store the delivery"})");
}

TEST_F(ReceiverTest, ServesAnotherConnectionWhileOneIsSlow) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReceiverServer> server,
                       ReceiverServer::Start("127.0.0.1", 0, Options()));
  // The first client sends half a request and stalls.
  Client slow(server->port());
  slow.SendRaw("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  // The second is answered meanwhile.
  Client fast(server->port());
  fast.SendDelivery(SignedHeaders("evt-1", clock_.Now(), kBody), kBody);
  http::response<http::string_body> response;
  ASSERT_FALSE(fast.Receive(response));
  EXPECT_EQ(response.result_int(), 200);

  // And the slow one, once it finishes.
  std::string rest;
  for (const auto& [name, value] : SignedHeaders("evt-2", clock_.Now(), kBody)) {
    absl::StrAppend(&rest, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&rest, "Content-Length: ", std::string(kBody).size(), "\r\n\r\n", kBody);
  slow.SendRaw(rest);
  http::response<http::string_body> late;
  ASSERT_FALSE(slow.Receive(late));
  EXPECT_EQ(late.result_int(), 200);
  EXPECT_EQ(ReadFile(out_dir_ / "evt-2" / "report.pdf"), "%PDF-1.7");
}

TEST_F(ReceiverTest, ClosesIdleAndSlowConnectionsAfterTheReadTimeout) {
  ReceiverOptions options = Options();
  options.read_timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReceiverServer> server,
                       ReceiverServer::Start("127.0.0.1", 0, options));
  // Connects and sends nothing.
  Client idle(server->port());
  // Sends part of a request head and stops.
  Client slow(server->port());
  slow.SendRaw("POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n12345");
  // Is answered, then stays connected without sending another request.
  Client kept(server->port());
  kept.SendDelivery(SignedHeaders("evt-1", clock_.Now(), kBody), kBody);
  http::response<http::string_body> answered;
  ASSERT_FALSE(kept.Receive(answered));
  EXPECT_EQ(answered.result_int(), 200);

  // Each is closed by the server (end of stream or reset), long before the client gives up.
  for (Client* client : {&idle, &slow, &kept}) {
    http::response<http::string_body> response;
    const beast::error_code error = client->Receive(response);
    EXPECT_TRUE(error);
    EXPECT_NE(error, beast::error::timeout) << "the server left the connection open";
  }
}

}  // namespace
}  // namespace receiver
}  // namespace webhooks
