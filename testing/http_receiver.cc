// HttpReceiver over Boost.Asio: one io_context run by the receiver's thread, one Connection
// object per accepted socket; Boost.Beast parses the requests and writes the responses.
#include "testing/http_receiver.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace webhooks {
namespace testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The longest request head (request line and header fields) read; a connection that sends a
// longer one is closed without an answer.
constexpr uint32_t kMaxHeadBytes = 64 * 1024;

ScriptedResponse StatusOnly(int status) {
  ScriptedResponse response;
  response.status = status;
  return response;
}

// The request as the receiver records it: names lower-cased, fields in arrival order.
ReceivedRequest ToReceivedRequest(const http::request<http::string_body>& message, int connection) {
  ReceivedRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.version = absl::StrCat("HTTP/", message.version() / 10, ".", message.version() % 10);
  for (const auto& field : message) {
    request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                 std::string(field.value()));
  }
  request.body = message.body();
  request.connection = connection;
  return request;
}

// `response` as an HTTP/1.1 message: its headers in order, then Content-Length unless it has
// one, then "Connection: close" if `close`.
http::response<http::string_body> ToMessage(const ScriptedResponse& response, bool close) {
  http::response<http::string_body> message;
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    has_length |= absl::EqualsIgnoreCase(name, "content-length");
    message.insert(name, value);
  }
  if (!has_length) {
    message.insert(http::field::content_length, std::to_string(response.body.size()));
  }
  if (close) message.keep_alive(false);
  message.body() = response.body;
  return message;
}

}  // namespace

std::string ReceivedRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

struct HttpReceiver::Io {
  asio::io_context context{1};
  tcp::acceptor acceptor{context};
  // Set once the destructor has asked the serving thread to stop; no connection starts
  // another read after that.
  bool stopping = false;
  // Every connection accepted so far that may still be open, for the destructor to close.
  std::vector<std::weak_ptr<Connection>> connections;

  // Closes the listening socket and every connection, so that the serving thread runs out of
  // work and returns.
  void Stop();
};

// One accepted connection. It reads requests one after another and answers each with the
// receiver's NextResponse() until the peer closes, a response closes it, a request hangs it
// or the receiver stops. Lives as long as an operation on its socket is outstanding (each
// completion handler holds a reference). Serving thread only.
class HttpReceiver::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpReceiver* receiver, tcp::socket socket, int id)
      : receiver_(receiver), socket_(std::move(socket)), id_(id) {}

  // Reads the next request.
  void ReadRequest();
  // Closes the socket; outstanding operations complete with an error. Idempotent.
  void Close() {
    beast::error_code ignored;
    socket_.close(ignored);
  }

 private:
  // Header read: refuses transfer codings (411), else reads the body.
  void OnHeader(beast::error_code ec);
  // Whole request read: records and answers it.
  void OnRequest(beast::error_code ec);
  // Answers a request the parser refused, if it deserves an answer, and closes.
  void OnParseError(beast::error_code ec);
  void Answer(const ScriptedResponse& response, bool close);
  // After a hanging request: reads and discards until the peer closes.
  void Discard();

  HttpReceiver* const receiver_;
  tcp::socket socket_;
  const int id_;
  beast::flat_buffer buffer_;  // Bytes read past the current request stay here for the next.
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;  // The one being written.
  char discarded_[4096];
};

void HttpReceiver::Connection::ReadRequest() {
  if (receiver_->io_->stopping) return Close();
  parser_.emplace();
  parser_->header_limit(kMaxHeadBytes);
  parser_->body_limit(boost::none);  // Content-Length is the only limit.
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpReceiver::Connection::OnHeader(beast::error_code ec) {
  if (ec) return OnParseError(ec);
  // Any transfer coding, chunked or not: only Content-Length delimits a body here.
  if (parser_->get().count(http::field::transfer_encoding) > 0) {
    return Answer(StatusOnly(411), /*close=*/true);
  }
  http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRequest(ec); });
}

void HttpReceiver::Connection::OnRequest(beast::error_code ec) {
  if (ec) return OnParseError(ec);
  http::request<http::string_body> message = parser_->release();
  // Closes after answering only when asked to, whatever the HTTP version.
  const bool close = http::token_list(message[http::field::connection]).exists("close");
  const ScriptedResponse response = receiver_->NextResponse(ToReceivedRequest(message, id_));
  if (response.hang) return Discard();
  Answer(response, close || response.close);
}

void HttpReceiver::Connection::OnParseError(beast::error_code ec) {
  // The peer closing (between or inside requests), an I/O error, the receiver stopping or an
  // over-long head end the connection without an answer.
  if (ec.category() != http::make_error_code(http::error::bad_method).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == http::error::header_limit) {
    return Close();
  }
  // A transfer coding the parser refused (with Content-Length, say) gets 411 like any other;
  // the fields before the bad one are in the message already.
  const bool transfer_coding = ec == http::error::bad_transfer_encoding ||
                               parser_->get().count(http::field::transfer_encoding) > 0;
  Answer(StatusOnly(transfer_coding ? 411 : 400), /*close=*/true);
}

void HttpReceiver::Connection::Answer(const ScriptedResponse& response, bool close) {
  response_ = ToMessage(response, close);
  http::async_write(socket_, response_,
                    [self = shared_from_this(), close](beast::error_code ec, size_t) {
                      if (ec || close) return self->Close();
                      self->ReadRequest();
                    });
}

void HttpReceiver::Connection::Discard() {
  socket_.async_read_some(asio::buffer(discarded_),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec || self->receiver_->io_->stopping) return self->Close();
                            self->Discard();
                          });
}

void HttpReceiver::Io::Stop() {
  stopping = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  for (const std::weak_ptr<Connection>& weak : connections) {
    if (std::shared_ptr<Connection> connection = weak.lock()) connection->Close();
  }
  connections.clear();
}

HttpReceiver::HttpReceiver(int port) : io_(std::make_unique<Io>()) {
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), static_cast<uint16_t>(port));
  beast::error_code ec;
  io_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) io_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) io_->acceptor.bind(endpoint, ec);
  if (!ec) io_->acceptor.listen(128, ec);
  if (ec) {
    ABSL_RAW_LOG(FATAL, "HttpReceiver: cannot listen on 127.0.0.1:%d (%s)", port,
                 ec.message().c_str());
  }
  port_ = io_->acceptor.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { io_->context.run(); });
}

HttpReceiver::~HttpReceiver() {
  // Once everything is closed, the outstanding operations complete with errors, start no
  // others, and run() returns.
  asio::post(io_->context, [this] { io_->Stop(); });
  thread_.join();
}

void HttpReceiver::Accept() {
  io_->acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (io_->stopping) return;  // The socket, if any, closes as it goes.
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      int id;
      {
        absl::MutexLock lock(&mu_);
        id = ++connection_count_;
      }
      auto connection = std::make_shared<Connection>(this, std::move(socket), id);
      // Forget the connections that have ended, so that the list stays short.
      std::vector<std::weak_ptr<Connection>>& connections = io_->connections;
      connections.erase(
          std::remove_if(connections.begin(), connections.end(),
                         [](const std::weak_ptr<Connection>& weak) { return weak.expired(); }),
          connections.end());
      connections.push_back(connection);
      connection->ReadRequest();
    }
    Accept();
  });
}

std::string HttpReceiver::url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

void HttpReceiver::Enqueue(ScriptedResponse response) {
  absl::MutexLock lock(&mu_);
  script_.push_back(std::move(response));
}

void HttpReceiver::SetDefaultResponse(ScriptedResponse response) {
  absl::MutexLock lock(&mu_);
  default_response_ = std::move(response);
}

void HttpReceiver::SetHandler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

int HttpReceiver::connection_count() const {
  absl::MutexLock lock(&mu_);
  return connection_count_;
}

bool HttpReceiver::WaitForRequests(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

ScriptedResponse HttpReceiver::NextResponse(ReceivedRequest request) {
  Handler handler;
  {
    absl::MutexLock lock(&mu_);
    if (!script_.empty() || !handler_) {
      requests_.push_back(std::move(request));
      if (script_.empty()) return default_response_;
      ScriptedResponse response = std::move(script_.front());
      script_.pop_front();
      return response;
    }
    handler = handler_;  // A copy: SetHandler() may replace it while this one runs.
  }
  ScriptedResponse response = handler(request);
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(request));
  return response;
}

}  // namespace testing
}  // namespace webhooks
