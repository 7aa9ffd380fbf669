#include "grpc_service/http_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "grpc_service/server_capacity.h"
#include "grpc_service/status_mapping.h"

namespace webhooks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using http_internal::ConnectionCounts;

// Splits "host:port" / "[v6]:port".
absl::StatusOr<tcp::endpoint> ParseListen(absl::string_view listen) {
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", listen, "\" must be host:port"));
  }
  absl::string_view host = listen.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", listen, "\" has no valid port"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) host = "0.0.0.0";
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", listen, "\" must name an IP address or localhost"));
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

// Configures `context` for serving TLS 1.2 or later with the given PEM pair.
absl::Status LoadTls(absl::string_view cert_chain_pem, absl::string_view private_key_pem,
                     asio::ssl::context* context) {
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain(asio::buffer(cert_chain_pem.data(), cert_chain_pem.size()), ec);
  if (ec) return absl::InvalidArgumentError("TLS certificate chain is not valid PEM");
  context->use_private_key(asio::buffer(private_key_pem.data(), private_key_pem.size()),
                           asio::ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        "TLS private key is not valid PEM or does not match the certificate");
  }
  return absl::OkStatus();
}

class ServerImpl;

// Stops a session when the server shuts down (see Session::StopIfIdle).
class Stoppable {
 public:
  virtual ~Stoppable() = default;
  virtual void StopIfIdle() = 0;
};

// One connection: reads requests one after another, answers each, until the peer closes, an
// error or a limit ends it, or the server shuts down. All of its work runs on its strand.
// `Stream` is beast::tcp_stream, or beast::ssl_stream<beast::tcp_stream> for TLS.
template <typename Stream>
class Session final : public Stoppable, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `slot` counts the connection (see ConnectionCounts) for as long as the session lives.
  Session(Stream stream, ServerImpl* server, std::string peer_address, std::shared_ptr<void> slot)
      : stream_(std::move(stream)),
        server_(server),
        peer_address_(std::move(peer_address)),
        slot_(std::move(slot)) {}

  void Start();

  // Closes the connection unless a request is being handled (that one finishes first).
  void StopIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void Read();
  void OnHeader(beast::error_code ec, size_t bytes);
  void ReadBody();
  void OnRead(beast::error_code ec, size_t bytes);
  void Write(RestResponse response, bool keep_alive);
  // True if the rate limit refuses this request (the 429 is then being written).
  bool RateLimited(bool keep_alive);
  void OnWrite(bool keep_alive, beast::error_code ec, size_t bytes);
  void Close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

  Stream stream_;
  ServerImpl* const server_;
  const std::string peer_address_;  // The client's IP address.
  const std::shared_ptr<void> slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  bool busy_ = false;                                    // A request is being handled or answered.
  std::chrono::steady_clock::time_point read_deadline_;  // Of the request being read.
};

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const HttpServerOptions& options, HttpHandler handler)
      : options_(options),
        handler_(std::move(handler)),
        acceptor_(asio::make_strand(io_)),
        handlers_(options.handler_threads, options.max_queued_requests),
        connections_(std::make_shared<ConnectionCounts>(options.max_connections,
                                                        options.max_connections_per_client)) {}

  // Loads the certificate chain and key; kInvalidArgument if OpenSSL refuses them.
  absl::Status EnableTls() {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    return LoadTls(options_.tls_cert_chain_pem, options_.tls_private_key_pem, tls_.get());
  }

  ~ServerImpl() override { Shutdown(); }

  absl::Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.listen, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    if (stopping_.exchange(true)) {
      JoinThreads();
      return;
    }
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    {
      absl::MutexLock lock(&mu_);
      for (const std::weak_ptr<Stoppable>& weak : sessions_) {
        if (std::shared_ptr<Stoppable> session = weak.lock()) session->StopIfIdle();
      }
      sessions_.clear();
    }
    JoinThreads();  // Returns once every queued request has been answered (see Submit).
    handlers_.Stop();
  }

  bool stopping() const { return stopping_.load(); }
  const HttpServerOptions& options() const { return options_; }
  absl::Duration HeaderTimeout() const {
    return std::min(options_.header_timeout, options_.read_timeout);
  }

  // The response to `request`, handled on the calling thread.
  RestResponse HandleNow(const RestRequest& request) const { return handler_(request); }

  // Hands `request` to a handler thread, which calls `done` with the response; false if the
  // queue is full (`done` is not called). Until `done` returns, the I/O threads keep running,
  // so a response is still written during Shutdown.
  bool Submit(RestRequest request, std::function<void(RestResponse)> done) {
    auto work = std::make_shared<asio::executor_work_guard<asio::io_context::executor_type>>(
        io_.get_executor());
    return handlers_.TrySubmit(
        [this, request = std::move(request), done = std::move(done), work]() mutable {
          done(handler_(request));
          work->reset();
        });
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket s) {
      if (!acceptor_.is_open()) return;  // Shut down.
      if (ec) {
        // Out of descriptors, say: try again a little later rather than spin.
        accept_retry_.expires_after(std::chrono::milliseconds(100));
        accept_retry_.async_wait([this](beast::error_code) {
          if (!stopping()) Accept();
        });
        return;
      }
      // Over a connection limit: closed at once, before a byte is read, and the next accepted.
      beast::error_code peer_error;
      const tcp::endpoint peer = s.remote_endpoint(peer_error);
      const std::string address = peer_error ? "" : peer.address().to_string();
      std::shared_ptr<void> slot = connections_->TryTake(address);
      if (slot == nullptr) {
        beast::error_code ignored;
        s.close(ignored);
        return Accept();
      }
      std::shared_ptr<Stoppable> session;
      std::function<void()> start;
      if (tls_ != nullptr) {
        auto tls_session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(s)), *tls_), this,
            address, std::move(slot));
        start = [tls_session] { tls_session->Start(); };
        session = std::move(tls_session);
      } else {
        auto plain_session = std::make_shared<Session<beast::tcp_stream>>(
            beast::tcp_stream(std::move(s)), this, address, std::move(slot));
        start = [plain_session] { plain_session->Start(); };
        session = std::move(plain_session);
      }
      {
        // Registered before it starts, under the lock Shutdown takes after setting stopping_:
        // either Shutdown sees this session, or the session sees stopping_.
        absl::MutexLock lock(&mu_);
        if (stopping()) return;  // The session closes its socket as it goes.
        // Forget finished sessions now and then, so the list stays small.
        if (sessions_.size() > 64) {
          std::vector<std::weak_ptr<Stoppable>> live;
          for (auto& weak : sessions_) {
            if (!weak.expired()) live.push_back(std::move(weak));
          }
          sessions_ = std::move(live);
        }
        sessions_.push_back(session);
      }
      start();
      Accept();
    });
  }

  void JoinThreads() {
    absl::MutexLock lock(&join_mu_);
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    threads_.clear();
  }

  const HttpServerOptions options_;
  const HttpHandler handler_;
  std::unique_ptr<asio::ssl::context> tls_;  // Null without TLS. Outlives every session.
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_{acceptor_.get_executor()};
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Stoppable>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::Mutex join_mu_;
  std::vector<std::thread> threads_;
  HandlerPool handlers_;
  const std::shared_ptr<ConnectionCounts> connections_;
};

template <typename Stream>
void Session<Stream>::Start() {
  asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      self->Read();
    } else {
      beast::get_lowest_layer(self->stream_)
          .expires_after(absl::ToChronoMilliseconds(self->server_->HeaderTimeout()));
      self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->Close();
        self->Read();
      });
    }
  });
}

template <typename Stream>
void Session<Stream>::Read() {
  if (server_->stopping()) return Close();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
  parser_->body_limit(server_->options().max_body_bytes);
  // The header block must be complete within the header timeout (which is also how long a
  // kept-alive connection may idle); the whole request within the read timeout.
  read_deadline_ = std::chrono::steady_clock::now() +
                   absl::ToChronoMilliseconds(server_->options().read_timeout);
  beast::get_lowest_layer(stream_).expires_after(
      absl::ToChronoMilliseconds(server_->HeaderTimeout()));
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
}

// Answers `Expect: 100-continue` (curl sends it before bodies over 1 KiB and would otherwise
// wait a second), then reads the body. Errors are OnRead's.
template <typename Stream>
void Session<Stream>::OnHeader(beast::error_code ec, size_t bytes) {
  if (ec) return OnRead(ec, bytes);
  const http::fields& fields = parser_->get().base();
  const size_t max_count = server_->options().max_header_count;
  if (static_cast<size_t>(std::distance(fields.begin(), fields.end())) > max_count) {
    busy_ = true;
    const HttpError error = HttpErrorForStatus(
        431, absl::StrCat("Request has more than ", max_count, " header fields."));
    return Write({error.http_status, {{"Content-Type", "application/json"}}, error.body}, false);
  }
  if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return ReadBody();
  auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
  http::async_write(stream_, *interim,
                    [self = this->shared_from_this(), interim](beast::error_code ec, size_t) {
                      if (ec) return self->Close();
                      self->ReadBody();
                    });
}

template <typename Stream>
void Session<Stream>::ReadBody() {
  beast::get_lowest_layer(stream_).expires_at(read_deadline_);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
}

template <typename Stream>
void Session<Stream>::OnRead(beast::error_code ec, size_t /*bytes*/) {
  if (ec) {
    // A limit or a malformed request gets an answer, then the connection closes; everything
    // else (peer closed, timeout, shutdown) just ends the connection.
    std::optional<HttpError> error;
    if (ec == http::error::body_limit) {
      error = HttpErrorForStatus(413, absl::StrCat("Request body exceeds the limit of ",
                                                   server_->options().max_body_bytes, " bytes."));
    } else if (ec == http::error::header_limit) {
      error = HttpErrorForStatus(431, absl::StrCat("Request headers exceed the limit of ",
                                                   server_->options().max_header_bytes, " bytes."));
    } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      error = HttpErrorForStatus(400, "Malformed HTTP request.");
    }
    if (!error.has_value()) return Close();
    busy_ = true;
    return Write({error->http_status, {{"Content-Type", "application/json"}}, error->body}, false);
  }
  busy_ = true;
  // The handler may take its time; the write gets its own limit.
  beast::get_lowest_layer(stream_).expires_never();
  const http::request<http::string_body> message = parser_->release();
  RestRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
    auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
    if (!inserted) absl::StrAppend(&it->second, ", ", std::string(field.value()));
  }
  request.body = message.body();
  const bool keep_alive = message.keep_alive();
  if (RateLimited(keep_alive)) return;
  const auto& never_waits = server_->options().never_waits;
  if (never_waits && never_waits(request)) {
    Write(server_->HandleNow(request), keep_alive && !server_->stopping());
    return;
  }
  auto self = this->shared_from_this();
  const bool queued =
      server_->Submit(std::move(request), [self, keep_alive](RestResponse response) {
        asio::post(self->stream_.get_executor(),
                   [self, keep_alive, response = std::move(response)]() mutable {
                     self->Write(std::move(response), keep_alive && !self->server_->stopping());
                   });
      });
  if (queued) return;
  const HttpError error =
      HttpErrorForStatus(429, "Too many requests in progress; retry after a second.");
  Write(
      {error.http_status, {{"Content-Type", "application/json"}, {"Retry-After", "1"}}, error.body},
      keep_alive && !server_->stopping());
}

template <typename Stream>
bool Session<Stream>::RateLimited(bool keep_alive) {
  RateLimiter* limiter = server_->options().rate_limiter;
  if (limiter == nullptr) return false;
  const absl::Duration wait = limiter->Acquire(peer_address_);
  if (wait <= absl::ZeroDuration()) return false;
  const HttpError error = HttpErrorForStatus(429, limiter->ExceededError(wait).message());
  Write({error.http_status,
         {{"Content-Type", "application/json"},
          {"Retry-After", absl::StrCat(RetryAfterSeconds(wait))}},
         error.body},
        keep_alive && !server_->stopping());
  return true;
}

template <typename Stream>
void Session<Stream>::Write(RestResponse response, bool keep_alive) {
  response_ = std::make_shared<http::response<http::string_body>>();
  response_->version(11);
  response_->result(static_cast<unsigned>(response.status));
  for (const auto& [name, value] : response.headers) response_->insert(name, value);
  response_->body() = std::move(response.body);
  response_->keep_alive(keep_alive);
  if (response.status == 204 || response.status == 304 || response.status < 200) {
    response_->erase(http::field::content_length);  // These carry no body and no length.
  } else {
    response_->prepare_payload();
  }
  beast::get_lowest_layer(stream_).expires_after(
      absl::ToChronoMilliseconds(server_->options().read_timeout));
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), keep_alive));
}

template <typename Stream>
void Session<Stream>::OnWrite(bool keep_alive, beast::error_code ec, size_t /*bytes*/) {
  busy_ = false;
  response_.reset();
  if (ec || !keep_alive) return Close();
  Read();
}

}  // namespace

absl::Status CheckTlsCredentials(absl::string_view cert_chain_pem,
                                 absl::string_view private_key_pem) {
  if (cert_chain_pem.empty() || private_key_pem.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate chain and a private key");
  }
  asio::ssl::context context(asio::ssl::context::tls_server);
  return LoadTls(cert_chain_pem, private_key_pem, &context);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  if (options.threads < 1 || options.handler_threads < 1 || options.max_header_bytes < 1 ||
      options.max_header_count < 1 || options.max_body_bytes < 1 ||
      options.read_timeout <= absl::ZeroDuration() ||
      options.header_timeout <= absl::ZeroDuration() || options.max_connections < 1 ||
      options.max_connections_per_client < 1 || !handler) {
    return absl::InvalidArgumentError(
        "HttpServer needs a handler, threads >= 1, handler_threads >= 1, positive limits and "
        "positive timeouts");
  }
  absl::StatusOr<tcp::endpoint> endpoint = ParseListen(options.listen);
  if (!endpoint.ok()) return endpoint.status();
  if (options.tls_cert_chain_pem.empty() != options.tls_private_key_pem.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate chain and a private key");
  }
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  if (!options.tls_cert_chain_pem.empty()) {
    const absl::Status tls = server->EnableTls();
    if (!tls.ok()) return tls;
  }
  const absl::Status listening = server->Listen(*endpoint);
  if (!listening.ok()) return listening;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace webhooks
