// Checks of single answers in the REST property test; see checks.h.
#include "grpc_service/rest_property/checks.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpc_service/rest_property/json.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace rest_property {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::webhooks::testing::kAdminToken;
using ::webhooks::testing::NormalizeUuids;

bool HasSecret(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  return absl::StrContains(lower, absl::AsciiStrToLower(kMarkerHead)) ||
         absl::StrContains(lower, absl::AsciiStrToLower(kMarkerTail)) ||
         absl::StrContains(text, kAdminToken);
}

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

std::set<int> DocumentedStatuses(const RestRequest& request) {
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

Checker::Checker(uint64_t seed, const Model* model, std::vector<testing::TestEnvironment*> servers)
    : seed_(seed), model_(*model), servers_(std::move(servers)) {}

int64_t Checker::NowMillis() const { return absl::ToUnixMillis(servers_[0]->clock().Now()); }

void Checker::Fail(absl::string_view what, absl::string_view detail) {
  if (failed_) return;
  failed_ = true;
  ADD_FAILURE() << "seed " << seed_ << ", step " << step_ << ", " << operation_ << ": " << what
                << "\n"
                << detail << "\nprincipals file of this seed:\n"
                << model_.principals().text;
}

// --- Calls ------------------------------------------------------------------------------------

bool Checker::Call(const RestRequest& request, int expected, Reply* reply) {
  const RestResponse response =
      servers_[calls_ % servers_.size()]->server().gateway().Handle(request);
  ++calls_;
  reply->status = response.status;
  reply->body = response.body;
  reply->json.Clear();
  const std::string exchange = absl::StrCat(request.method, " ", request.target, " ", request.body,
                                            "\n-> HTTP ", response.status, " ", response.body);
  for (const auto& [name, value] : response.headers) {
    if (HasSecret(value)) Fail("a secret reached a response header", exchange);
  }
  if (HasSecret(response.body)) Fail("a secret reached the response body", exchange);
  if (DocumentedStatuses(request).count(response.status) == 0) {
    Fail("the status is not one the endpoint documents", exchange);
  }
  if (response.status != expected) {
    Fail(absl::StrCat("expected HTTP ", expected, ", model says so"), exchange);
  }
  if (response.status >= 400) {
    const std::string problem = ErrorShapeProblem(response.body, ThoughtSpotCode(response.status));
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

bool Checker::CheckPublishAnswer(const v1::PublishEventRequest& request, const grpc::Status& status,
                                 const v1::PublishEventResponse& response,
                                 grpc::StatusCode expected) {
  ++calls_;
  last_exchange_ =
      absl::StrCat("PublishEvent ", request.ShortDebugString(), "\n-> ", status.error_code(), " ",
                   status.error_message(), " ", response.ShortDebugString());
  if (HasSecret(status.error_message()) || HasSecret(response.DebugString())) {
    Fail("a secret reached the PublishEvent answer", last_exchange_);
    return false;
  }
  if (status.error_code() != expected) {
    Fail(absl::StrCat("expected gRPC code ", expected), last_exchange_);
    return false;
  }
  return true;
}

bool Checker::CheckPublishOutcome(const v1::PublishEventResponse& response,
                                  v1::PublishEventResponse::Outcome want) {
  if (response.outcome() != want) {
    Fail(absl::StrCat("expected outcome ", v1::PublishEventResponse::Outcome_Name(want)),
         last_exchange_);
    return false;
  }
  if (want != v1::PublishEventResponse::QUEUED) return true;
  if (response.job_id().empty() || model_.jobs().count(response.job_id()) != 0) {
    Fail("QUEUED without a new job id", last_exchange_);
    return false;
  }
  return true;
}

// --- Webhooks ---------------------------------------------------------------------------------

void Checker::CheckWebhook(const Caller& caller, const Struct& webhook, absl::string_view where) {
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
  const Hook* found = model_.FindHook(id);
  if (found == nullptr) {
    Fail(absl::StrCat(where, " shows webhook ", id, ", which the model does not have"),
         last_exchange_);
    return;
  }
  const Hook& hook = *found;
  const std::string status = IsNull(webhook, "status") ? "" : Str(webhook, "status");
  if (org_id != hook.org_id || Str(webhook, "name") != hook.name ||
      status != hook.status.value_or("") ||
      Number(webhook, "creation_time_in_millis") != hook.created ||
      Number(webhook, "modification_time_in_millis") != hook.modified ||
      IsNull(webhook, "authentication") != (hook.auth == Auth::kNone) ||
      IsNull(webhook, "signature_verification") != !hook.signature ||
      IsNull(webhook, "storage_destination") != !hook.storage) {
    Fail(absl::StrCat(where, " shows webhook ", id, " unlike the model (org ", hook.org_id,
                      ", name '", hook.name, "', status '", hook.status.value_or(""), "', created ",
                      hook.created, ", modified ", hook.modified, ")"),
         last_exchange_);
  }
}

bool Checker::CheckNewWebhookId(const std::string& id) {
  if (id.empty() || model_.FindHook(id) != nullptr) {
    Fail("create answered no new id", last_exchange_);
    return false;
  }
  return true;
}

bool Checker::CheckSearchAnswer(const Caller& caller, const SearchFilter& filter,
                                std::optional<int> offset, std::optional<int> size,
                                const Reply& reply) {
  const std::vector<const Hook*> all = model_.ExpectedSearch(caller, filter);
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
    return false;
  }
  return true;
}

void Checker::CheckDeleteAnswer(const Caller& caller, const Reply& reply,
                                const DeleteOutcome& want) {
  std::vector<std::string> got;
  for (const Value& webhook : List(reply.json, "deleted_webhooks").values()) {
    const std::string org = Str(Obj(webhook.struct_value(), "org"), "id");
    if (!Sees(caller, org)) {
      Fail(absl::StrCat("delete gave ", caller.description, " a webhook of org ", org),
           last_exchange_);
    }
    got.push_back(Str(webhook.struct_value(), "id"));
  }
  if (got != want.deleted || Number(reply.json, "deleted_count") != want.deleted.size() ||
      Number(reply.json, "failed_count") != want.failed ||
      List(reply.json, "failed_webhooks").values_size() != want.failed) {
    Fail(absl::StrCat("delete removed [", absl::StrJoin(got, ", "), "]; the model removes [",
                      absl::StrJoin(want.deleted, ", "), "] and fails ", want.failed),
         last_exchange_);
  }
}

// --- Preferences and deliveries ---------------------------------------------------------------

bool Checker::CheckPreferencesAnswer(const Caller& caller, const Reply& reply,
                                     const PreferencesAnswer& want) {
  std::map<std::string, std::string> got;
  for (const Value& entry : List(reply.json, "org_preferences").values()) {
    const std::string id = Str(Obj(entry.struct_value(), "org"), "id");
    if (!Sees(caller, id)) {
      Fail(absl::StrCat("preferences of org ", id, " given to ", caller.description),
           last_exchange_);
      return false;
    }
    const ListValue& preferences = List(entry.struct_value(), "preferences");
    std::vector<std::string> channels;
    for (const Value& preference : preferences.values()) {
      for (const Value& channel : List(preference.struct_value(), "channels").values()) {
        channels.push_back(channel.string_value());
      }
    }
    got[id] = preferences.values_size() == 0 ? "-" : absl::StrJoin(channels, ",");
  }
  std::string got_cluster = "none";
  for (const Value& entry : List(reply.json, "cluster_preferences").values()) {
    std::vector<std::string> channels;
    for (const Value& channel : List(entry.struct_value(), "channels").values()) {
      channels.push_back(channel.string_value());
    }
    got_cluster = absl::StrJoin(channels, ",");
  }
  if (want.orgs != got || want.cluster != got_cluster) {
    Fail("preferences differ from the model", last_exchange_);
    return false;
  }
  return true;
}

bool Checker::CheckValidateAnswer(const Reply& reply, const Hook& hook) {
  const std::string job_id = Str(reply.json, "job_id");
  if (Str(reply.json, "channel_id") != hook.id || job_id.empty() ||
      model_.jobs().count(job_id) != 0) {
    Fail("validate answered for another webhook, or without a new job id", last_exchange_);
    return false;
  }
  return true;
}

void Checker::CheckJobs(const Caller& caller, const Reply& reply,
                        const std::function<bool(const std::string&, const Job&)>& matches) {
  int64_t previous = std::numeric_limits<int64_t>::max();
  for (const Value& value : List(reply.json, "jobs").values()) {
    const Struct& job = value.struct_value();
    const std::string id = Str(job, "id");
    const auto it = model_.jobs().find(id);
    if (it == model_.jobs().end()) {
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

void Checker::CheckHistoryAnswer(const Caller& caller, const Reply& reply,
                                 const std::optional<std::string>& job_id,
                                 const std::optional<std::string>& channel) {
  CheckJobs(caller, reply, [&](const std::string& id, const Job& job) {
    if (job_id) return id == *job_id;
    return job.webhook_id == *channel || job.webhook_name == *channel;
  });
  if (job_id && !failed_) {
    const auto it = model_.jobs().find(*job_id);
    const bool want = it != model_.jobs().end() && Sees(caller, it->second.org_id) &&
                      it->second.created > NowMillis() - absl::ToInt64Milliseconds(kRetention);
    if (want && List(reply.json, "jobs").values_size() != 1) {
      Fail(absl::StrCat("job ", *job_id, " is missing from the history"), last_exchange_);
    }
  }
}

}  // namespace rest_property
}  // namespace webhooks
