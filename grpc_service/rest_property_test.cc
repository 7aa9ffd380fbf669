// Property test of webhookd's REST gateway (issue #7): a seeded generator (std::mt19937_64)
// drives random sequences of calls through the in-process gateway of a TestEnvironment: create,
// search, update and delete webhooks, configure and search channel preferences, validate,
// search the delivery history, requests the gateway must refuse (unknown path, wrong method,
// wrong Content-Type), PublishEvent over gRPC (it has no REST path), and deliveries through a
// fake transport on the fake clock. Each seed makes its own orgs and users: random privileges
// among ADMINISTRATION, DEVELOPER, CAN_MANAGE_WEBHOOKS, APPLICATION_ADMINISTRATION or none,
// memberships of several orgs, one token per membership, RBAC on for odd seeds. Every secret
// (the callers' tokens except kAdminToken, webhook credentials, signing secrets, the OAuth2
// access tokens the fake receiver hands out) is a fresh marker "SeKr3t<12 hex digits>t3rKeS".
//
// A model holds each webhook's org, name, status, times and kinds of credentials, the channel
// preferences and the delivery jobs. The status of every call is predicted from it, and after
// every step these must hold (the same invariants as fuzz/engine_sequence_fuzzer.cc, here over
// HTTP):
//   1. no response gives a caller who may not act across orgs a webhook, delivery job or
//      preference of another org;
//   2. no response body, no delivery-history record and nothing written to standard error
//      (where webhookd logs) contains the start or the end of a marker, or kAdminToken;
//   3. every org has at most one webhook, as a cross-org administrator pages through them;
//   4. total_count equals the number of webhooks found by paging through all pages with the
//      same filter, and the pages hold exactly the model's webhooks in the model's order;
//   5. every status is one the endpoint documents (200 or 204, 400, 401, 403; 404, 405, 415
//      for requests the gateway refuses), and every error body has ThoughtSpot's shape.
// A failure names the seed, the step, the operation, the request and the response; a sequence
// stops at its first failure. Steps are deterministic per seed, so the failure comes back with
// that seed alone, given at least that many steps:
//   bazel test //grpc_service:rest_property_test --test_filter='*Seed3'
// (add --test_env=REST_PROPERTY_STEPS=<N> for a step past the default). REST_PROPERTY_STEPS
// (steps per seed, default 600) and REST_PROPERTY_SEEDS (run seeds 1..N, default 5) make longer
// runs. At the end the test prints "rest_property_test: N steps, M seeds" to
// stdout, with the calls made and the operations that succeeded.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/rest_types.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/fake_transport.h"

namespace webhooks {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::webhooks::testing::FakeTransport;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::RestPost;
using ::webhooks::testing::TestEnvironment;

constexpr absl::string_view kMarkerHead = "SeKr3t";
constexpr absl::string_view kMarkerTail = "t3rKeS";
constexpr absl::string_view kTokenUrl = "https://auth.example/oauth/token";
constexpr absl::Duration kRetention = absl::Hours(72);  // DeliveryOptions::history_retention.

constexpr absl::string_view kCreatePath = "/api/rest/2.0/webhooks/create";
constexpr absl::string_view kSearchPath = "/api/rest/2.0/webhooks/search";
constexpr absl::string_view kDeletePath = "/api/rest/2.0/webhooks/delete";
constexpr absl::string_view kConfigurePath =
    "/api/rest/2.0/system/preferences/communication-channels/configure";
constexpr absl::string_view kPreferencesPath =
    "/api/rest/2.0/system/preferences/communication-channels/search";
constexpr absl::string_view kValidatePath = "/api/rest/2.0/system/communication-channels/validate";
constexpr absl::string_view kHistoryPath =
    "/api/rest/2.0/jobs/history/communication-channels/search";

// --- Run length and totals ------------------------------------------------------------------

int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int value = 0;
  return text != nullptr && absl::SimpleAtoi(text, &value) && value > 0 ? value : fallback;
}

int StepsPerSeed() { return EnvInt("REST_PROPERTY_STEPS", 600); }

std::vector<uint64_t> Seeds() {
  std::vector<uint64_t> seeds;
  for (int i = 1; i <= EnvInt("REST_PROPERTY_SEEDS", 5); ++i) seeds.push_back(i);
  return seeds;
}

struct Totals {
  int64_t steps = 0;
  int64_t seeds = 0;
  int64_t calls = 0;
  absl::Duration time;
  std::map<std::string, int64_t> succeeded;  // By operation.
};

Totals& AllTotals() {
  static Totals* const totals = new Totals;
  return *totals;
}

class PrintTotals : public ::testing::Environment {
 public:
  void TearDown() override {
    const Totals& totals = AllTotals();
    std::vector<std::string> succeeded;
    for (const auto& [op, count] : totals.succeeded) {
      succeeded.push_back(absl::StrCat(op, " ", count));
    }
    std::printf("rest_property_test: %lld steps, %lld seeds (%lld calls in %s; succeeded: %s)\n",
                static_cast<long long>(totals.steps), static_cast<long long>(totals.seeds),
                static_cast<long long>(totals.calls), absl::FormatDuration(totals.time).c_str(),
                absl::StrJoin(succeeded, ", ").c_str());
    std::fflush(stdout);
  }
};

::testing::Environment* const kPrintTotals = ::testing::AddGlobalTestEnvironment(new PrintTotals);

// --- Small helpers --------------------------------------------------------------------------

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // 0 .. n-1.
  int Below(size_t n) { return static_cast<int>(engine_() % n); }
  bool Percent(int p) { return Below(100) < p; }
  template <typename T>
  const T& Of(const std::vector<T>& choices) {
    return choices[Below(choices.size())];
  }
  std::string Hex(int digits) {
    std::string out;
    for (int i = 0; i < digits; ++i) out.push_back("0123456789abcdef"[Below(16)]);
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

// Whether `text` holds any part of a secret the test made.
bool HasSecret(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  return absl::StrContains(lower, absl::AsciiStrToLower(kMarkerHead)) ||
         absl::StrContains(lower, absl::AsciiStrToLower(kMarkerTail)) ||
         absl::StrContains(text, kAdminToken);
}

std::string Quote(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string Array(const std::vector<std::string>& json_values) {
  return absl::StrCat("[", absl::StrJoin(json_values, ","), "]");
}

// A JSON object, field by field.
class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view json_value) {
    fields_.push_back(absl::StrCat(Quote(key), ":", json_value));
    return *this;
  }
  std::string Build() const { return absl::StrCat("{", absl::StrJoin(fields_, ","), "}"); }

 private:
  std::vector<std::string> fields_;
};

// Every byte outside RFC 3986's unreserved set as %XX.
std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (const char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

const Value* Field(const Struct& object, absl::string_view key) {
  const auto it = object.fields().find(std::string(key));
  return it == object.fields().end() ? nullptr : &it->second;
}
std::string Str(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->string_value() : "";
}
double Number(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->number_value() : -1;
}
// Empty for a missing or null field.
const Struct& Obj(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->struct_value() : Struct::default_instance();
}
const ListValue& List(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->list_value() : ListValue::default_instance();
}
bool IsNull(const Struct& object, absl::string_view key) {
  const Value* value = Field(object, key);
  return value != nullptr && value->kind_case() == Value::kNullValue;
}

// Empty if `body` is ThoughtSpot's error body with `code`, else what is wrong with it.
std::string ErrorShapeProblem(const std::string& body, int code) {
  Struct json;
  if (!google::protobuf::util::JsonStringToMessage(body, &json).ok()) return "not JSON";
  if (json.fields_size() != 1 || !Field(json, "error")) return "not {\"error\":...}";
  const Struct& error = Obj(json, "error");
  if (error.fields_size() != 1 || !Field(error, "message")) return "not {\"message\":...}";
  const Struct& message = Obj(error, "message");
  if (message.fields_size() != 4) return "error.message must have exactly 4 fields";
  if (Number(message, "code") != code) return absl::StrCat("code is not ", code);
  for (const char* key : {"incident_id_guid", "trace_id_guid"}) {
    if (NormalizeUuids(Str(message, key)) != "<uuid>") return absl::StrCat(key, " is no UUID");
  }
  const Value* debug = Field(message, "debug");
  if (debug == nullptr || debug->kind_case() != Value::kStringValue) return "debug is no string";
  if (!absl::StartsWith(NormalizeUuids(body),
                        absl::StrCat(R"({"error":{"message":{"code":)", code,
                                     R"(,"incident_id_guid":"<uuid>","trace_id_guid":"<uuid>",)"
                                     R"("debug":")"))) {
    return "fields out of ThoughtSpot's order";
  }
  return "";
}

int ThoughtSpotCode(int http_status) {
  switch (http_status) {
    case 401:
      return 10097;
    case 403:
      return 10023;
    case 500:
      return 10038;
    default:
      return 10002;
  }
}

// Standard error goes to a file while this lives, so the test reads what the server logs;
// Drain() returns what was written since the last call and copies it to the real stderr. The
// file is kept in the undeclared outputs if the test dies (say, a sanitizer report).
class StderrCapture {
 public:
  StderrCapture() {
    const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    path_ = absl::StrCat(outputs != nullptr ? outputs : ::testing::TempDir(),
                         "/rest_property_test.stderr.", getpid());
    std::fflush(stderr);
    saved_ = dup(2);
    file_ = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (saved_ >= 0 && file_ >= 0) dup2(file_, 2);
  }
  ~StderrCapture() {
    Drain();
    if (saved_ >= 0) {
      dup2(saved_, 2);
      close(saved_);
    }
    if (file_ >= 0) close(file_);
    unlink(path_.c_str());
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string Drain() {
    std::fflush(stderr);
    std::string text;
    char buffer[4096];
    ssize_t n;
    while (file_ >= 0 && (n = pread(file_, buffer, sizeof(buffer), offset_)) > 0) {
      text.append(buffer, n);
      offset_ += n;
    }
    for (size_t done = 0; saved_ >= 0 && done < text.size();) {
      const ssize_t written = write(saved_, text.data() + done, text.size() - done);
      if (written <= 0) break;
      done += written;
    }
    return text;
  }

 private:
  std::string path_;
  int saved_ = -1;
  int file_ = -1;
  off_t offset_ = 0;
};

// --- The model ------------------------------------------------------------------------------

struct Org {
  std::string id;
  std::string name;
};

// One token of the principals file (or one the server does not know).
struct Caller {
  std::string token;  // Empty: the request carries none.
  std::string description;
  bool known = false;
  std::string org_id;
  bool admin = false;        // ADMINISTRATION.
  bool webhooks = false;     // May manage webhooks and read the history.
  bool preferences = false;  // May configure and search channel preferences.
  bool cross_org = false;    // ADMINISTRATION in the Primary org.
};

enum class Auth { kNone, kApiKey, kBasic, kBearer, kOAuth2 };

struct Hook {
  std::string id;
  std::string org_id;
  std::string name;
  std::optional<std::string> status;  // "ENABLED" or "DISABLED" once set.
  int64_t created = 0;
  int64_t modified = 0;
  Auth auth = Auth::kNone;
  bool signature = false;
  bool storage = false;

  bool enabled() const { return !status || *status == "ENABLED"; }
};

struct Job {
  std::string org_id;
  std::string webhook_id;
  std::string webhook_name;  // When the job was made: the history filters by it.
  int64_t created = 0;
};

// The fields a search request filters and sorts by (not the page).
struct SearchFilter {
  std::optional<std::string> org;
  std::optional<std::string> webhook;
  bool event_type = false;
  std::optional<std::string> status;
  std::optional<std::string> sort_field;
  std::optional<std::string> sort_order;

  JsonObject ToJson() const {
    JsonObject json;
    if (org) json.Add("org_identifier", Quote(*org));
    if (webhook) json.Add("webhook_identifier", Quote(*webhook));
    if (event_type) json.Add("event_type", Quote("LIVEBOARD_SCHEDULE"));
    if (status) json.Add("status", Quote(*status));
    if (sort_field || sort_order) {
      JsonObject sort;
      if (sort_field) sort.Add("field_name", Quote(*sort_field));
      if (sort_order) sort.Add("order", Quote(*sort_order));
      json.Add("sort_options", sort.Build());
    }
    return json;
  }
};

// What a create or update body sets, and whether the server must accept it.
struct Draft {
  JsonObject json;
  bool parses = true;  // Protobuf's JSON parser accepts it.
  bool valid = true;   // Validation accepts it (given the credentials' "***" rules below).
  std::optional<std::string> name;
  std::optional<std::string> status;
  std::optional<Auth> auth;
  bool auth_redacted = false;  // The credential's secret is "***".
  bool signature = false;
  bool signature_redacted = false;
  bool storage = false;
  std::set<std::string> resets;
};

// --- One sequence -----------------------------------------------------------------------------

class PropertyRun {
 public:
  explicit PropertyRun(uint64_t seed)
      : seed_(seed),
        rng_(seed),
        transport_rng_(seed ^ 0x9e3779b97f4a7c15ULL),
        transport_([this](const HttpRequest& request) { return Receive(request); }) {
    const std::string principals = MakePrincipals();
    env_ = std::make_unique<TestEnvironment>(TestEnvironment::kInProcess, WebhookServerOptions{},
                                             nullptr, &transport_, principals);
    stub_ = v1::WebhookService::NewStub(env_->server().InProcessChannel());
  }

  // Runs `steps` steps (fewer after a failure); returns the steps run.
  int Run(int steps) {
    int run = 0;
    for (step_ = 1; step_ <= steps && !failed_; ++step_, ++run) {
      if (rng_.Percent(70)) env_->clock().Advance(absl::Milliseconds(rng_.Below(2000)));
      const int pick = rng_.Below(100);
      if (pick < 16) {
        Create();
      } else if (pick < 28) {
        Search();
      } else if (pick < 42) {
        Update();
      } else if (pick < 50) {
        Delete();
      } else if (pick < 56) {
        Configure();
      } else if (pick < 61) {
        SearchPreferences();
      } else if (pick < 71) {
        Publish();
      } else if (pick < 79) {
        Deliver();
      } else if (pick < 88) {
        SearchHistory();
      } else if (pick < 96) {
        Validate();
      } else {
        Refused();
      }
      if (!failed_) CheckInvariants();
    }
    return run;
  }

  int64_t calls() const { return calls_; }
  const std::map<std::string, int64_t>& succeeded() const { return succeeded_; }

 private:
  struct Reply {
    int status = 0;
    std::string body;
    Struct json;
  };

  // --- Principals ---------------------------------------------------------------------------

  std::string NewSecret() { return absl::StrCat(kMarkerHead, rng_.Hex(12), kMarkerTail); }

  // Orgs (Primary and 2 to 4 more), users (five fixed roles and 2 to 4 random ones) and one
  // token per membership; fills orgs_ and callers_ and returns the principals file.
  std::string MakePrincipals() {
    rbac_ = seed_ % 2 == 1;
    orgs_.push_back({"0", "Primary"});
    const size_t org_count = 3 + rng_.Below(3);
    while (orgs_.size() < org_count) {
      const std::string id = absl::StrCat(1000000000 + rng_.Below(1000000000));
      if (std::any_of(orgs_.begin(), orgs_.end(), [&](const Org& o) { return o.id == id; })) {
        continue;
      }
      orgs_.push_back({id, absl::StrCat("org-", orgs_.size(), "-", rng_.Hex(4))});
    }
    struct User {
      std::vector<v1::Privilege> privileges;
      std::vector<size_t> orgs;
    };
    std::vector<User> users = {
        {{v1::ADMINISTRATION}, {0, 1, 2}},  // The root administrator; kAdminToken in Primary.
        {{v1::DEVELOPER}, {1, 2}},
        {{v1::ADMINISTRATION}, {1}},  // An administrator of one org only.
        {{v1::CAN_MANAGE_WEBHOOKS, v1::APPLICATION_ADMINISTRATION}, {2}},  // Count with RBAC.
        {{}, {0, 1}},                                                      // No privilege.
    };
    const v1::Privilege kPrivileges[] = {v1::ADMINISTRATION, v1::DEVELOPER, v1::CAN_MANAGE_WEBHOOKS,
                                         v1::APPLICATION_ADMINISTRATION};
    for (int extra = 2 + rng_.Below(3); extra > 0; --extra) {
      User user;
      for (const v1::Privilege privilege : kPrivileges) {
        if (rng_.Percent(30)) user.privileges.push_back(privilege);
      }
      for (size_t org = 0; org < orgs_.size(); ++org) {
        if (rng_.Percent(40)) user.orgs.push_back(org);
      }
      if (user.orgs.empty()) user.orgs.push_back(rng_.Below(orgs_.size()));
      users.push_back(user);
    }

    std::string text = absl::StrCat("rbac_enabled: ", rbac_ ? "true" : "false", "\n");
    for (const Org& org : orgs_) {
      absl::StrAppend(&text, "orgs { id: \"", org.id, "\" name: \"", org.name, "\" }\n");
    }
    for (size_t u = 0; u < users.size(); ++u) {
      const User& user = users[u];
      absl::StrAppend(&text, "users { id: \"u", u, "\" name: \"u", u, "@example.com\"");
      std::vector<std::string> names;
      for (const v1::Privilege privilege : user.privileges) {
        absl::StrAppend(&text, " privileges: ", v1::Privilege_Name(privilege));
        names.push_back(v1::Privilege_Name(privilege));
      }
      for (const size_t org : user.orgs) {
        absl::StrAppend(&text, " org_ids: \"", orgs_[org].id, "\"");
      }
      absl::StrAppend(&text, " }\n");
      const auto has = [&](v1::Privilege privilege) {
        return std::find(user.privileges.begin(), user.privileges.end(), privilege) !=
               user.privileges.end();
      };
      for (const size_t org : user.orgs) {
        Caller caller;
        caller.token = u == 0 && org == 0 ? std::string(kAdminToken) : NewSecret();
        caller.known = true;
        caller.org_id = orgs_[org].id;
        caller.admin = has(v1::ADMINISTRATION);
        caller.webhooks =
            caller.admin || has(v1::DEVELOPER) || (rbac_ && has(v1::CAN_MANAGE_WEBHOOKS));
        caller.preferences =
            caller.admin || has(v1::DEVELOPER) || (rbac_ && has(v1::APPLICATION_ADMINISTRATION));
        caller.cross_org = caller.admin && caller.org_id == "0";
        caller.description = absl::StrCat("u", u, " [", absl::StrJoin(names, ","), "] in org ",
                                          orgs_[org].name, " (", orgs_[org].id, ")");
        absl::StrAppend(&text, "tokens { sha256: \"", TokenSha256Hex(caller.token),
                        "\" user_id: \"u", u, "\" org_id: \"", caller.org_id, "\" }\n");
        callers_.push_back(caller);
      }
    }
    root_ = callers_.front();
    principals_text_ = text;
    return text;
  }

  const Caller& PickCaller() {
    static const Caller* const kNobody = [] {
      auto* caller = new Caller;
      caller->description = "no token";
      return caller;
    }();
    const int pick = rng_.Below(100);
    if (pick < 2) return *kNobody;
    if (pick < 5) {
      stranger_.token = NewSecret();
      stranger_.description = "an unknown token";
      return stranger_;
    }
    return rng_.Of(callers_);
  }

  // --- The fake receiver --------------------------------------------------------------------

  // Answers every delivery, validation and OAuth2 token request; may run on a gRPC thread
  // (validation), while the test thread waits for the call.
  absl::StatusOr<HttpResponse> Receive(const HttpRequest& request) {
    absl::MutexLock lock(&transport_mu_);
    HttpResponse response;
    if (absl::StartsWith(request.url, kTokenUrl)) {
      if (transport_rng_.Percent(80)) {
        response.status = 200;
        response.body = absl::StrCat(R"({"access_token":")", kMarkerHead, transport_rng_.Hex(12),
                                     kMarkerTail, R"(","token_type":"Bearer","expires_in":600})");
      } else {
        response.status = 401;
        response.body = R"({"error":"invalid_client"})";
      }
      return response;
    }
    switch (transport_rng_.Below(10)) {
      case 0:
        response.status = 500;
        response.body = "receiver broke";
        return response;
      case 1:
        response.status = 410;
        response.body = "gone";
        return response;
      case 2:
        response.status = 429;
        response.headers.emplace_back("Retry-After", "30");
        return response;
      case 3:
        response.status = 401;
        response.body = "who are you";
        return response;
      case 4:
        return absl::UnavailableError("connection refused");
      default:
        response.status = 200;
        response.body = "ok";
        return response;
    }
  }

  // --- Calls and checks ---------------------------------------------------------------------

  void Fail(absl::string_view what, absl::string_view detail = "") {
    if (failed_) return;
    failed_ = true;
    ADD_FAILURE() << "seed " << seed_ << ", step " << step_ << ", " << op_ << ": " << what << "\n"
                  << detail << "\nprincipals file of this seed:\n"
                  << principals_text_;
  }

  static std::set<int> Documented(const RestRequest& request) {
    constexpr absl::string_view kUpdatePrefix = "/api/rest/2.0/webhooks/";
    constexpr absl::string_view kUpdateSuffix = "/update";
    const absl::string_view path = request.target;
    const bool update =
        path.size() > kUpdatePrefix.size() + kUpdateSuffix.size() &&
        absl::StartsWith(path, kUpdatePrefix) && absl::EndsWith(path, kUpdateSuffix) &&
        !absl::StrContains(path.substr(kUpdatePrefix.size(),
                                       path.size() - kUpdatePrefix.size() - kUpdateSuffix.size()),
                           '/');
    const bool empty_reply = path == kConfigurePath || update;
    const bool routed = empty_reply || path == kCreatePath || path == kSearchPath ||
                        path == kDeletePath || path == kPreferencesPath || path == kValidatePath ||
                        path == kHistoryPath;
    if (!routed) return {404};
    if (request.method != "POST") return {405};
    return {empty_reply ? 204 : 200, 400, 401, 403, 415};
  }

  // Sends `request`; checks invariants 2 and 5 on the answer and that its status is
  // `expected`. False (after a failure) if any check fails.
  bool Call(const RestRequest& request, int expected, Reply* reply) {
    const RestResponse response = env_->server().gateway().Handle(request);
    ++calls_;
    reply->status = response.status;
    reply->body = response.body;
    reply->json.Clear();
    const std::string exchange =
        absl::StrCat(request.method, " ", request.target, " ", request.body, "\n-> HTTP ",
                     response.status, " ", response.body);
    for (const auto& [name, value] : response.headers) {
      if (HasSecret(value)) Fail("a secret reached a response header", exchange);
    }
    if (HasSecret(response.body)) Fail("a secret reached the response body", exchange);
    if (Documented(request).count(response.status) == 0) {
      Fail("the status is not one the endpoint documents", exchange);
    }
    if (response.status != expected) {
      Fail(absl::StrCat("expected HTTP ", expected, ", model says so"), exchange);
    }
    if (response.status >= 400) {
      const std::string problem =
          ErrorShapeProblem(response.body, ThoughtSpotCode(response.status));
      if (!problem.empty()) Fail(absl::StrCat("not ThoughtSpot's error body: ", problem), exchange);
    } else if (response.status == 204) {
      if (!response.body.empty()) Fail("a 204 with a body", exchange);
    } else if (response.Header("Content-Type") != "application/json" ||
               !google::protobuf::util::JsonStringToMessage(response.body, &reply->json).ok()) {
      Fail("a 200 without a JSON body", exchange);
    }
    last_exchange_ = exchange;
    return !failed_;
  }

  void Succeeded(const std::string& op) { ++succeeded_[op]; }

  int64_t NowMillis() const { return absl::ToUnixMillis(env_->clock().Now()); }

  bool Sees(const Caller& caller, const std::string& org_id) const {
    return caller.cross_org || org_id == caller.org_id;
  }

  const Org* FindOrg(const std::string& identifier) const {
    for (const Org& org : orgs_) {
      if (org.id == identifier) return &org;
    }
    for (const Org& org : orgs_) {
      if (org.name == identifier) return &org;
    }
    return nullptr;
  }

  // The org `identifier` names if `caller` may act on it (the engine's ResolveOrg).
  const Org* ResolveOrg(const Caller& caller, const std::string& identifier) const {
    const Org* org = FindOrg(identifier);
    return org != nullptr && Sees(caller, org->id) ? org : nullptr;
  }

  // The webhooks `caller` sees whose id, or else whose name, is `identifier`.
  std::vector<const Hook*> FindVisible(const Caller& caller, const std::string& identifier) const {
    if (const auto it = hooks_.find(identifier);
        it != hooks_.end() && Sees(caller, it->second.org_id)) {
      return {&it->second};
    }
    std::vector<const Hook*> found;
    for (const auto& [id, hook] : hooks_) {
      if (hook.name == identifier && Sees(caller, hook.org_id)) found.push_back(&hook);
    }
    return found;
  }

  const Hook* HookOfOrg(const std::string& org_id) const {
    for (const auto& [id, hook] : hooks_) {
      if (hook.org_id == org_id) return &hook;
    }
    return nullptr;
  }

  bool WebhookChannelOn(const std::string& org_id) const {
    const auto it = org_channels_.find(org_id);
    const std::vector<std::string>& channels =
        it != org_channels_.end() ? it->second : cluster_channels_;
    return std::find(channels.begin(), channels.end(), "WEBHOOK") != channels.end();
  }

  // The webhooks a search by `caller` with `filter` finds, in the order of the answer.
  std::vector<const Hook*> ExpectedSearch(const Caller& caller, const SearchFilter& filter) const {
    std::optional<std::string> org_scope;
    if (filter.org) {
      org_scope = ResolveOrg(caller, *filter.org)->id;
    } else if (!caller.cross_org) {
      org_scope = caller.org_id;
    }
    std::vector<const Hook*> found;
    if (filter.webhook) {
      found = FindVisible(caller, *filter.webhook);
    } else {
      for (const auto& [id, hook] : hooks_) {
        if (Sees(caller, hook.org_id)) found.push_back(&hook);
      }
    }
    found.erase(
        std::remove_if(found.begin(), found.end(),
                       [&](const Hook* hook) {
                         return (org_scope && hook->org_id != *org_scope) ||
                                (filter.status && hook->enabled() != (*filter.status == "ENABLED"));
                       }),
        found.end());
    const std::string field = filter.sort_field.value_or("CREATED");
    const auto key = [&field](const Hook* hook) {
      if (field == "NAME") {
        return std::make_tuple(int64_t{0}, absl::AsciiStrToLower(hook->name), hook->id);
      }
      return std::make_tuple(field == "MODIFIED" ? hook->modified : hook->created, std::string(),
                             hook->id);
    };
    std::sort(found.begin(), found.end(),
              [&](const Hook* a, const Hook* b) { return key(a) < key(b); });
    if (filter.sort_order.value_or("DESC") == "DESC") std::reverse(found.begin(), found.end());
    return found;
  }

  // Checks one webhook of a response against the model and the caller's view (invariant 1).
  void CheckWebhook(const Caller& caller, const Struct& webhook, absl::string_view where) {
    const std::string id = Str(webhook, "id");
    const std::string org_id = Str(Obj(webhook, "org"), "id");
    if (!Sees(caller, org_id)) {
      Fail(absl::StrCat(where, " gave ", caller.description, " a webhook of org ", org_id),
           last_exchange_);
      return;
    }
    const Struct& auth = Obj(webhook, "authentication");
    const std::string secrets[] = {Str(auth, "BEARER_TOKEN"), Str(Obj(auth, "API_KEY"), "value"),
                                   Str(Obj(auth, "BASIC_AUTH"), "password"),
                                   Str(Obj(auth, "OAUTH2"), "client_secret"),
                                   Str(Obj(webhook, "signature_verification"), "secret")};
    for (const std::string& secret : secrets) {
      if (!secret.empty() && secret != "***") Fail("a secret not shown as ***", last_exchange_);
    }
    const auto it = hooks_.find(id);
    if (it == hooks_.end()) {
      Fail(absl::StrCat(where, " shows webhook ", id, ", which the model does not have"),
           last_exchange_);
      return;
    }
    const Hook& hook = it->second;
    const std::string status = IsNull(webhook, "status") ? "" : Str(webhook, "status");
    if (org_id != hook.org_id || Str(webhook, "name") != hook.name ||
        status != hook.status.value_or("") ||
        Number(webhook, "creation_time_in_millis") != hook.created ||
        Number(webhook, "modification_time_in_millis") != hook.modified ||
        IsNull(webhook, "authentication") != (hook.auth == Auth::kNone) ||
        IsNull(webhook, "signature_verification") != !hook.signature ||
        IsNull(webhook, "storage_destination") != !hook.storage) {
      Fail(absl::StrCat(where, " shows webhook ", id, " unlike the model (org ", hook.org_id,
                        ", name '", hook.name, "', status '", hook.status.value_or(""),
                        "', created ", hook.created, ", modified ", hook.modified, ")"),
           last_exchange_);
    }
  }

  // Pages through a search by `caller` with `filter`, `page_size` records at a time, and
  // checks invariants 1 and 4. Returns the webhooks found, in order.
  std::vector<Struct> PageThrough(const Caller& caller, const SearchFilter& filter, int page_size) {
    std::vector<Struct> all;
    std::set<std::string> seen;
    int64_t total = -1;
    for (int offset = 0; !failed_; offset += page_size) {
      JsonObject body = filter.ToJson();
      body.Add("record_offset", absl::StrCat(offset)).Add("record_size", absl::StrCat(page_size));
      Reply page;
      if (!Call(RestPost(kSearchPath, body.Build(), caller.token), 200, &page)) break;
      const Struct& pagination = Obj(page.json, "pagination");
      if (total < 0) total = static_cast<int64_t>(Number(pagination, "total_count"));
      const ListValue& webhooks = List(page.json, "webhooks");
      if (Number(pagination, "total_count") != total ||
          Number(pagination, "record_offset") != offset ||
          Number(pagination, "record_size") != page_size || webhooks.values_size() > page_size ||
          (Field(pagination, "has_more") == nullptr) ||
          Field(pagination, "has_more")->bool_value() !=
              (offset + webhooks.values_size() < total)) {
        Fail("pagination inconsistent while paging", last_exchange_);
        break;
      }
      for (const Value& webhook : webhooks.values()) {
        CheckWebhook(caller, webhook.struct_value(), "paging");
        if (!seen.insert(Str(webhook.struct_value(), "id")).second) {
          Fail("paging found a webhook twice", last_exchange_);
        }
        all.push_back(webhook.struct_value());
      }
      if (!Field(pagination, "has_more")->bool_value()) break;
      if (webhooks.values_size() == 0) Fail("has_more with an empty page", last_exchange_);
    }
    if (failed_) return all;
    if (static_cast<int64_t>(all.size()) != total) {
      Fail(absl::StrCat("total_count ", total, " but paging by ", page_size, " found ", all.size(),
                        " for ", caller.description),
           last_exchange_);
    }
    return all;
  }

  // Checks that `found` (all pages of a search by `caller` with `filter`) holds the model's
  // webhooks in the model's order.
  void CheckAgainstModel(const Caller& caller, const SearchFilter& filter,
                         const std::vector<Struct>& found) {
    if (failed_) return;
    std::vector<std::string> want, got;
    for (const Hook* hook : ExpectedSearch(caller, filter)) want.push_back(hook->id);
    for (const Struct& webhook : found) got.push_back(Str(webhook, "id"));
    if (want != got) {
      Fail(absl::StrCat("paging found [", absl::StrJoin(got, ", "), "] but the model has [",
                        absl::StrJoin(want, ", "), "] for ", caller.description),
           last_exchange_);
    }
  }

  // After every step: invariants 1, 3 and 4 for the root administrator and one rotating
  // caller; invariant 2 for what was logged.
  void CheckInvariants() {
    const std::string logged = stderr_.Drain();
    if (HasSecret(logged)) {
      op_ += " (logs)";
      Fail("a secret was logged", logged);
      return;
    }
    static const std::vector<std::string> kFields = {"CREATED", "MODIFIED", "NAME"};
    SearchFilter filter;
    filter.sort_field = kFields[step_ % 3];
    filter.sort_order = step_ % 2 == 0 ? "ASC" : "DESC";
    op_ = absl::StrCat("invariants after step ", step_);
    const std::vector<Struct> all = PageThrough(root_, filter, 1 + step_ % 3);
    std::map<std::string, int> per_org;
    for (const Struct& webhook : all) {
      const std::string org = Str(Obj(webhook, "org"), "id");
      if (++per_org[org] > 1) Fail(absl::StrCat("org ", org, " has two webhooks"), last_exchange_);
    }
    CheckAgainstModel(root_, filter, all);
    const Caller& caller = callers_[step_ % callers_.size()];
    if (failed_) return;
    if (caller.webhooks) {
      CheckAgainstModel(caller, filter, PageThrough(caller, filter, 2));
    } else {
      Reply reply;
      Call(RestPost(kSearchPath, "{}", caller.token), 403, &reply);
    }
  }

  // --- Generators ---------------------------------------------------------------------------

  std::string PickName(bool* valid) {
    static const std::vector<std::string> kNames = {
        "hook", "Hook", "shared", "reports", "a b", "x/y?z%", "\303\234bersicht", "Alpha", "zeta"};
    *valid = true;
    switch (rng_.Below(20)) {
      case 0:
        *valid = false;
        return "";
      case 1:
        *valid = false;
        return std::string(257, 'n');
      case 2:
        *valid = false;
        return "two\nlines";
      case 3:
        if (!ids_ever_.empty()) return rng_.Of(ids_ever_);  // A name that is another's id.
        return "hook";
      case 4:
      case 5:
        return absl::StrCat("hook-", rng_.Below(50));
      default:
        return rng_.Of(kNames);
    }
  }

  std::string PickUrl(bool* valid) {
    static const std::vector<std::string> kGood = {
        "https://r.example/hook", "http://r.example:8080/in?x=1", "HTTPS://R.EXAMPLE/UP",
        "https://[2001:db8::1]:8443/h"};
    static const std::vector<std::string> kBad = {"ftp://r.example/",
                                                  "https://",
                                                  "not a url",
                                                  "https://u:p@r.example/",
                                                  "https://r.example:0/",
                                                  "https://r .example/",
                                                  ""};
    *valid = rng_.Percent(85);
    return *valid ? rng_.Of(kGood) : rng_.Of(kBad);
  }

  // A secret: usually a fresh marker; sometimes "***" (`*redacted`) or one validation refuses.
  std::string PickSecret(bool* valid, bool* redacted) {
    *valid = true;
    *redacted = false;
    const int pick = rng_.Below(100);
    if (pick < 8) {
      *redacted = true;
      return "***";
    }
    if (pick < 11) {
      *valid = false;
      return "";
    }
    if (pick < 14) {
      *valid = false;
      return absl::StrCat(kMarkerHead, rng_.Hex(4), "\r\n", rng_.Hex(4), kMarkerTail);
    }
    if (pick < 16) {
      *valid = false;
      return absl::StrCat(NewSecret(), std::string(4096, 'x'));
    }
    return NewSecret();
  }

  // The JSON of an `authentication` object; sets the draft's auth fields.
  std::string PickAuthentication(Draft* draft) {
    bool valid = true;
    bool redacted = false;
    const std::string secret = PickSecret(&valid, &redacted);
    const int kind = rng_.Below(20);
    JsonObject json;
    if (kind < 4) {
      draft->auth = Auth::kApiKey;
      const bool good_key = rng_.Percent(90);
      valid = valid && good_key;
      json.Add("API_KEY", JsonObject()
                              .Add("key", Quote(good_key ? "X-API-Key" : "Bad Header"))
                              .Add("value", Quote(secret))
                              .Build());
    } else if (kind < 8) {
      draft->auth = Auth::kBasic;
      const bool good_user = rng_.Percent(90);
      valid = valid && good_user;
      json.Add("BASIC_AUTH", JsonObject()
                                 .Add("username", Quote(good_user ? "svc" : "svc:ops"))
                                 .Add("password", Quote(secret))
                                 .Build());
    } else if (kind < 13) {
      draft->auth = Auth::kBearer;
      json.Add("BEARER_TOKEN", Quote(secret));
    } else if (kind < 18) {
      draft->auth = Auth::kOAuth2;
      const bool good_url = rng_.Percent(90);
      valid = valid && good_url;
      json.Add("OAUTH2", JsonObject()
                             .Add("authorization_url", Quote(good_url ? kTokenUrl : "nope"))
                             .Add("client_id", Quote("client"))
                             .Add("client_secret", Quote(secret))
                             .Build());
    } else if (kind < 19) {
      draft->auth = Auth::kNone;  // {}: no kind at all.
      valid = false;
    } else {
      // Two kinds: protobuf's parser refuses a second member of the oneof.
      draft->auth = Auth::kBearer;
      draft->parses = false;
      json.Add("BEARER_TOKEN", Quote(secret))
          .Add(
              "API_KEY",
              JsonObject().Add("key", Quote("X-API-Key")).Add("value", Quote(NewSecret())).Build());
    }
    draft->valid = draft->valid && valid;
    draft->auth_redacted = redacted;
    return json.Build();
  }

  std::string PickSignature(Draft* draft) {
    bool valid = true;
    bool redacted = false;
    const std::string secret = PickSecret(&valid, &redacted);
    const bool good_type = rng_.Percent(95);
    const bool good_header = rng_.Percent(90);
    draft->valid = draft->valid && valid && good_type && good_header;
    draft->signature = true;
    draft->signature_redacted = redacted;
    return JsonObject()
        .Add("type", Quote(good_type ? "HMAC_SHA256" : "SIGNATURE_TYPE_UNSPECIFIED"))
        .Add("header", Quote(good_header ? "X-Webhook-Signature" : "Bad Header"))
        .Add("algorithm", Quote("SHA256"))
        .Add("secret", Quote(secret))
        .Build();
  }

  // An AWS S3 destination (the only storage type every version of the server takes).
  std::string PickStorage(Draft* draft) {
    draft->storage = true;
    const bool good_arn = rng_.Percent(90);
    draft->valid = draft->valid && good_arn;
    JsonObject s3;
    s3.Add("bucket_name", Quote("reports"))
        .Add("region", Quote("us-west-2"))
        .Add("role_arn", Quote(good_arn ? "arn:aws:iam::123456789012:role/Hooks" : "nope"));
    if (rng_.Percent(50)) s3.Add("external_id", Quote("ts-webhook-1"));
    if (rng_.Percent(50)) s3.Add("path_prefix", Quote("webhook-deliveries/"));
    return JsonObject()
        .Add("storage_type", Quote("AWS_S3"))
        .Add("storage_config", JsonObject().Add("aws_s3_config", s3.Build()).Build())
        .Build();
  }

  std::string PickStatus(Draft* draft) {
    const int pick = rng_.Below(10);
    if (pick == 0) {
      draft->valid = false;
      draft->status = "WEBHOOK_STATUS_UNSPECIFIED";
    } else {
      draft->status = pick < 6 ? "ENABLED" : "DISABLED";
    }
    return Quote(*draft->status);
  }

  // Sometimes puts a stray token right after the first secret of `body`, so protobuf's parser
  // refuses it there (its message used to quote the body around that place: a secret).
  void MaybeBreakSyntax(std::string* body, Draft* draft) {
    const bool draw = rng_.Percent(4);
    const size_t secret_end = body->find(absl::StrCat(kMarkerTail, "\""));
    if (!draw || secret_end == std::string::npos) return;
    body->insert(secret_end + kMarkerTail.size() + 1, " x");
    draft->parses = false;
  }

  // An id or name of a webhook: the caller's own, another org's, a deleted one, or none.
  std::string PickIdentifier(const Caller& caller) {
    const Hook* own = HookOfOrg(caller.org_id);
    std::vector<const Hook*> all;
    for (const auto& [id, hook] : hooks_) all.push_back(&hook);
    switch (rng_.Below(10)) {
      case 0:
      case 1:
        if (own != nullptr) return own->id;
        [[fallthrough]];
      case 2:
      case 3:
        if (!all.empty()) return rng_.Of(all)->id;
        [[fallthrough]];
      case 4:
        if (own != nullptr) return own->name;
        [[fallthrough]];
      case 5:
        if (!all.empty()) return rng_.Of(all)->name;
        [[fallthrough]];
      case 6:
        if (!ids_ever_.empty()) return rng_.Of(ids_ever_);
        [[fallthrough]];
      case 7:
        if (!names_ever_.empty()) return rng_.Of(names_ever_);
        [[fallthrough]];
      case 8:
        return "no-such-webhook";
      default:
        return absl::StrFormat("00000000-0000-4000-8000-%012d", 1 + rng_.Below(100));
    }
  }

  std::string PickOrgIdentifier(const Caller& caller) {
    const int pick = rng_.Below(20);
    const Org* own = FindOrg(caller.org_id);
    if (pick < 5 && own != nullptr) return pick < 3 ? own->id : own->name;
    if (pick < 16) return rng_.Percent(60) ? rng_.Of(orgs_).id : rng_.Of(orgs_).name;
    if (pick < 18) return "nowhere";
    if (pick < 19) return "";
    return "PRIMARY";  // Org names match exactly.
  }

  std::string PickChannels(std::vector<std::string>* normalized) {
    std::vector<std::string> channels;
    if (rng_.Percent(40)) channels.push_back("EMAIL");
    if (rng_.Percent(75)) channels.push_back("WEBHOOK");
    if (rng_.Percent(10)) channels.push_back("EMAIL");               // Repeats are dropped.
    std::set<std::string> unique(channels.begin(), channels.end());  // EMAIL < WEBHOOK.
    normalized->assign(unique.begin(), unique.end());
    std::vector<std::string> quoted;
    for (const std::string& channel : channels) quoted.push_back(Quote(channel));
    return Array(quoted);
  }

  // --- Operations ---------------------------------------------------------------------------

  void Create() {
    const Caller& caller = PickCaller();
    Draft draft;
    bool valid = true;
    draft.name = PickName(&valid);
    draft.valid = valid;
    draft.json.Add("name", Quote(*draft.name));
    if (rng_.Percent(30)) {
      const bool long_text = rng_.Percent(5);
      draft.valid = draft.valid && !long_text;
      draft.json.Add("description",
                     Quote(long_text ? std::string(2049, 'd') : "Webhook for Liveboard schedule"));
    }
    const std::string url = PickUrl(&valid);
    draft.valid = draft.valid && valid;
    draft.json.Add("url", Quote(url));
    if (rng_.Percent(20)) {
      const bool good = rng_.Percent(85);
      draft.valid = draft.valid && good;
      draft.json.Add("url_params", good ? R"({"team":"a b","v":"1"})" : R"({"":"x"})");
    }
    const int events = rng_.Below(100);
    if (events < 85) {
      draft.json.Add("events", R"(["LIVEBOARD_SCHEDULE"])");
    } else if (events < 89) {
      draft.valid = false;
      draft.json.Add("events", "[]");
    } else if (events < 92) {
      draft.valid = false;  // No events at all.
    } else if (events < 96) {
      draft.valid = false;
      draft.json.Add("events", R"(["LIVEBOARD_SCHEDULE","LIVEBOARD_SCHEDULE"])");
    } else {
      draft.parses = false;
      draft.json.Add("events", R"(["KPI_ALERT"])");
    }
    if (rng_.Percent(55)) draft.json.Add("authentication", PickAuthentication(&draft));
    if (draft.auth_redacted) draft.valid = false;  // Nothing stored to keep.
    if (rng_.Percent(40)) draft.json.Add("signature_verification", PickSignature(&draft));
    if (draft.signature_redacted) draft.valid = false;
    if (rng_.Percent(10)) draft.json.Add("storage_destination", PickStorage(&draft));
    if (rng_.Percent(20)) {
      const int pick = rng_.Below(20);
      draft.valid = draft.valid && pick >= 4;
      draft.json.Add("additional_headers",
                     pick == 0   ? R"([{"key":"Host","value":"x"}])"
                     : pick == 1 ? R"([{"key":"Bad Header","value":"x"}])"
                     : pick == 2 ? R"([{"key":"X-Team","value":"a"},{"key":"x-team","value":"b"}])"
                     : pick == 3 ? R"([{"key":"X-Team","value":"two\nlines"}])"
                     : pick == 4 ? "[]"
                                 : R"([{"key":"X-Team","value":"analytics"}])");
    }
    if (rng_.Percent(25)) draft.json.Add("status", PickStatus(&draft));
    if (rng_.Percent(3)) {
      // Create has no org_identifier: a webhook belongs to the caller's org context.
      draft.parses = false;
      draft.json.Add("org_identifier", Quote(PickOrgIdentifier(caller)));
    }
    std::string body = draft.json.Build();
    if (rng_.Percent(3)) {
      draft.parses = false;
      body = body.substr(0, 1 + rng_.Below(body.size() - 1));  // Cut short: not JSON.
    }
    MaybeBreakSyntax(&body, &draft);
    op_ = absl::StrCat("create as ", caller.description);

    int expected = 200;
    if (!draft.parses) {
      expected = 400;
    } else if (!caller.known) {
      expected = 401;
    } else if (!caller.webhooks) {
      expected = 403;
    } else if (!draft.valid || HookOfOrg(caller.org_id) != nullptr ||
               !WebhookChannelOn(caller.org_id)) {
      expected = 400;
    }
    Reply reply;
    if (!Call(RestPost(kCreatePath, body, caller.token), expected, &reply) || expected != 200) {
      return;
    }
    Hook hook;
    hook.id = Str(reply.json, "id");
    hook.org_id = caller.org_id;
    hook.name = *draft.name;
    hook.status = draft.status;
    hook.created = hook.modified = NowMillis();
    hook.auth = draft.auth.value_or(Auth::kNone);
    hook.signature = draft.signature;
    hook.storage = draft.storage;
    if (hook.id.empty() || hooks_.count(hook.id) != 0) {
      Fail("create answered no new id", last_exchange_);
      return;
    }
    hooks_[hook.id] = hook;
    ids_ever_.push_back(hook.id);
    names_ever_.push_back(hook.name);
    CheckWebhook(caller, reply.json, "create");
    Succeeded("create");
  }

  void Update() {
    const Caller& caller = PickCaller();
    const std::string identifier = rng_.Percent(3) ? "" : PickIdentifier(caller);
    Draft draft;
    bool valid = true;
    if (rng_.Percent(25)) {
      draft.name = PickName(&valid);
      draft.valid = draft.valid && valid;
      draft.json.Add("name", Quote(*draft.name));
    }
    if (rng_.Percent(10)) draft.json.Add("description", Quote("changed"));
    if (rng_.Percent(20)) {
      draft.json.Add("url", Quote(PickUrl(&valid)));
      draft.valid = draft.valid && valid;
    }
    if (rng_.Percent(10)) {
      const int pick = rng_.Below(10);
      draft.valid = draft.valid && pick >= 2;
      draft.json.Add("url_params", pick == 0   ? R"({"v":5})"
                                   : pick == 1 ? R"({"":"x"})"
                                   : pick < 6  ? "{}"
                                               : R"({"v":"2"})");
    }
    if (rng_.Percent(10)) {
      const int pick = rng_.Below(10);
      draft.valid = draft.valid && pick != 0;
      draft.json.Add("events", pick == 0  ? R"(["LIVEBOARD_SCHEDULE","LIVEBOARD_SCHEDULE"])"
                               : pick < 4 ? "[]"  // Unchanged.
                                          : R"(["LIVEBOARD_SCHEDULE"])");
    }
    if (rng_.Percent(25)) draft.json.Add("authentication", PickAuthentication(&draft));
    if (rng_.Percent(20)) draft.json.Add("signature_verification", PickSignature(&draft));
    if (rng_.Percent(5)) draft.json.Add("storage_destination", PickStorage(&draft));
    if (rng_.Percent(10)) {
      const int pick = rng_.Below(10);
      draft.valid = draft.valid && pick >= 3;
      draft.json.Add("additional_headers", pick == 0   ? R"([{"key":"X-Team"}])"
                                           : pick == 1 ? R"(["X-Team"])"
                                           : pick == 2 ? R"([{"key":"Content-Length","value":"1"}])"
                                           : pick < 6  ? "[]"
                                                       : R"([{"key":"X-Team","value":"ops"}])");
    }
    if (rng_.Percent(20)) draft.json.Add("status", PickStatus(&draft));
    if (rng_.Percent(15)) {
      static const std::vector<std::string> kResets = {"AUTHENTICATION", "SIGNATURE_VERIFICATION",
                                                       "STORAGE_DESTINATION"};
      std::vector<std::string> quoted;
      for (int n = 1 + rng_.Below(2); n > 0; --n) {
        if (rng_.Percent(4)) {
          draft.parses = false;
          quoted.push_back(Quote("EVERYTHING"));
          continue;
        }
        const std::string& reset = rng_.Of(kResets);
        draft.resets.insert(reset);
        quoted.push_back(Quote(reset));
      }
      draft.json.Add("reset_options", Array(quoted));
    }
    if (rng_.Percent(3)) draft.json.Add("webhook_identifier", Quote("ignored"));  // The path wins.
    std::string body = draft.json.Build();
    MaybeBreakSyntax(&body, &draft);
    const std::string path =
        absl::StrCat("/api/rest/2.0/webhooks/", PercentEncode(identifier), "/update");
    op_ = absl::StrCat("update '", identifier, "' as ", caller.description);

    int expected = 204;
    const Hook* target = nullptr;
    if (identifier.empty()) {
      expected = 404;  // "/webhooks//update" is no route.
    } else if (!draft.parses) {
      expected = 400;
    } else if (!caller.known) {
      expected = 401;
    } else if (!caller.webhooks) {
      expected = 403;
    } else {
      const std::vector<const Hook*> found = FindVisible(caller, identifier);
      if (found.size() != 1) {
        expected = 400;  // Not found, or a name several visible orgs use.
      } else {
        target = found.front();
        const bool conflict =
            (draft.resets.count("AUTHENTICATION") != 0 && draft.auth) ||
            (draft.resets.count("SIGNATURE_VERIFICATION") != 0 && draft.signature) ||
            (draft.resets.count("STORAGE_DESTINATION") != 0 && draft.storage);
        // "***" keeps the stored secret of the same kind of configuration; else it is refused.
        const bool auth_ok = !draft.auth_redacted || (draft.auth && *draft.auth == target->auth);
        const bool signature_ok = !draft.signature_redacted || target->signature;
        if (conflict || !draft.valid || !auth_ok || !signature_ok) expected = 400;
      }
    }
    Reply reply;
    if (!Call(RestPost(path, body, caller.token), expected, &reply) || expected != 204) {
      return;
    }
    Hook& hook = hooks_[target->id];
    if (draft.name) {
      hook.name = *draft.name;
      names_ever_.push_back(hook.name);
    }
    if (draft.status) hook.status = draft.status;
    if (draft.resets.count("AUTHENTICATION") != 0) hook.auth = Auth::kNone;
    if (draft.resets.count("SIGNATURE_VERIFICATION") != 0) hook.signature = false;
    if (draft.resets.count("STORAGE_DESTINATION") != 0) hook.storage = false;
    if (draft.auth) hook.auth = *draft.auth;
    if (draft.signature) hook.signature = true;
    if (draft.storage) hook.storage = true;
    hook.modified = NowMillis();
    Succeeded("update");
  }

  void Delete() {
    const Caller& caller = PickCaller();
    std::vector<std::string> identifiers;
    for (int n = rng_.Percent(5) ? 0 : 1 + rng_.Below(4); n > 0; --n) {
      identifiers.push_back(rng_.Percent(5) ? "" : PickIdentifier(caller));
    }
    std::vector<std::string> quoted;
    for (const std::string& identifier : identifiers) quoted.push_back(Quote(identifier));
    const std::string body = JsonObject().Add("webhook_identifiers", Array(quoted)).Build();
    op_ = absl::StrCat("delete as ", caller.description);

    const int expected = !caller.known         ? 401
                         : !caller.webhooks    ? 403
                         : identifiers.empty() ? 400
                                               : 200;
    Reply reply;
    if (!Call(RestPost(kDeletePath, body, caller.token), expected, &reply) || expected != 200) {
      return;
    }
    // One at a time, as the engine does: a repeated identifier finds nothing the second time.
    std::vector<std::string> deleted;
    int failed = 0;
    for (const std::string& identifier : identifiers) {
      const std::vector<const Hook*> found =
          identifier.empty() ? std::vector<const Hook*>{} : FindVisible(caller, identifier);
      if (found.size() != 1) {
        ++failed;
        continue;
      }
      deleted.push_back(found.front()->id);
      hooks_.erase(found.front()->id);
    }
    std::vector<std::string> got;
    for (const Value& webhook : List(reply.json, "deleted_webhooks").values()) {
      const std::string org = Str(Obj(webhook.struct_value(), "org"), "id");
      if (!Sees(caller, org)) {
        Fail(absl::StrCat("delete gave ", caller.description, " a webhook of org ", org),
             last_exchange_);
      }
      got.push_back(Str(webhook.struct_value(), "id"));
    }
    if (got != deleted || Number(reply.json, "deleted_count") != deleted.size() ||
        Number(reply.json, "failed_count") != failed ||
        List(reply.json, "failed_webhooks").values_size() != failed) {
      Fail(absl::StrCat("delete removed [", absl::StrJoin(got, ", "), "]; the model removes [",
                        absl::StrJoin(deleted, ", "), "] and fails ", failed),
           last_exchange_);
    }
    if (!deleted.empty()) Succeeded("delete");
  }

  void Search() {
    const Caller& caller = PickCaller();
    static const std::vector<std::string> kFields = {"CREATED", "MODIFIED", "NAME"};
    SearchFilter filter;
    if (rng_.Percent(25)) filter.org = PickOrgIdentifier(caller);
    if (rng_.Percent(20)) filter.webhook = rng_.Percent(5) ? "" : PickIdentifier(caller);
    filter.event_type = rng_.Percent(15);
    if (rng_.Percent(15)) filter.status = rng_.Percent(50) ? "ENABLED" : "DISABLED";
    if (rng_.Percent(40)) filter.sort_field = rng_.Of(kFields);
    if (rng_.Percent(40)) filter.sort_order = rng_.Percent(50) ? "ASC" : "DESC";
    std::optional<int> offset;
    std::optional<int> size;
    if (rng_.Percent(40)) offset = rng_.Below(7) - 1;
    if (rng_.Percent(40)) size = std::vector<int>{0, 1, 2, 3, 50, 5000}[rng_.Below(6)];
    JsonObject body = filter.ToJson();
    if (offset) body.Add("record_offset", absl::StrCat(*offset));
    if (size) body.Add("record_size", absl::StrCat(*size));
    op_ = absl::StrCat("search as ", caller.description);

    int expected = 200;
    if (!caller.known) {
      expected = 401;
    } else if (!caller.webhooks) {
      expected = 403;
    } else if (offset.value_or(0) < 0 || size.value_or(50) < 1 ||
               (filter.webhook && filter.webhook->empty()) ||
               (filter.org && ResolveOrg(caller, *filter.org) == nullptr)) {
      expected = 400;
    }
    Reply reply;
    if (!Call(RestPost(kSearchPath, body.Build(), caller.token), expected, &reply) ||
        expected != 200) {
      return;
    }
    const std::vector<const Hook*> all = ExpectedSearch(caller, filter);
    const int served = std::min(size.value_or(50), 1000);
    std::vector<std::string> want, got;
    for (size_t i = offset.value_or(0); i < all.size() && want.size() < size_t(served); ++i) {
      want.push_back(all[i]->id);
    }
    for (const Value& webhook : List(reply.json, "webhooks").values()) {
      CheckWebhook(caller, webhook.struct_value(), "search");
      got.push_back(Str(webhook.struct_value(), "id"));
    }
    const Struct& pagination = Obj(reply.json, "pagination");
    if (got != want || Number(pagination, "total_count") != all.size() ||
        Number(pagination, "record_offset") != offset.value_or(0) ||
        Number(pagination, "record_size") != served || Field(pagination, "has_more") == nullptr ||
        Field(pagination, "has_more")->bool_value() !=
            (offset.value_or(0) + got.size() < all.size())) {
      Fail(absl::StrCat("search found [", absl::StrJoin(got, ", "), "] of ", all.size(),
                        "; the model has [", absl::StrJoin(want, ", "), "]"),
           last_exchange_);
      return;
    }
    // Invariant 4 with this filter.
    CheckAgainstModel(caller, filter, PageThrough(caller, filter, 1 + rng_.Below(3)));
    Succeeded("search");
  }

  void Configure() {
    const Caller& caller = PickCaller();
    bool valid = true;
    JsonObject body;
    std::optional<std::vector<std::string>> cluster;
    // Per org entry: the org (if it resolves) and its channels (REPLACE) or none (RESET).
    std::vector<std::pair<const Org*, std::optional<std::vector<std::string>>>> changes;
    if (rng_.Percent(30)) {
      std::vector<std::string> channels;
      std::string entry = JsonObject()
                              .Add("event_type", Quote("LIVEBOARD_SCHEDULE"))
                              .Add("channels", PickChannels(&channels))
                              .Build();
      cluster = channels;
      const int pick = rng_.Below(20);
      if (pick == 0) {
        valid = false;
        entry = Array({entry, entry});
      } else if (pick == 1) {
        valid = false;
        entry = Array({R"({"event_type":"EVENT_TYPE_UNSPECIFIED","channels":["EMAIL"]})"});
      } else {
        entry = Array({entry});
      }
      body.Add("cluster_preferences", entry);
    }
    std::vector<std::string> entries;
    for (int n = rng_.Below(3); n > 0; --n) {
      const std::string org = PickOrgIdentifier(caller);
      const Org* resolved = ResolveOrg(caller, org);
      valid = valid && resolved != nullptr;
      JsonObject entry;
      entry.Add("org_identifier", Quote(org));
      const int operation = rng_.Below(10);
      const bool reset = operation >= 8;
      if (operation >= 6) entry.Add("operation", Quote(reset ? "RESET" : "REPLACE"));
      std::vector<std::string> channels;
      const std::string preferences = Array({JsonObject()
                                                 .Add("event_type", Quote("LIVEBOARD_SCHEDULE"))
                                                 .Add("channels", PickChannels(&channels))
                                                 .Build()});
      const std::string reset_events = R"(["LIVEBOARD_SCHEDULE"])";
      const int shape = rng_.Below(20);  // 0: the required list missing; 1: the other one too.
      if (shape != 0) {
        entry.Add(reset ? "reset_events" : "preferences", reset ? reset_events : preferences);
      }
      if (shape == 1) {
        entry.Add(reset ? "preferences" : "reset_events", reset ? preferences : reset_events);
      }
      valid = valid && shape >= 2;
      changes.emplace_back(
          resolved, reset ? std::nullopt : std::optional<std::vector<std::string>>(channels));
      entries.push_back(entry.Build());
    }
    if (!entries.empty()) body.Add("org_preferences", Array(entries));
    op_ = absl::StrCat("configure preferences as ", caller.description);

    const int expected = !caller.known              ? 401
                         : !caller.preferences      ? 403
                         : cluster && !caller.admin ? 403
                         : !valid                   ? 400
                                                    : 204;
    Reply reply;
    if (!Call(RestPost(kConfigurePath, body.Build(), caller.token), expected, &reply) ||
        expected != 204) {
      return;
    }
    if (cluster) cluster_channels_ = *cluster;
    for (const auto& [org, channels] : changes) {
      if (channels) {
        org_channels_[org->id] = *channels;
      } else {
        org_channels_.erase(org->id);
      }
    }
    Succeeded("configure");
  }

  void SearchPreferences() {
    const Caller& caller = PickCaller();
    JsonObject body;
    const int pick = rng_.Below(10);
    const bool cluster = pick >= 5 && pick < 7;
    std::optional<std::string> org;
    if (cluster) body.Add("cluster_preferences", R"(["LIVEBOARD_SCHEDULE"])");
    if (pick >= 7) {
      org = PickOrgIdentifier(caller);
      JsonObject query;
      query.Add("org_identifier", Quote(*org));
      if (rng_.Percent(50)) query.Add("event_types", R"(["LIVEBOARD_SCHEDULE"])");
      body.Add("org_preferences", Array({query.Build()}));
    }
    op_ = absl::StrCat("search preferences as ", caller.description);

    const Org* resolved = org ? ResolveOrg(caller, *org) : nullptr;
    const int expected = !caller.known                ? 401
                         : !caller.preferences        ? 403
                         : cluster && !caller.admin   ? 403
                         : org && resolved == nullptr ? 400
                                                      : 200;
    Reply reply;
    if (!Call(RestPost(kPreferencesPath, body.Build(), caller.token), expected, &reply) ||
        expected != 200) {
      return;
    }
    // The orgs answered for, each with the channels of its override (if any).
    std::map<std::string, std::string> want, got;
    const auto channels_json = [](const std::vector<std::string>& channels) {
      return absl::StrJoin(channels, ",");
    };
    std::vector<const Org*> orgs;
    if (resolved != nullptr) {
      orgs.push_back(resolved);
    } else if (!cluster) {
      for (const Org& each : orgs_) {
        if (Sees(caller, each.id)) orgs.push_back(&each);
      }
    }
    for (const Org* each : orgs) {
      const auto it = org_channels_.find(each->id);
      want[each->id] = it == org_channels_.end() ? "-" : channels_json(it->second);
    }
    for (const Value& entry : List(reply.json, "org_preferences").values()) {
      const std::string id = Str(Obj(entry.struct_value(), "org"), "id");
      if (!Sees(caller, id)) {
        Fail(absl::StrCat("preferences of org ", id, " given to ", caller.description),
             last_exchange_);
        return;
      }
      const ListValue& preferences = List(entry.struct_value(), "preferences");
      std::vector<std::string> channels;
      for (const Value& preference : preferences.values()) {
        for (const Value& channel : List(preference.struct_value(), "channels").values()) {
          channels.push_back(channel.string_value());
        }
      }
      got[id] = preferences.values_size() == 0 ? "-" : channels_json(channels);
    }
    std::string want_cluster = "none";
    if (cluster || (pick < 5 && caller.admin)) want_cluster = channels_json(cluster_channels_);
    std::string got_cluster = "none";
    for (const Value& entry : List(reply.json, "cluster_preferences").values()) {
      std::vector<std::string> channels;
      for (const Value& channel : List(entry.struct_value(), "channels").values()) {
        channels.push_back(channel.string_value());
      }
      got_cluster = channels_json(channels);
    }
    if (want != got || want_cluster != got_cluster) {
      Fail("preferences differ from the model", last_exchange_);
      return;
    }
    Succeeded("search preferences");
  }

  void Publish() {
    const Caller& caller = PickCaller();
    v1::PublishEventRequest request;
    std::optional<std::string> org;
    if (rng_.Percent(50)) {
      org = PickOrgIdentifier(caller);
      request.set_org_identifier(*org);
    }
    v1::LiveboardScheduleRun& run = *request.mutable_run();
    run.mutable_schedule()->set_scheduleid(absl::StrCat("sch-", rng_.Below(3)));
    run.mutable_schedule()->set_name("Daily report");
    run.set_liveboard_id("lb-1");
    const bool good_run = rng_.Percent(95);
    run.set_liveboard_name(good_run ? "Sales" : "");
    if (rng_.Percent(30)) {
      v1::RecipientInfo* recipient = run.add_recipients();
      recipient->set_type("EXTERNAL_EMAIL");
      recipient->set_email("ops@example.com");
    }
    if (rng_.Percent(20)) {
      v1::EventFile* file = request.add_files();
      file->set_name("sales.csv");
      file->set_mime_type("text/csv");
      file->set_content("region,total\nEMEA,42\n");
    }
    op_ = absl::StrCat("publish (gRPC) as ", caller.description, " for org '",
                       org.value_or("(own)"), "'");

    const Org* target = org ? ResolveOrg(caller, *org) : FindOrg(caller.org_id);
    grpc::StatusCode expected = grpc::StatusCode::OK;
    if (!caller.known) {
      expected = grpc::StatusCode::UNAUTHENTICATED;
    } else if (!caller.admin) {
      expected = grpc::StatusCode::PERMISSION_DENIED;
    } else if (target == nullptr || !good_run) {
      expected = grpc::StatusCode::INVALID_ARGUMENT;
    }
    grpc::ClientContext context;
    if (!caller.token.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", caller.token));
    }
    v1::PublishEventResponse response;
    const grpc::Status status = stub_->PublishEvent(&context, request, &response);
    ++calls_;
    last_exchange_ =
        absl::StrCat("PublishEvent ", request.ShortDebugString(), "\n-> ", status.error_code(), " ",
                     status.error_message(), " ", response.ShortDebugString());
    if (HasSecret(status.error_message()) || HasSecret(response.DebugString())) {
      Fail("a secret reached the PublishEvent answer", last_exchange_);
      return;
    }
    if (status.error_code() != expected) {
      Fail(absl::StrCat("expected gRPC code ", expected), last_exchange_);
      return;
    }
    if (!status.ok()) return;
    const Hook* hook = HookOfOrg(target->id);
    const auto want = hook == nullptr                 ? v1::PublishEventResponse::NO_WEBHOOK
                      : !hook->enabled()              ? v1::PublishEventResponse::WEBHOOK_DISABLED
                      : !WebhookChannelOn(target->id) ? v1::PublishEventResponse::CHANNEL_OFF
                                                      : v1::PublishEventResponse::QUEUED;
    if (response.outcome() != want) {
      Fail(absl::StrCat("expected outcome ", v1::PublishEventResponse::Outcome_Name(want)),
           last_exchange_);
      return;
    }
    if (want != v1::PublishEventResponse::QUEUED) return;
    if (response.job_id().empty() || jobs_.count(response.job_id()) != 0) {
      Fail("QUEUED without a new job id", last_exchange_);
      return;
    }
    jobs_[response.job_id()] = {hook->org_id, hook->id, hook->name, NowMillis()};
    history_to_check_.insert(hook->id);
    Succeeded("publish");
  }

  void Deliver() {
    static const std::vector<absl::Duration> kWaits = {
        absl::ZeroDuration(), absl::Seconds(1), absl::Minutes(2), absl::Minutes(10),
        absl::Minutes(30),    absl::Hours(2),   absl::Hours(5),   absl::Hours(30)};
    const absl::Duration wait = rng_.Of(kWaits);
    op_ = absl::StrCat("deliver after ", absl::FormatDuration(wait));
    env_->clock().Advance(wait);
    const size_t before = transport_.request_count();
    env_->engine().RunDueDeliveries();
    const int64_t cutoff = NowMillis() - absl::ToInt64Milliseconds(kRetention);
    for (const auto& [id, job] : jobs_) {
      if (job.created > cutoff) history_to_check_.insert(job.webhook_id);
    }
    CheckHistory();
    if (transport_.request_count() > before) Succeeded("deliver");
  }

  // Checks one history answer: every job known, of an org the caller sees, newest first.
  void CheckJobs(const Caller& caller, const Reply& reply,
                 const std::function<bool(const std::string&, const Job&)>& matches) {
    int64_t previous = std::numeric_limits<int64_t>::max();
    for (const Value& value : List(reply.json, "jobs").values()) {
      const Struct& job = value.struct_value();
      const std::string id = Str(job, "id");
      const auto it = jobs_.find(id);
      if (it == jobs_.end()) {
        Fail(absl::StrCat("the history shows job ", id, ", which the model does not have"),
             last_exchange_);
        return;
      }
      if (!Sees(caller, it->second.org_id)) {
        Fail(absl::StrCat("the history gave ", caller.description, " a job of org ",
                          it->second.org_id),
             last_exchange_);
        return;
      }
      if (!matches(id, it->second)) {
        Fail(absl::StrCat("the history shows job ", id, ", which the filter excludes"),
             last_exchange_);
        return;
      }
      const int64_t created = static_cast<int64_t>(Number(job, "creation_time_in_millis"));
      if (created != it->second.created || created > previous) {
        Fail("history jobs not newest first, or with another creation time", last_exchange_);
        return;
      }
      previous = created;
    }
  }

  // Invariant 2 for the delivery history: every job of the webhooks in history_to_check_, as
  // the root administrator sees them; all jobs younger than the retention must be there.
  void CheckHistory() {
    const int64_t cutoff = NowMillis() - absl::ToInt64Milliseconds(kRetention);
    for (const std::string& webhook_id : history_to_check_) {
      const std::string body =
          absl::StrCat(R"({"channel_type":"WEBHOOK","channel_identifiers":[)", Quote(webhook_id),
                       R"(],"events":[{"type":"LIVEBOARD_SCHEDULE"}]})");
      Reply reply;
      if (!Call(RestPost(kHistoryPath, body, root_.token), 200, &reply)) return;
      CheckJobs(root_, reply, [&](const std::string&, const Job& job) {
        return job.webhook_id == webhook_id || job.webhook_name == webhook_id;
      });
      std::set<std::string> got;
      for (const Value& job : List(reply.json, "jobs").values()) {
        got.insert(Str(job.struct_value(), "id"));
      }
      for (const auto& [id, job] : jobs_) {
        if (job.webhook_id == webhook_id && job.created > cutoff && got.count(id) == 0) {
          Fail(absl::StrCat("job ", id, " is missing from the history"), last_exchange_);
          return;
        }
      }
    }
    history_to_check_.clear();
  }

  void SearchHistory() {
    const Caller& caller = PickCaller();
    JsonObject body;
    const int type = rng_.Below(100);
    bool valid = type < 94;
    if (type < 94) {
      body.Add("channel_type", Quote("WEBHOOK"));
    } else if (type < 97) {
      body.Add("channel_type", Quote("EMAIL"));
    }
    std::optional<std::string> job_id;
    std::optional<std::string> channel;
    const int shape = rng_.Below(100);
    if (shape < 35) {
      std::vector<std::string> ids;
      for (const auto& [id, job] : jobs_) ids.push_back(id);
      job_id = !ids.empty() && rng_.Percent(85) ? rng_.Of(ids) : "n.no-such-job";
      body.Add("job_ids", Array({Quote(*job_id)}));
      if (rng_.Percent(10)) body.Add("channel_status", Quote("SUCCESS"));  // Ignored.
    } else if (shape < 90) {
      channel = PickIdentifier(caller);
      body.Add("channel_identifiers", Array({Quote(*channel)}));
      JsonObject entry;
      entry.Add("type", Quote("LIVEBOARD_SCHEDULE"));
      if (rng_.Percent(30)) entry.Add("identifier", Quote(absl::StrCat("sch-", rng_.Below(3))));
      body.Add("events", Array({entry.Build()}));
      if (rng_.Percent(20)) {
        static const std::vector<std::string> kStatuses = {"PENDING", "RETRY", "SUCCESS", "FAILED"};
        body.Add("channel_status", Quote(rng_.Of(kStatuses)));
      }
    } else if (shape < 95) {
      valid = false;
      body.Add("job_ids", R"(["n.a","n.b"])");
    } else {
      valid = false;
      body.Add("channel_identifiers", Array({Quote(PickIdentifier(caller))}));
    }
    op_ = absl::StrCat("search history as ", caller.description);

    const int expected = !caller.known ? 401 : !caller.webhooks ? 403 : !valid ? 400 : 200;
    Reply reply;
    if (!Call(RestPost(kHistoryPath, body.Build(), caller.token), expected, &reply) ||
        expected != 200) {
      return;
    }
    CheckJobs(caller, reply, [&](const std::string& id, const Job& job) {
      if (job_id) return id == *job_id;
      return job.webhook_id == *channel || job.webhook_name == *channel;
    });
    if (job_id && !failed_) {
      const auto it = jobs_.find(*job_id);
      const bool want = it != jobs_.end() && Sees(caller, it->second.org_id) &&
                        it->second.created > NowMillis() - absl::ToInt64Milliseconds(kRetention);
      if (want && List(reply.json, "jobs").values_size() != 1) {
        Fail(absl::StrCat("job ", *job_id, " is missing from the history"), last_exchange_);
      }
    }
    if (List(reply.json, "jobs").values_size() > 0) Succeeded("search history");
  }

  void Validate() {
    const Caller& caller = PickCaller();
    const std::string identifier = rng_.Percent(4) ? "" : PickIdentifier(caller);
    JsonObject body;
    const bool typed = rng_.Percent(95);
    if (typed) body.Add("channel_type", Quote("WEBHOOK"));
    body.Add("channel_identifier", Quote(identifier))
        .Add("event_type", Quote("LIVEBOARD_SCHEDULE"));
    op_ = absl::StrCat("validate '", identifier, "' as ", caller.description);

    const std::vector<const Hook*> found = FindVisible(caller, identifier);
    const int expected = !caller.known                                       ? 401
                         : !caller.webhooks                                  ? 403
                         : !typed || identifier.empty() || found.size() != 1 ? 400
                                                                             : 200;
    Reply reply;
    if (!Call(RestPost(kValidatePath, body.Build(), caller.token), expected, &reply) ||
        expected != 200) {
      return;
    }
    const Hook& hook = *found.front();
    const std::string job_id = Str(reply.json, "job_id");
    if (Str(reply.json, "channel_id") != hook.id || job_id.empty() || jobs_.count(job_id) != 0) {
      Fail("validate answered for another webhook, or without a new job id", last_exchange_);
      return;
    }
    jobs_[job_id] = {hook.org_id, hook.id, hook.name, NowMillis()};
    history_to_check_.insert(hook.id);
    CheckHistory();
    Succeeded("validate");
  }

  // Requests the gateway refuses before any call: unknown path, wrong method, not JSON.
  void Refused() {
    const Caller& caller = PickCaller();
    RestRequest request = RestPost(kSearchPath, "{}", caller.token);
    int expected = 404;
    switch (rng_.Below(3)) {
      case 0:
        request.target = "/api/rest/2.0/webhooks/storage-configs";
        op_ = "unknown path";
        break;
      case 1:
        request.method = "GET";
        expected = 405;
        op_ = "GET search";
        break;
      default:
        request.headers["content-type"] = "text/plain";
        request.body = absl::StrCat(R"({"webhook_identifier":")", NewSecret(), R"("})");
        expected = 415;
        op_ = "search with text/plain";
        break;
    }
    Reply reply;
    Call(request, expected, &reply);
  }

  const uint64_t seed_;
  Rng rng_;
  absl::Mutex transport_mu_;
  Rng transport_rng_ ABSL_GUARDED_BY(transport_mu_);
  FakeTransport transport_;
  StderrCapture stderr_;
  std::unique_ptr<TestEnvironment> env_;
  std::unique_ptr<v1::WebhookService::Stub> stub_;

  bool rbac_ = false;
  std::vector<Org> orgs_;
  std::vector<Caller> callers_;  // callers_[0] (root_) is kAdminToken.
  Caller root_;
  Caller stranger_;
  std::string principals_text_;

  // The model.
  std::map<std::string, Hook> hooks_;                        // By id.
  std::vector<std::string> cluster_channels_ = {"WEBHOOK"};  // DefaultChannelPreferences().
  std::map<std::string, std::vector<std::string>> org_channels_;
  std::map<std::string, Job> jobs_;  // By job id.
  std::vector<std::string> ids_ever_;
  std::vector<std::string> names_ever_;
  std::set<std::string> history_to_check_;  // Webhook ids.

  int step_ = 0;
  std::string op_;
  std::string last_exchange_;
  bool failed_ = false;
  int64_t calls_ = 0;
  std::map<std::string, int64_t> succeeded_;
};

class RestPropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RestPropertyTest, RandomCallSequencesKeepTheInvariants) {
  const absl::Time start = absl::Now();
  PropertyRun run(GetParam());
  const int steps = run.Run(StepsPerSeed());
  Totals& totals = AllTotals();
  totals.steps += steps;
  totals.seeds += 1;
  totals.calls += run.calls();
  totals.time += absl::Now() - start;
  for (const auto& [op, count] : run.succeeded()) totals.succeeded[op] += count;
}

INSTANTIATE_TEST_SUITE_P(Seeds, RestPropertyTest, ::testing::ValuesIn(Seeds()),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return absl::StrCat("Seed", info.param);
                         });

}  // namespace
}  // namespace webhooks
