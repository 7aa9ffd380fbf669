#include "engine/http/curl_transport.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/base/utf8.h"
#include "engine/http/address_policy.h"

namespace webhooks {
namespace {

using ::webhooks::engine_internal::CheckDestinationAddress;
using ::webhooks::engine_internal::CheckDestinationPort;

// Past the body cap, this much more is read and dropped before the connection is given up.
constexpr size_t kMaxDroppedBodyBytes = size_t{1} << 20;

absl::Status GlobalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init failed: ", curl_easy_strerror(result)));
  }
  return absl::OkStatus();
}

// `url` without credentials, query string or fragment: safe for messages and logs.
std::string UrlForMessages(absl::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return std::string(url);
  const size_t authority_start = scheme_end + 3;
  const absl::string_view authority =
      url.substr(authority_start, url.find('/', authority_start) - authority_start);
  const size_t at = authority.rfind('@');
  if (at == absl::string_view::npos) return std::string(url);
  return absl::StrCat(url.substr(0, authority_start), url.substr(authority_start + at + 1));
}

bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("!#$%&'*+-.^_`|~", c)) return false;
  }
  return true;
}

bool HasControlBreak(absl::string_view text) {
  return text.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos;
}

// One request in flight: owned by the transport's thread from start to callback.
struct Transfer {
  Transfer(HttpRequest request_in, HttpTransport::Callback done_in, bool allow_private_in,
           absl::Span<const int> allowed_ports_in, size_t max_body_in)
      : request(std::move(request_in)),
        done(std::move(done_in)),
        allow_private(allow_private_in),
        allowed_ports(allowed_ports_in),
        max_body(max_body_in) {}

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }

  std::string Where() const {
    return absl::StrCat(request.method, " ", UrlForMessages(request.url));
  }

  HttpRequest request;
  HttpTransport::Callback done;
  const bool allow_private;
  const absl::Span<const int> allowed_ports;  // Empty: any port. Points into the options.
  const size_t max_body;

  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  size_t dropped_bytes = 0;
  bool stopped_reading = false;  // Gave up on an oversized body; the response still counts.
  std::string refused;           // The address policy's message for a refused connection.
  char error[CURL_ERROR_SIZE] = {};
};

curl_socket_t OpenSocket(void* data, curlsocktype /*purpose*/, struct curl_sockaddr* address) {
  Transfer* transfer = static_cast<Transfer*>(data);
  absl::Status allowed = CheckDestinationAddress(&address->addr, transfer->allow_private);
  if (allowed.ok()) allowed = CheckDestinationPort(&address->addr, transfer->allowed_ports);
  if (!allowed.ok()) {
    if (transfer->refused.empty()) transfer->refused = std::string(allowed.message());
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  Transfer* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  absl::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::vector<std::pair<std::string, std::string>>& headers = transfer->response.headers;
  if (absl::StartsWith(line, "HTTP/")) {
    headers.clear();  // A new response (after a 1xx): only the final one's headers count.
  } else if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    if (!headers.empty()) {  // Obsolete line folding: continues the previous value.
      absl::StrAppend(&headers.back().second, " ", absl::StripAsciiWhitespace(line));
    }
  } else if (const size_t colon = line.find(':'); colon != absl::string_view::npos) {
    headers.emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                         std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return length;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  Transfer* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  std::string& body = transfer->response.body;
  const size_t kept = std::min(length, transfer->max_body - body.size());
  body.append(data, kept);
  transfer->dropped_bytes += length - kept;
  if (transfer->dropped_bytes > kMaxDroppedBodyBytes) {
    transfer->stopped_reading = true;
    return 0;  // Makes libcurl stop with CURLE_WRITE_ERROR and close the connection.
  }
  return length;
}

template <typename T>
absl::Status SetOption(CURL* easy, CURLoption option, T value) {
  const CURLcode code = curl_easy_setopt(easy, option, value);
  if (code != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_easy_setopt(", static_cast<int>(option),
                                            ") failed: ", curl_easy_strerror(code)));
  }
  return absl::OkStatus();
}

#define WEBHOOKS_SETOPT(easy, option, value)                           \
  do {                                                                 \
    absl::Status setopt_status = SetOption((easy), (option), (value)); \
    if (!setopt_status.ok()) return setopt_status;                     \
  } while (false)

// Prepares `transfer->easy` for `transfer->request`. Operator requests use the connection pool
// in `operator_pool` (a CURLSH*), the others the multi handle's.
absl::Status Prepare(Transfer& transfer, const CurlTransportOptions& options,
                     CURLSH* operator_pool) {
  const HttpRequest& request = transfer.request;
  if (!IsToken(request.method)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request method \"", absl::CHexEscape(request.method), "\" is not an HTTP method"));
  }
  if (request.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("request timeout must be positive, not ",
                                                   absl::FormatDuration(request.timeout)));
  }
  if (HasControlBreak(request.url)) {
    return absl::InvalidArgumentError(
        absl::StrCat("url of ", transfer.Where(), " contains CR, LF or NUL"));
  }
  bool has_user_agent = false, has_accept = false, has_content_type = false, has_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request header name \"", absl::CHexEscape(name), "\" is not a valid HTTP token"));
    }
    if (HasControlBreak(value)) {  // Never print the value: it may be a credential.
      return absl::InvalidArgumentError(
          absl::StrCat("value of request header ", name, " contains CR, LF or NUL"));
    }
    has_user_agent |= absl::EqualsIgnoreCase(name, "user-agent");
    has_accept |= absl::EqualsIgnoreCase(name, "accept");
    has_content_type |= absl::EqualsIgnoreCase(name, "content-type");
    has_expect |= absl::EqualsIgnoreCase(name, "expect");
  }

  std::vector<std::string> lines;
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's way to send a header with an empty value.
    lines.push_back(value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value));
  }
  // "Name:" removes a header libcurl would add by itself.
  if (!has_accept) lines.push_back("Accept:");
  if (!has_content_type) lines.push_back("Content-Type:");
  if (!has_expect) lines.push_back("Expect:");
  for (const std::string& line : lines) {
    curl_slist* appended = curl_slist_append(transfer.headers, line.c_str());
    if (appended == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
    transfer.headers = appended;
  }

  transfer.easy = curl_easy_init();
  if (transfer.easy == nullptr) return absl::InternalError("curl_easy_init failed");
  CURL* easy = transfer.easy;
  WEBHOOKS_SETOPT(easy, CURLOPT_PRIVATE, static_cast<void*>(&transfer));
  WEBHOOKS_SETOPT(easy, CURLOPT_ERRORBUFFER, transfer.error);
  WEBHOOKS_SETOPT(easy, CURLOPT_URL, request.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  WEBHOOKS_SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  WEBHOOKS_SETOPT(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  WEBHOOKS_SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
  WEBHOOKS_SETOPT(easy, CURLOPT_FOLLOWLOCATION, 0L);
  WEBHOOKS_SETOPT(easy, CURLOPT_PROXY, "");  // Ignore http_proxy and friends.
  WEBHOOKS_SETOPT(easy, CURLOPT_TCP_NODELAY, 1L);
  // A connection opened past the address policy must not be reused by a request that the
  // policy applies to (a webhook URL naming the same host and port), and an operator request
  // must not use a connection a webhook opened: the two kinds keep separate pools.
  if (request.operator_endpoint) WEBHOOKS_SETOPT(easy, CURLOPT_SHARE, operator_pool);
  const long timeout_ms =
      request.timeout == absl::InfiniteDuration()
          ? 0L
          : static_cast<long>(std::max<int64_t>(
                1, absl::ToInt64Milliseconds(absl::Ceil(request.timeout, absl::Milliseconds(1)))));
  WEBHOOKS_SETOPT(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  WEBHOOKS_SETOPT(easy, CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  WEBHOOKS_SETOPT(easy, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&transfer));
  WEBHOOKS_SETOPT(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  WEBHOOKS_SETOPT(easy, CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
  WEBHOOKS_SETOPT(easy, CURLOPT_WRITEFUNCTION, &OnBody);
  WEBHOOKS_SETOPT(easy, CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  WEBHOOKS_SETOPT(easy, CURLOPT_HTTPHEADER, transfer.headers);
  if (!has_user_agent && !options.user_agent.empty()) {
    WEBHOOKS_SETOPT(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
  }
  if (request.method == "GET" && request.body.empty()) {
    WEBHOOKS_SETOPT(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD" && request.body.empty()) {
    WEBHOOKS_SETOPT(easy, CURLOPT_NOBODY, 1L);
  } else {
    WEBHOOKS_SETOPT(easy, CURLOPT_POST, 1L);
    WEBHOOKS_SETOPT(easy, CURLOPT_POSTFIELDS, request.body.data());
    WEBHOOKS_SETOPT(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                    static_cast<curl_off_t>(request.body.size()));
    if (request.method != "POST") {
      WEBHOOKS_SETOPT(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }
  return absl::OkStatus();
}

#undef WEBHOOKS_SETOPT

absl::StatusOr<HttpResponse> Outcome(Transfer& transfer, CURLcode code) {
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.stopped_reading)) {
    long status = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
    transfer.response.status = static_cast<int>(status);
    return std::move(transfer.response);
  }
  // libcurl's error buffer can quote bytes of the server's answer.
  const std::string detail =
      ToValidUtf8(transfer.error[0] != '\0' ? transfer.error : curl_easy_strerror(code));
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat(transfer.Where(), " timed out after ",
                                                    absl::FormatDuration(transfer.request.timeout),
                                                    ": ", detail));
  }
  if (!transfer.refused.empty()) return absl::PermissionDeniedError(transfer.refused);
  if (code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT) {
    return absl::InvalidArgumentError(
        absl::StrCat(transfer.Where(), ": not a usable http or https URL: ", detail));
  }
  return absl::UnavailableError(absl::StrCat(transfer.Where(), " failed: ", detail));
}

absl::Status Cancelled(const HttpRequest& request) {
  return absl::CancelledError(absl::StrCat(request.method, " ", UrlForMessages(request.url),
                                           " cancelled: the transport is shutting down"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(CurlTransportOptions options) {
  for (const int port : options.allowed_ports) {
    if (port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed_ports: ", port, " is not a TCP port (1-65535)"));
    }
  }
  const absl::Status init = GlobalInit();
  if (!init.ok()) return init;
  CURLSH* operator_pool = curl_share_init();
  if (operator_pool == nullptr) return absl::InternalError("curl_share_init failed");
  const CURLSHcode shared =
      curl_share_setopt(operator_pool, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  if (shared != CURLSHE_OK) {
    curl_share_cleanup(operator_pool);
    return absl::InternalError(absl::StrCat("curl_share_setopt(CURL_LOCK_DATA_CONNECT) failed: ",
                                            curl_share_strerror(shared)));
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    curl_share_cleanup(operator_pool);
    return absl::InternalError("curl_multi_init failed");
  }
  std::unique_ptr<CurlTransport> transport(
      new CurlTransport(std::move(options), multi, operator_pool));
  transport->thread_ = std::thread([raw = transport.get()] { raw->Run(); });
  return transport;
}

CurlTransport::CurlTransport(CurlTransportOptions options, void* multi, void* operator_pool)
    : options_(std::move(options)), multi_(multi), operator_pool_(operator_pool) {}

CurlTransport::~CurlTransport() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  if (thread_.joinable()) thread_.join();
  curl_multi_cleanup(multi_);
  // Every easy handle is gone with the thread, so the pool is no longer in use.
  curl_share_cleanup(operator_pool_);
}

void CurlTransport::Send(HttpRequest request, Callback done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back({std::move(request), std::move(done)});
      curl_multi_wakeup(multi_);
      return;
    }
  }
  done(Cancelled(request));
}

void CurlTransport::Run() {
  CURLM* const multi = multi_;
  absl::flat_hash_map<CURL*, std::unique_ptr<Transfer>> active;
  while (true) {
    std::vector<Pending> incoming;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      incoming.swap(queue_);
      stop = stopping_;
    }
    if (stop) {
      for (Pending& pending : incoming) pending.done(Cancelled(pending.request));
      break;
    }

    for (Pending& pending : incoming) {
      const bool allow_private =
          options_.allow_private_endpoints || pending.request.operator_endpoint;
      const absl::Span<const int> allowed_ports =
          pending.request.operator_endpoint ? absl::Span<const int>() : options_.allowed_ports;
      auto transfer =
          std::make_unique<Transfer>(std::move(pending.request), std::move(pending.done),
                                     allow_private, allowed_ports, options_.max_response_body);
      absl::Status prepared = Prepare(*transfer, options_, operator_pool_);
      if (prepared.ok() && curl_multi_add_handle(multi, transfer->easy) != CURLM_OK) {
        prepared = absl::InternalError(
            absl::StrCat(transfer->Where(), " failed: curl_multi_add_handle failed"));
      }
      if (!prepared.ok()) {
        HttpTransport::Callback done = std::move(transfer->done);
        transfer.reset();
        done(std::move(prepared));
        continue;
      }
      CURL* easy = transfer->easy;
      active.emplace(easy, std::move(transfer));
    }

    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* const easy = message->easy_handle;
      const CURLcode code = message->data.result;  // Read before the handle is removed.
      curl_multi_remove_handle(multi, easy);
      auto node = active.extract(easy);
      if (node.empty()) continue;
      std::unique_ptr<Transfer> transfer = std::move(node.mapped());
      absl::StatusOr<HttpResponse> outcome = Outcome(*transfer, code);
      HttpTransport::Callback done = std::move(transfer->done);
      transfer.reset();
      done(std::move(outcome));
    }

    // Sleeps until a socket is ready, a libcurl timer is due, or Send() wakes it up.
    curl_multi_poll(multi, nullptr, 0, /*timeout_ms=*/1000, nullptr);
  }

  for (auto& [easy, transfer] : active) {
    curl_multi_remove_handle(multi, easy);
    HttpTransport::Callback done = std::move(transfer->done);
    const absl::Status cancelled = Cancelled(transfer->request);
    transfer.reset();
    done(cancelled);
  }
}

}  // namespace webhooks
