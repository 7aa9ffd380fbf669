// The invariants of the REST property test that take more than one call; see invariants.h.
#include "grpc_service/rest_property/invariants.h"

#include <cstdint>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "grpc_service/rest_property/json.h"
#include "grpc_service/test_environment.h"

namespace webhooks {
namespace rest_property {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::webhooks::testing::RestPost;

std::vector<Struct> Invariants::PageThrough(const Caller& caller, const SearchFilter& filter,
                                            int page_size) {
  std::vector<Struct> all;
  std::set<std::string> seen;
  int64_t total = -1;
  for (int offset = 0; !checker_.failed(); offset += page_size) {
    JsonObject body = filter.ToJson();
    body.Add("record_offset", absl::StrCat(offset)).Add("record_size", absl::StrCat(page_size));
    Reply page;
    if (!checker_.Call(RestPost(kSearchPath, body.Build(), caller.token), 200, &page)) break;
    const Struct& pagination = Obj(page.json, "pagination");
    if (total < 0) total = static_cast<int64_t>(Number(pagination, "total_count"));
    const ListValue& webhooks = List(page.json, "webhooks");
    if (Number(pagination, "total_count") != total ||
        Number(pagination, "record_offset") != offset ||
        Number(pagination, "record_size") != page_size || webhooks.values_size() > page_size ||
        (Field(pagination, "has_more") == nullptr) ||
        Field(pagination, "has_more")->bool_value() != (offset + webhooks.values_size() < total)) {
      checker_.Fail("pagination inconsistent while paging", checker_.last_exchange());
      break;
    }
    for (const Value& webhook : webhooks.values()) {
      checker_.CheckWebhook(caller, webhook.struct_value(), "paging");
      if (!seen.insert(Str(webhook.struct_value(), "id")).second) {
        checker_.Fail("paging found a webhook twice", checker_.last_exchange());
      }
      all.push_back(webhook.struct_value());
    }
    if (!Field(pagination, "has_more")->bool_value()) break;
    if (webhooks.values_size() == 0) {
      checker_.Fail("has_more with an empty page", checker_.last_exchange());
    }
  }
  if (checker_.failed()) return all;
  if (static_cast<int64_t>(all.size()) != total) {
    checker_.Fail(absl::StrCat("total_count ", total, " but paging by ", page_size, " found ",
                               all.size(), " for ", caller.description),
                  checker_.last_exchange());
  }
  return all;
}

void Invariants::CheckAgainstModel(const Caller& caller, const SearchFilter& filter,
                                   const std::vector<Struct>& found) {
  if (checker_.failed()) return;
  std::vector<std::string> want, got;
  for (const Hook* hook : model_.ExpectedSearch(caller, filter)) want.push_back(hook->id);
  for (const Struct& webhook : found) got.push_back(Str(webhook, "id"));
  if (want != got) {
    checker_.Fail(absl::StrCat("paging found [", absl::StrJoin(got, ", "), "] but the model has [",
                               absl::StrJoin(want, ", "), "] for ", caller.description),
                  checker_.last_exchange());
  }
}

void Invariants::CheckAfterStep(int step, const std::string& logged) {
  if (HasSecret(logged)) {
    checker_.set_operation(absl::StrCat(checker_.operation(), " (logs)"));
    checker_.Fail("a secret was logged", logged);
    return;
  }
  static const std::vector<std::string> kFields = {"CREATED", "MODIFIED", "NAME"};
  SearchFilter filter;
  filter.sort_field = kFields[step % 3];
  filter.sort_order = step % 2 == 0 ? "ASC" : "DESC";
  checker_.set_operation(absl::StrCat("invariants after step ", step));
  const Caller& root = model_.root();
  const std::vector<Struct> all = PageThrough(root, filter, 1 + step % 3);
  std::map<std::string, int> per_org;
  for (const Struct& webhook : all) {
    const std::string org = Str(Obj(webhook, "org"), "id");
    if (++per_org[org] > 1) {
      checker_.Fail(absl::StrCat("org ", org, " has two webhooks"), checker_.last_exchange());
    }
  }
  CheckAgainstModel(root, filter, all);
  const Caller& caller = model_.callers()[step % model_.callers().size()];
  if (checker_.failed()) return;
  if (caller.webhooks) {
    CheckAgainstModel(caller, filter, PageThrough(caller, filter, 2));
  } else {
    Reply reply;
    checker_.Call(RestPost(kSearchPath, "{}", caller.token), 403, &reply);
  }
}

void Invariants::WatchHistory(const std::string& webhook_id) {
  history_to_check_.insert(webhook_id);
}

void Invariants::WatchRecentJobs() {
  const int64_t cutoff = checker_.NowMillis() - absl::ToInt64Milliseconds(kRetention);
  for (const auto& [id, job] : model_.jobs()) {
    if (job.created > cutoff) history_to_check_.insert(job.webhook_id);
  }
}

void Invariants::CheckHistory() {
  const int64_t cutoff = checker_.NowMillis() - absl::ToInt64Milliseconds(kRetention);
  const Caller& root = model_.root();
  for (const std::string& webhook_id : history_to_check_) {
    const std::string body =
        absl::StrCat(R"({"channel_type":"WEBHOOK","channel_identifiers":[)", Quote(webhook_id),
                     R"(],"events":[{"type":"LIVEBOARD_SCHEDULE"}]})");
    Reply reply;
    if (!checker_.Call(RestPost(kHistoryPath, body, root.token), 200, &reply)) return;
    checker_.CheckJobs(root, reply, [&](const std::string&, const Job& job) {
      return job.webhook_id == webhook_id || job.webhook_name == webhook_id;
    });
    std::set<std::string> got;
    for (const Value& job : List(reply.json, "jobs").values()) {
      got.insert(Str(job.struct_value(), "id"));
    }
    for (const auto& [id, job] : model_.jobs()) {
      if (job.webhook_id == webhook_id && job.created > cutoff && got.count(id) == 0) {
        checker_.Fail(absl::StrCat("job ", id, " is missing from the history"),
                      checker_.last_exchange());
        return;
      }
    }
  }
  history_to_check_.clear();
}

}  // namespace rest_property
}  // namespace webhooks
