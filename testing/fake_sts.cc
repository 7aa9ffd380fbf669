#include "testing/fake_sts.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/uri_encoding.h"
#include "testing/http_receiver.h"

namespace webhooks {
namespace testing {
namespace {

constexpr char kXmlns[] = "https://sts.amazonaws.com/doc/2011-06-15/";
constexpr char kVersion[] = "2011-06-15";
constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256 ";

// Escapes `text` for element content (where quotes need no escaping: AWS's messages have
// plain apostrophes).
std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::map<std::string, std::string> FormFields(const ReceivedRequest& request) {
  if (!absl::StartsWithIgnoreCase(request.Header("content-type"),
                                  "application/x-www-form-urlencoded")) {
    return {};
  }
  return engine_internal::ParseForm(request.body);
}

// Whether every character of `text` is a word character (\w: letter, digit, '_') or one of
// `others`.
bool AllWordCharsOr(absl::string_view text, absl::string_view others) {
  for (const char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_' && !absl::StrContains(others, c)) return false;
  }
  return true;
}

// AWS's wording for a parameter that breaks a constraint.
std::string Violation(absl::string_view field, const std::string* value,
                      absl::string_view constraint) {
  return absl::StrCat("Value ", value == nullptr ? "null" : absl::StrCat("'", *value, "'"), " at '",
                      field, "' failed to satisfy constraint: Member must ", constraint);
}

void CheckLength(absl::string_view field, const std::string& value, size_t min, size_t max,
                 std::vector<std::string>& violations) {
  if (value.size() < min) {
    violations.push_back(
        Violation(field, &value, absl::StrCat("have length greater than or equal to ", min)));
  }
  if (value.size() > max) {
    violations.push_back(
        Violation(field, &value, absl::StrCat("have length less than or equal to ", max)));
  }
}

// "  <name>value</name>\n", `value` escaped, indented by `depth` levels.
std::string Element(int depth, absl::string_view name, absl::string_view value) {
  return absl::StrCat(std::string(2 * depth, ' '), "<", name, ">", XmlEscape(value), "</", name,
                      ">\n");
}

std::string RequestId(int request_number) {
  return absl::StrFormat("00000000-0000-4000-8000-%012d", request_number);
}

const std::string* Find(const std::map<std::string, std::string>& fields, const std::string& name) {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

}  // namespace

FakeSts::FakeSts(FakeStsOptions options)
    : options_(std::move(options)), credentials_(options_.credentials) {
  receiver_.SetHandler([this](const ReceivedRequest& request) { return Handle(request); });
}

std::string FakeSts::url() const { return receiver_.url("/"); }

void FakeSts::SetCredentials(TemporaryCredentials credentials) {
  absl::MutexLock lock(&mu_);
  credentials_ = std::move(credentials);
}

std::vector<std::map<std::string, std::string>> FakeSts::calls() const {
  std::vector<std::map<std::string, std::string>> calls;
  for (const ReceivedRequest& request : receiver_.requests()) {
    calls.push_back(FormFields(request));
  }
  return calls;
}

ScriptedResponse FakeSts::Error(int status, const std::string& code, const std::string& message,
                                int request_number) const {
  const std::string request_id = RequestId(request_number);
  ScriptedResponse response;
  response.status = status;
  response.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
  response.body = absl::StrCat("<ErrorResponse xmlns=\"", kXmlns, "\">\n  <Error>\n",
                               Element(2, "Type", "Sender"), Element(2, "Code", code),
                               Element(2, "Message", message), "  </Error>\n",
                               Element(1, "RequestId", request_id), "</ErrorResponse>\n");
  return response;
}

ScriptedResponse FakeSts::Handle(const ReceivedRequest& request) {
  int n;
  TemporaryCredentials credentials;
  {
    absl::MutexLock lock(&mu_);
    n = ++request_count_;
    credentials = credentials_;
  }

  // 1. Method.
  if (request.method != "POST") {
    return Error(405, "MethodNotAllowed",
                 absl::StrCat("FakeSts takes only POST, not ", request.method), n);
  }

  // 2. The shape of the SigV4 Authorization header; the signature is not checked.
  const std::string authorization = request.Header("authorization");
  if (authorization.empty()) {
    return Error(403, "MissingAuthenticationToken", "Request is missing Authentication Token", n);
  }
  if (!absl::StartsWith(authorization, kAlgorithm)) {
    return Error(400, "IncompleteSignature",
                 "Authorization header must start with 'AWS4-HMAC-SHA256 '", n);
  }
  std::map<std::string, std::string> parts;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(authorization).substr(sizeof(kAlgorithm) - 1), ',')) {
    std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(absl::StripAsciiWhitespace(part), absl::MaxSplits('=', 1));
    parts.emplace(std::string(name_value.first), std::string(name_value.second));
  }
  std::vector<std::string> missing;
  for (const char* name : {"Credential", "SignedHeaders", "Signature"}) {
    if (parts[name].empty()) {
      missing.push_back(absl::StrCat("Authorization header requires '", name, "' parameter."));
    }
  }
  const std::string amz_date = request.Header("x-amz-date");
  if (amz_date.empty()) {
    missing.push_back(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (!missing.empty()) return Error(400, "IncompleteSignature", absl::StrJoin(missing, " "), n);
  const std::vector<std::string> scope = absl::StrSplit(parts["Credential"], '/');
  if (scope.size() != 5 || scope[4] != "aws4_request") {
    return Error(400, "IncompleteSignature",
                 "Credential must be <key id>/<date>/<region>/<service>/aws4_request", n);
  }
  if (scope[0] != options_.caller_access_key_id) {
    return Error(403, "InvalidClientTokenId",
                 "The security token included in the request is invalid.", n);
  }
  if (scope[3] != "sts") {
    return Error(403, "SignatureDoesNotMatch",
                 "Credential should be scoped to correct service: 'sts'.", n);
  }
  if (scope[1] != amz_date.substr(0, 8)) {
    return Error(
        403, "SignatureDoesNotMatch",
        absl::StrCat("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                     "version of date from HTTP: '",
                     scope[1], "' != '", amz_date.substr(0, 8), "', from '", amz_date, "'."),
        n);
  }

  // 3. Action and Version.
  const std::map<std::string, std::string> fields = FormFields(request);
  const std::string* action = Find(fields, "Action");
  const std::string* version = Find(fields, "Version");
  if (action == nullptr) return Error(400, "MissingAction", "Missing Action", n);
  if (*action != "AssumeRole" || version == nullptr || *version != kVersion) {
    return Error(400, "InvalidAction",
                 absl::StrCat("Could not find operation ", *action, " for version ",
                              version == nullptr ? "NO_VERSION_SPECIFIED" : *version),
                 n);
  }

  // 4. Parameter constraints.
  const std::string* role_arn = Find(fields, "RoleArn");
  const std::string* session_name = Find(fields, "RoleSessionName");
  const std::string* external_id = Find(fields, "ExternalId");
  const std::string* duration = Find(fields, "DurationSeconds");
  std::vector<std::string> violations;
  if (role_arn == nullptr) {
    violations.push_back(Violation("roleArn", nullptr, "not be null"));
  } else {
    CheckLength("roleArn", *role_arn, 20, 2048, violations);
  }
  if (session_name == nullptr) {
    violations.push_back(Violation("roleSessionName", nullptr, "not be null"));
  } else {
    CheckLength("roleSessionName", *session_name, 2, 64, violations);
    if (!AllWordCharsOr(*session_name, "+=,.@-")) {
      violations.push_back(Violation("roleSessionName", session_name,
                                     "satisfy regular expression pattern: [\\w+=,.@-]*"));
    }
  }
  if (external_id != nullptr) {
    CheckLength("externalId", *external_id, 2, 1224, violations);
    if (!AllWordCharsOr(*external_id, "+=,./@:-")) {
      violations.push_back(Violation("externalId", external_id,
                                     "satisfy regular expression pattern: [\\w+=,./@:-]*"));
    }
  }
  if (duration != nullptr) {
    int seconds = 0;
    if (!absl::SimpleAtoi(*duration, &seconds)) {
      return Error(400, "InvalidParameterValue",
                   absl::StrCat("Invalid value for parameter DurationSeconds: '", *duration, "'"),
                   n);
    }
    if (seconds < 900) {
      violations.push_back(
          Violation("durationSeconds", duration, "have value greater than or equal to 900"));
    }
    if (seconds > 43200) {
      violations.push_back(
          Violation("durationSeconds", duration, "have value less than or equal to 43200"));
    }
  }
  if (!violations.empty()) {
    return Error(
        400, "ValidationError",
        absl::StrCat(violations.size(), " validation error", violations.size() == 1 ? "" : "s",
                     " detected: ", absl::StrJoin(violations, "; ")),
        n);
  }

  // 5. The role and its ExternalId.
  const auto role = options_.roles.find(*role_arn);
  if (role == options_.roles.end() ||
      (!role->second.empty() && (external_id == nullptr || *external_id != role->second))) {
    return Error(
        403, "AccessDenied",
        absl::StrCat("User: ", options_.caller_arn,
                     " is not authorized to perform: sts:AssumeRole on resource: ", *role_arn),
        n);
  }

  // "arn:aws:iam::<account>:role/<path/><name>"
  const std::vector<std::string> arn = absl::StrSplit(*role_arn, absl::MaxSplits(':', 5));
  const std::string account = arn.size() > 4 ? arn[4] : "";
  const std::string role_name = role_arn->substr(role_arn->rfind('/') + 1);
  const std::string request_id = RequestId(n);
  ScriptedResponse response;
  response.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
  response.body = absl::StrCat(
      "<AssumeRoleResponse xmlns=\"", kXmlns, "\">\n  <AssumeRoleResult>\n",
      "    <AssumedRoleUser>\n",
      Element(
          3, "Arn",
          absl::StrCat("arn:aws:sts::", account, ":assumed-role/", role_name, "/", *session_name)),
      Element(3, "AssumedRoleId", absl::StrCat(kAssumedRoleIdPrefix, ":", *session_name)),
      "    </AssumedRoleUser>\n    <Credentials>\n",
      Element(3, "AccessKeyId", credentials.access_key_id),
      Element(3, "SecretAccessKey", credentials.secret_access_key),
      Element(3, "SessionToken", credentials.session_token),
      Element(3, "Expiration",
              absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", credentials.expiration, absl::UTCTimeZone())),
      "    </Credentials>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n",
      Element(2, "RequestId", request_id), "  </ResponseMetadata>\n</AssumeRoleResponse>\n");
  return response;
}

}  // namespace testing
}  // namespace webhooks
