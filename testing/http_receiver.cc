#include "testing/http_receiver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace webhooks {
namespace testing {
namespace {

constexpr size_t kMaxHeadBytes = 64 * 1024;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 411:
      return "Length Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

ScriptedResponse StatusOnly(int status) {
  ScriptedResponse response;
  response.status = status;
  return response;
}

std::string Serialize(const ScriptedResponse& response, bool close) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", response.status, " ", ReasonPhrase(response.status), "\r\n");
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    has_length |= absl::EqualsIgnoreCase(name, "content-length");
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!has_length) absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  if (close) absl::StrAppend(&out, "Connection: close\r\n");
  absl::StrAppend(&out, "\r\n", response.body);
  return out;
}

}  // namespace

std::string ReceivedRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

struct HttpReceiver::Connection {
  int fd = -1;
  int id = 0;
  std::string buffer;
  bool hung = false;  // A request was left unanswered; ignore anything after it.
};

HttpReceiver::HttpReceiver(int port) {
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) ABSL_RAW_LOG(FATAL, "HttpReceiver: pipe2 failed");
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];

  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) ABSL_RAW_LOG(FATAL, "HttpReceiver: socket failed");
  struct sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const int reuse = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
  if (bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listen_fd_, 128) != 0) {
    ABSL_RAW_LOG(FATAL, "HttpReceiver: cannot listen on 127.0.0.1 (errno %d)", errno);
  }
  socklen_t length = sizeof(address);
  if (getsockname(listen_fd_, reinterpret_cast<struct sockaddr*>(&address), &length) != 0) {
    ABSL_RAW_LOG(FATAL, "HttpReceiver: getsockname failed");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

HttpReceiver::~HttpReceiver() {
  const char byte = 0;
  while (write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  close(listen_fd_);
  close(wake_read_fd_);
  close(wake_write_fd_);
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

bool HttpReceiver::HandleInput(Connection& connection) {
  while (!connection.hung) {
    const size_t head_end = connection.buffer.find("\r\n\r\n");
    if (head_end == std::string::npos) return connection.buffer.size() <= kMaxHeadBytes;

    ReceivedRequest request;
    request.connection = connection.id;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(connection.buffer).substr(0, head_end), "\r\n");
    std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
    if (request_line.size() != 3) {
      SendAll(connection.fd, Serialize(StatusOnly(400), /*close=*/true));
      return false;
    }
    request.method = std::string(request_line[0]);
    request.target = std::string(request_line[1]);
    request.version = std::string(request_line[2]);
    size_t content_length = 0;
    bool chunked = false;
    bool close = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
      std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      if (name == "content-length" && !absl::SimpleAtoi(value, &content_length)) {
        SendAll(connection.fd, Serialize(StatusOnly(400), /*close=*/true));
        return false;
      }
      if (name == "transfer-encoding") chunked = true;
      if (name == "connection" && absl::EqualsIgnoreCase(value, "close")) close = true;
      request.headers.emplace_back(std::move(name), std::move(value));
    }
    if (chunked) {
      SendAll(connection.fd, Serialize(StatusOnly(411), /*close=*/true));
      return false;
    }
    const size_t body_start = head_end + 4;
    if (connection.buffer.size() - body_start < content_length) return true;  // Read more.
    request.body = connection.buffer.substr(body_start, content_length);
    connection.buffer.erase(0, body_start + content_length);

    const ScriptedResponse response = NextResponse(std::move(request));
    if (response.hang) {
      connection.hung = true;
      connection.buffer.clear();
      return true;
    }
    close |= response.close;
    if (!SendAll(connection.fd, Serialize(response, close)) || close) return false;
  }
  connection.buffer.clear();
  return true;
}

void HttpReceiver::Serve() {
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<struct pollfd> fds;
  char chunk[64 * 1024];
  while (true) {
    fds.clear();
    fds.push_back({wake_read_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& connection : connections) fds.push_back({connection->fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ABSL_RAW_LOG(FATAL, "HttpReceiver: poll failed (errno %d)", errno);
    }
    if (fds[0].revents != 0) break;  // Destructor.

    // Connections first: `fds` indexes them as they were before this round's accept.
    std::vector<std::unique_ptr<Connection>> kept;
    for (size_t i = 0; i < connections.size(); ++i) {
      std::unique_ptr<Connection>& connection = connections[i];
      bool open = true;
      if (fds[i + 2].revents != 0) {
        const ssize_t n = recv(connection->fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR) {
          // Try again next round.
        } else if (n <= 0) {
          open = false;
        } else if (!connection->hung) {
          connection->buffer.append(chunk, static_cast<size_t>(n));
          open = HandleInput(*connection);
        }
      }
      if (open) {
        kept.push_back(std::move(connection));
      } else {
        close(connection->fd);
      }
    }
    connections = std::move(kept);

    if (fds[1].revents & POLLIN) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct timeval send_timeout = {10, 0};  // Never block the server on a stuck client.
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        {
          absl::MutexLock lock(&mu_);
          connection->id = ++connection_count_;
        }
        connections.push_back(std::move(connection));
      }
    }
  }
  for (const auto& connection : connections) close(connection->fd);
}

}  // namespace testing
}  // namespace webhooks
