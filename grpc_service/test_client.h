// Clients of webhookd's listeners for tests: REST through libcurl (one kept-alive connection),
// and gRPC client contexts with a bearer token. The test's main calls curl_global_init.
#ifndef WEBHOOKS_GRPC_SERVICE_TEST_CLIENT_H_
#define WEBHOOKS_GRPC_SERVICE_TEST_CLIENT_H_

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace testing {

struct CurlResult {
  long status = 0;
  std::string content_type;
  std::string request_id;  // The X-Request-Id header's.
  std::string body;
  long new_connections = 0;
};

inline size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// One libcurl easy handle: requests reuse its connection while the server keeps it alive.
class Client {
 public:
  explicit Client(int port)
      : base_(absl::StrCat("http://127.0.0.1:", port)), curl_(curl_easy_init()) {}
  ~Client() { curl_easy_cleanup(curl_); }

  CurlResult Send(absl::string_view method, absl::string_view path, absl::string_view body,
                  absl::string_view token, absl::string_view content_type = "application/json",
                  std::vector<std::string> extra_headers = {}) {
    CurlResult result;
    const std::string url = absl::StrCat(base_, path);
    const std::string payload(body);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    if (method == "GET") curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, absl::StrCat("Content-Type: ", content_type).c_str());
    if (!token.empty()) {
      headers = curl_slist_append(headers, absl::StrCat("Authorization: Bearer ", token).c_str());
    }
    for (const std::string& header : extra_headers) {
      headers = curl_slist_append(headers, header.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &result.body);
    std::string header_lines;
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, Append);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &header_lines);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 30L);
    const CURLcode code = curl_easy_perform(curl_);
    EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &result.status);
    char* type = nullptr;
    curl_easy_getinfo(curl_, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) result.content_type = type;
    for (absl::string_view line : absl::StrSplit(header_lines, "\r\n")) {
      if (absl::ConsumePrefix(&line, "X-Request-Id: ")) result.request_id = std::string(line);
    }
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &result.new_connections);
    curl_slist_free_all(headers);
    return result;
  }

  CurlResult Post(absl::string_view path, absl::string_view body, absl::string_view token) {
    return Send("POST", path, body, token);
  }

 private:
  const std::string base_;
  CURL* const curl_;
};

// ThoughtSpot's error body with its ids normalised.
inline std::string ErrorJson(int code, absl::string_view debug) {
  return absl::StrCat(R"({"error":{"message":{"code":)", code,
                      R"(,"incident_id_guid":"<uuid>","trace_id_guid":"<uuid>","debug":")", debug,
                      R"("}}})");
}

// A client context that carries `token` as a bearer token (none if empty).
inline std::unique_ptr<grpc::ClientContext> As(absl::string_view token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  return context;
}

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_TEST_CLIENT_H_
