// ReceiverServer over Boost.Asio and Boost.Beast: one io_context run by `threads` threads, one
// Connection per accepted socket, each on a strand of its own so its handlers never overlap.
#include "examples/receiver/receiver_server.h"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "engine/delivery/signing.h"
#include "examples/receiver/multipart.h"

namespace webhooks {
namespace receiver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One line to stdout or stderr at a time: connections are served on several threads.
void Log(std::ostream& out, absl::string_view line) {
  static absl::Mutex mu(absl::kConstInit);
  absl::MutexLock lock(&mu);
  out << line << std::endl;
}

// A path component made of the name's safe characters only.
std::string SafeName(absl::string_view name) {
  std::string safe;
  for (const char c : name) {
    const bool keep =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    safe.push_back(keep ? c : '_');
  }
  return safe.empty() || safe == "." || safe == ".." ? "unnamed" : safe;
}

// `text` as the inside of a JSON string.
std::string JsonEscape(absl::string_view text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      escaped.push_back('\\');
      escaped.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&escaped, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

// The value of the first header named `name` (any case), or "".
std::string HeaderValue(const std::vector<std::pair<std::string, std::string>>& headers,
                        absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

http::response<http::string_body> ToResponse(const http::request<http::string_body>& request,
                                             const Answer& answer) {
  http::response<http::string_body> response(static_cast<http::status>(answer.status),
                                             request.version());
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = absl::StrCat(R"({"status":")", answer.status == 200 ? "ok" : "error",
                                 R"(","message":")", JsonEscape(answer.message), R"("})");
  response.prepare_payload();
  return response;
}

// One accepted connection: reads requests one after another and answers each, until the client
// closes, a read or write fails or takes longer than the read timeout, or the server stops.
// Its handlers run on its strand, one at a time; shared ownership keeps it alive while an
// operation is pending.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const ReceiverOptions& options)
      : stream_(std::move(socket)), options_(options) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  std::chrono::milliseconds Timeout() const {
    return std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.read_timeout));
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body);
    // Covers waiting for the request and reading all of it: idle and slow clients alike.
    stream_.expires_after(Timeout());
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    if (error == http::error::end_of_stream) return Shutdown();
    if (error == beast::error::timeout) {
      Log(std::cerr, "closed a connection: no complete request within the read timeout");
      return;  // The stream has closed the socket.
    }
    if (error) return;  // Closed by the client, unreadable, or too large: drop the connection.
    const http::request<http::string_body>& request = parser_->get();
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& field : request) {
      headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response_ = ToResponse(request, HandleDelivery(options_, headers, request.body()));
    stream_.expires_after(Timeout());
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnWrite(error); });
  }

  void OnWrite(beast::error_code error) {
    if (error) return;
    if (!response_.keep_alive()) return Shutdown();
    Read();
  }

  void Shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  const ReceiverOptions& options_;  // The server's; outlives every connection.
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

absl::Status StoreParts(const std::filesystem::path& folder, const std::vector<FormPart>& parts) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create folder ", folder.string(), ": ", error.message()));
  }
  for (const FormPart& part : parts) {
    const std::filesystem::path file =
        folder / (part.name == "payload" ? "payload.json" : SafeName(part.filename));
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(part.content.data(), static_cast<std::streamsize>(part.content.size()));
    out.close();
    if (out.fail()) return absl::InternalError(absl::StrCat("cannot write ", file.string()));
    Log(std::cout, absl::StrCat("stored ", file.string(), " (", part.content.size(), " bytes)"));
  }
  return absl::OkStatus();
}

Answer HandleDelivery(const ReceiverOptions& options,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      absl::string_view body) {
  const absl::Status verified =
      VerifySignature(options.verify, headers, body, options.clock->Now());
  if (!verified.ok()) {
    Log(std::cerr, absl::StrCat("refused: ", verified.message()));
    return {401, std::string(verified.message())};
  }
  const absl::StatusOr<std::string> boundary = BoundaryOf(HeaderValue(headers, "content-type"));
  if (!boundary.ok()) return {400, "not multipart"};
  const absl::StatusOr<std::vector<FormPart>> parts = ParseMultipart(body, *boundary);
  if (!parts.ok()) return {400, "unreadable body"};

  std::string event_id = HeaderValue(headers, kWebhookIdHeader);
  if (event_id.empty()) event_id = "unknown-event";
  const absl::Status stored = StoreParts(options.out_dir / SafeName(event_id), *parts);
  if (!stored.ok()) {
    // The details (paths) go to the log only.
    Log(std::cerr, absl::StrCat("could not store event ", event_id, ": ", stored.message()));
    return {500, "could not store the delivery"};
  }
  return {200, "stored"};
}

struct ReceiverServer::Io {
  asio::io_context context;
  tcp::acceptor acceptor{context};
};

ReceiverServer::ReceiverServer(ReceiverOptions options)
    : options_(std::move(options)), io_(std::make_unique<Io>()) {}

absl::StatusOr<std::unique_ptr<ReceiverServer>> ReceiverServer::Start(absl::string_view host,
                                                                      int port,
                                                                      ReceiverOptions options) {
  if (options.verify.secrets.empty() ||
      absl::c_any_of(options.verify.secrets, [](const std::string& s) { return s.empty(); })) {
    return absl::InvalidArgumentError("verify.secrets must hold a secret, and no empty one");
  }
  if (options.read_timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat("read_timeout must be at least 1ms, not ",
                                                   absl::FormatDuration(options.read_timeout)));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads must be at least 1, not ", options.threads));
  }
  if (options.clock == nullptr) return absl::InvalidArgumentError("clock must not be null");
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", port, " is not 0-65535"));
  }
  boost::system::error_code error;
  const asio::ip::address address = asio::ip::make_address(std::string(host), error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("host \"", host, "\" is not an IP address"));
  }

  std::unique_ptr<ReceiverServer> server(new ReceiverServer(std::move(options)));
  tcp::acceptor& acceptor = server->io_->acceptor;
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", error.message()));
  }
  server->port_ = acceptor.local_endpoint().port();
  server->Accept();
  for (int i = 0; i < server->options_.threads; ++i) {
    server->threads_.emplace_back([io = server->io_.get()] { io->context.run(); });
  }
  return server;
}

ReceiverServer::~ReceiverServer() {
  io_->context.stop();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  // Destroying io_ destroys the pending handlers, and with them every Connection.
}

void ReceiverServer::Wait() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void ReceiverServer::Accept() {
  io_->acceptor.async_accept(asio::make_strand(io_->context),
                             [this](beast::error_code error, tcp::socket socket) {
                               if (error == asio::error::operation_aborted) return;
                               if (!error) {
                                 std::make_shared<Connection>(std::move(socket), options_)->Start();
                               }
                               Accept();
                             });
}

}  // namespace receiver
}  // namespace webhooks
