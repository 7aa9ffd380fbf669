// Fuzzes RestGateway::Handle (grpc_service/rest_gateway.h) over one long-lived in-process
// webhookd stack (testing::TestEnvironment), so state built by earlier inputs stays.
//
// Input: byte 0 picks the method, byte 1 the path, byte 2 the Authorization header, byte 3 the
// Content-Type; a method, path or header picked as "text from the input" takes the next line
// of the input; the rest is the body.
// Properties:
//   - the status is one of 200, 204, 400, 401, 403, 404, 405, 413, 415, 431, 500;
//   - an error (>= 400) has a JSON body {"error":{"message":{"code":<number>, ...}}};
//   - no response body contains a test token (unless some request body held that text), nor a
//     secret set earlier: a string starting with "s3cret" that a request put in a secret field
//     (API_KEY.value, BASIC_AUTH.password, BEARER_TOKEN, OAUTH2.client_secret,
//     signature_verification.secret) and that no request ever sent in any other field.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/json_util.h"
#include "grpc_service/rest_gateway.h"
#include "grpc_service/rest_types.h"
#include "grpc_service/test_environment.h"

namespace {

using ::webhooks::RestRequest;
using ::webhooks::RestResponse;
namespace wt = ::webhooks::testing;

constexpr char kSecretMark[] = "s3cret";

webhooks::testing::TestEnvironment& Env() {
  static wt::TestEnvironment* const env = [] {
    // Protobuf logs every string with invalid UTF-8 it serializes; that is most inputs here.
    google::protobuf::SetLogHandler(nullptr);
    return new wt::TestEnvironment();
  }();
  return *env;
}

// Secrets set by inputs, and strings that some input sent outside a secret field.
std::set<std::string>& Secrets() {
  static auto* const secrets = new std::set<std::string>();
  return *secrets;
}
std::set<std::string>& Public() {
  static auto* const texts = new std::set<std::string>();
  return *texts;
}
bool& SecretCheckOff() {
  static bool off = false;
  return off;
}
bool& TokenSentInBody(size_t i) {
  static bool sent[4] = {false, false, false, false};
  return sent[i];
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  std::string Line() {
    const size_t end = rest_.find('\n');
    std::string line(rest_.substr(0, end));
    rest_.remove_prefix(end == absl::string_view::npos ? rest_.size() : end + 1);
    return line;
  }
  std::string Rest() { return std::string(rest_); }

 private:
  absl::string_view rest_;
};

[[noreturn]] void Fail(absl::string_view what, const RestRequest& request,
                       const RestResponse& response) {
  std::fprintf(
      stderr, "rest_gateway_fuzzer: %.*s\n  request: %s %s\n  body: %s\n  response: %d %s\n",
      static_cast<int>(what.size()), what.data(), request.method.c_str(), request.target.c_str(),
      request.body.c_str(), response.status, response.body.c_str());
  std::abort();
}

std::string Normalized(absl::string_view key) {
  return absl::AsciiStrToLower(absl::StrReplaceAll(key, {{"_", ""}}));
}

bool IsSecretKey(absl::string_view key) {
  const std::string k = Normalized(key);
  return k == "value" || k == "password" || k == "bearertoken" || k == "clientsecret" ||
         k == "secret";
}

// Collects the "s3cret..." strings of a request body: in a secret field under authentication
// or signature_verification, or anywhere else.
void Collect(const google::protobuf::Value& value, bool under_secret_object, bool secret_field,
             std::vector<std::string>* secrets, std::vector<std::string>* public_texts) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      if (absl::StrContains(value.string_value(), kSecretMark)) {
        (secret_field && under_secret_object ? secrets : public_texts)
            ->push_back(value.string_value());
      }
      break;
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, field] : value.struct_value().fields()) {
        if (absl::StrContains(key, kSecretMark)) public_texts->push_back(key);
        const std::string k = Normalized(key);
        const bool secret_object =
            under_secret_object || k == "authentication" || k == "signatureverification";
        Collect(field, secret_object, secret_object && IsSecretKey(key), secrets, public_texts);
      }
      break;
    case google::protobuf::Value::kListValue:
      for (const auto& item : value.list_value().values()) {
        Collect(item, under_secret_object, secret_field, secrets, public_texts);
      }
      break;
    default:
      break;
  }
}

void Remember(const RestRequest& request) {
  const absl::string_view tokens[] = {wt::kAdminToken, wt::kUserATestOrg1Token,
                                      wt::kUserATestOrg2025Token, wt::kViewerToken};
  // Text the request carries anywhere but in its Authorization header may come back (the
  // method and path are quoted by 404 and 405, a path variable by 400).
  std::vector<absl::string_view> echoed = {request.method, request.target, request.body};
  for (const auto& [name, value] : request.headers) {
    echoed.push_back(name);
    if (name != "authorization") echoed.push_back(value);
  }
  for (const absl::string_view text : echoed) {
    for (size_t i = 0; i < 4; ++i) {
      if (absl::StrContains(text, tokens[i])) TokenSentInBody(i) = true;
    }
    if (text.data() != request.body.data() && absl::StrContains(text, kSecretMark)) {
      if (Public().size() >= 200000) SecretCheckOff() = true;
      if (!SecretCheckOff()) Public().insert(std::string(text));
    }
  }
  google::protobuf::Value body;
  if (!google::protobuf::util::JsonStringToMessage(request.body, &body).ok()) {
    // Not stored; but whatever "s3cret" text it holds may come back in an error message.
    if (absl::StrContains(request.body, kSecretMark)) {
      if (Public().size() >= 200000) SecretCheckOff() = true;
      if (!SecretCheckOff()) Public().insert(request.body);
    }
    return;
  }
  std::vector<std::string> secrets, public_texts;
  Collect(body, false, false, &secrets, &public_texts);
  // Once the record of public texts is full, a secret's later public use could go unseen:
  // stop checking secrets then (SecretCheckOff), rather than report a false leak.
  for (std::string& s : public_texts) {
    if (Public().size() >= 200000) SecretCheckOff() = true;
    if (!SecretCheckOff()) Public().insert(std::move(s));
  }
  for (std::string& s : secrets) {
    if (!SecretCheckOff()) Secrets().insert(std::move(s));
  }
}

bool ExplainedByPublicText(const std::string& secret) {
  for (const std::string& text : Public()) {
    if (absl::StrContains(text, secret)) return true;
  }
  return false;
}

void Check(const RestRequest& request, const RestResponse& response) {
  switch (response.status) {
    case 200:
    case 204:
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 413:
    case 415:
    case 431:
    case 500:
      break;
    default:
      Fail("undocumented status", request, response);
  }
  if (response.status >= 400) {
    google::protobuf::Struct body;
    if (!google::protobuf::util::JsonStringToMessage(response.body, &body).ok()) {
      Fail("error body is not JSON", request, response);
    }
    const auto error = body.fields().find("error");
    if (error == body.fields().end() || !error->second.has_struct_value()) {
      Fail("error body has no error object", request, response);
    }
    const auto& outer = error->second.struct_value().fields();
    const auto message = outer.find("message");
    if (message == outer.end() || !message->second.has_struct_value()) {
      Fail("error body has no error.message object", request, response);
    }
    const auto& fields = message->second.struct_value().fields();
    const auto code = fields.find("code");
    if (code == fields.end() || code->second.kind_case() != google::protobuf::Value::kNumberValue) {
      Fail("error body has no numeric error.message.code", request, response);
    }
  }
  const absl::string_view tokens[] = {wt::kAdminToken, wt::kUserATestOrg1Token,
                                      wt::kUserATestOrg2025Token, wt::kViewerToken};
  for (size_t i = 0; i < 4; ++i) {
    if (!TokenSentInBody(i) && absl::StrContains(response.body, tokens[i])) {
      Fail(absl::StrCat("a test token leaked: ", tokens[i]), request, response);
    }
    for (const auto& [name, value] : response.headers) {
      if (!TokenSentInBody(i) && absl::StrContains(value, tokens[i])) {
        Fail(absl::StrCat("a test token leaked in header ", name), request, response);
      }
    }
  }
  if (SecretCheckOff() || !absl::StrContains(response.body, kSecretMark)) return;
  for (const std::string& secret : Secrets()) {
    if (absl::StrContains(response.body, secret) && !ExplainedByPublicText(secret)) {
      Fail(absl::StrCat("a secret leaked: ", secret), request, response);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  static const char* const kMethods[] = {"POST", "GET", "PUT", "DELETE", "PATCH", "HEAD"};
  static const char* const kPaths[] = {
      "/api/rest/2.0/webhooks/create",
      "/api/rest/2.0/webhooks/search",
      "/api/rest/2.0/webhooks/delete",
      "/api/rest/2.0/webhooks/webhook-lb-event/update",
      "/api/rest/2.0/webhooks/00000000-0000-4000-8000-000000000001/update",
      "/api/rest/2.0/system/preferences/communication-channels/configure",
      "/api/rest/2.0/system/preferences/communication-channels/search",
      "/api/rest/2.0/webhooks/search?x=1",
  };
  RestRequest request;
  const uint8_t method = input.Byte();
  const uint8_t path = input.Byte();
  const uint8_t token = input.Byte();
  const uint8_t content_type = input.Byte();
  request.method = method % 8 < 6 ? kMethods[method % 8] : input.Line();
  switch (path % 10) {
    case 8:
      request.target = input.Line();
      break;
    case 9:
      request.target = absl::StrCat("/api/rest/2.0/webhooks/", input.Line(), "/update");
      break;
    default:
      request.target = kPaths[path % 10];
  }
  switch (token % 8) {
    case 0:
      request.headers["authorization"] = absl::StrCat("Bearer ", wt::kAdminToken);
      break;
    case 1:
      request.headers["authorization"] = absl::StrCat("Bearer ", wt::kUserATestOrg1Token);
      break;
    case 2:
      request.headers["authorization"] = absl::StrCat("Bearer ", wt::kUserATestOrg2025Token);
      break;
    case 3:
      request.headers["authorization"] = absl::StrCat("Bearer ", wt::kViewerToken);
      break;
    case 4:
      break;
    case 5:
      request.headers["authorization"] = input.Line();
      break;
    case 6:
      request.headers["authorization"] = absl::StrCat("Basic ", wt::kAdminToken);
      break;
    default:
      request.headers["authorization"] = absl::StrCat("Bearer ", input.Line());
      break;
  }
  switch ((content_type & 0x3f) % 6) {
    case 0:
      request.headers["content-type"] = "application/json";
      break;
    case 1:
      request.headers["content-type"] = "application/json; charset=utf-8";
      break;
    case 2:
      request.headers["content-type"] = "text/plain";
      break;
    case 3:
      break;
    case 4:
      request.headers["content-type"] = input.Line();
      break;
    default:
      request.headers["content-type"] = "Application/JSON";
      break;
  }
  if (content_type & 0x80) request.headers["accept"] = "application/json";
  if (content_type & 0x40) request.headers[input.Line()] = input.Line();
  request.body = input.Rest();

  Remember(request);
  const RestResponse response = Env().server().gateway().Handle(request);
  if (std::getenv("REST_GATEWAY_FUZZER_VERBOSE") != nullptr) {
    std::fprintf(stderr, "%s %s -> %d %s\n", request.method.c_str(), request.target.c_str(),
                 response.status, response.body.substr(0, 400).c_str());
  }
  Check(request, response);
  return 0;
}
