// Random requests of the REST property test, one kind per operation; see requests.h. The
// order of the draws in each function is the test's sequence: keep it.
#include "grpc_service/rest_property/requests.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc_service/rest_property/json.h"
#include "grpc_service/test_environment.h"

namespace webhooks {
namespace rest_property {

using ::webhooks::testing::RestPost;

CreateRequest RandomCreate(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  Draft draft;
  bool valid = true;
  draft.name = generator.PickName(&valid);
  draft.valid = valid;
  draft.json.Add("name", Quote(*draft.name));
  if (rng.Percent(30)) {
    const bool long_text = rng.Percent(5);
    draft.valid = draft.valid && !long_text;
    draft.json.Add("description",
                   Quote(long_text ? std::string(2049, 'd') : "Webhook for Liveboard schedule"));
  }
  const std::string url = generator.PickUrl(&valid);
  draft.valid = draft.valid && valid;
  draft.json.Add("url", Quote(url));
  if (rng.Percent(20)) {
    const bool good = rng.Percent(85);
    draft.valid = draft.valid && good;
    draft.json.Add("url_params", good ? R"({"team":"a b","v":1,"on":true})" : R"({"":"x"})");
  }
  const int events = rng.Below(100);
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
  if (rng.Percent(55)) draft.json.Add("authentication", generator.PickAuthentication(&draft));
  if (draft.auth_redacted) draft.valid = false;  // Nothing stored to keep.
  if (rng.Percent(40)) draft.json.Add("signature_verification", generator.PickSignature(&draft));
  if (draft.signature_redacted) draft.valid = false;
  if (rng.Percent(10)) draft.json.Add("storage_destination", generator.PickStorage(&draft));
  if (rng.Percent(20)) {
    const int pick = rng.Below(20);
    draft.valid = draft.valid && pick >= 4;
    draft.json.Add("additional_headers",
                   pick == 0   ? R"([{"key":"Host","value":"x"}])"
                   : pick == 1 ? R"([{"key":"Bad Header","value":"x"}])"
                   : pick == 2 ? R"([{"key":"X-Team","value":"a"},{"key":"x-team","value":"b"}])"
                   : pick == 3 ? R"([{"key":"X-Team","value":"two\nlines"}])"
                   : pick == 4 ? "[]"
                               : R"([{"key":"X-Team","value":"analytics"}])");
  }
  if (rng.Percent(25)) draft.json.Add("status", generator.PickStatus(&draft));
  if (rng.Percent(3)) {
    // Create has no org_identifier: a webhook belongs to the caller's org context.
    draft.parses = false;
    draft.json.Add("org_identifier", Quote(generator.PickOrgIdentifier(caller)));
  }
  std::string body = draft.json.Build();
  if (rng.Percent(3)) {
    draft.parses = false;
    body = body.substr(0, 1 + rng.Below(body.size() - 1));  // Cut short: not JSON.
  }
  generator.MaybeBreakSyntax(&body, &draft);
  return {std::move(draft), std::move(body)};
}

UpdateRequest RandomUpdate(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  UpdateRequest update;
  update.identifier = rng.Percent(3) ? "" : generator.PickIdentifier(caller);
  Draft& draft = update.draft;
  bool valid = true;
  if (rng.Percent(25)) {
    draft.name = generator.PickName(&valid);
    draft.valid = draft.valid && valid;
    draft.json.Add("name", Quote(*draft.name));
  }
  if (rng.Percent(10)) draft.json.Add("description", Quote("changed"));
  if (rng.Percent(20)) {
    draft.json.Add("url", Quote(generator.PickUrl(&valid)));
    draft.valid = draft.valid && valid;
  }
  if (rng.Percent(10)) {
    const int pick = rng.Below(10);
    draft.valid = draft.valid && pick >= 2;
    draft.json.Add("url_params", pick == 0   ? R"({"v":[5]})"
                                 : pick == 1 ? R"({"":"x"})"
                                 : pick < 6  ? "{}"
                                             : R"({"v":"2"})");
  }
  if (rng.Percent(10)) {
    const int pick = rng.Below(10);
    draft.valid = draft.valid && pick != 0;
    draft.json.Add("events", pick == 0  ? R"(["LIVEBOARD_SCHEDULE","LIVEBOARD_SCHEDULE"])"
                             : pick < 4 ? "[]"  // Unchanged.
                                        : R"(["LIVEBOARD_SCHEDULE"])");
  }
  if (rng.Percent(25)) draft.json.Add("authentication", generator.PickAuthentication(&draft));
  if (rng.Percent(20)) draft.json.Add("signature_verification", generator.PickSignature(&draft));
  if (rng.Percent(5)) draft.json.Add("storage_destination", generator.PickStorage(&draft));
  if (rng.Percent(10)) {
    const int pick = rng.Below(10);
    draft.valid = draft.valid && pick >= 3;
    draft.json.Add("additional_headers", pick == 0   ? R"([{"key":"X-Team"}])"
                                         : pick == 1 ? R"(["X-Team"])"
                                         : pick == 2 ? R"([{"key":"Content-Length","value":"1"}])"
                                         : pick < 6  ? "[]"
                                                     : R"([{"key":"X-Team","value":"ops"}])");
  }
  if (rng.Percent(20)) draft.json.Add("status", generator.PickStatus(&draft));
  if (rng.Percent(15)) {
    static const std::vector<std::string> kResets = {"AUTHENTICATION", "SIGNATURE_VERIFICATION",
                                                     "STORAGE_DESTINATION"};
    std::vector<std::string> quoted;
    for (int n = 1 + rng.Below(2); n > 0; --n) {
      if (rng.Percent(4)) {
        draft.parses = false;
        quoted.push_back(Quote("EVERYTHING"));
        continue;
      }
      const std::string& reset = rng.Of(kResets);
      draft.resets.insert(reset);
      quoted.push_back(Quote(reset));
    }
    draft.json.Add("reset_options", Array(quoted));
  }
  if (rng.Percent(3)) draft.json.Add("webhook_identifier", Quote("ignored"));  // The path wins.
  update.body = draft.json.Build();
  generator.MaybeBreakSyntax(&update.body, &draft);
  update.path =
      absl::StrCat("/api/rest/2.0/webhooks/", PercentEncode(update.identifier), "/update");
  return update;
}

DeleteRequest RandomDelete(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  DeleteRequest request;
  for (int n = rng.Percent(5) ? 0 : 1 + rng.Below(4); n > 0; --n) {
    request.identifiers.push_back(rng.Percent(5) ? "" : generator.PickIdentifier(caller));
  }
  std::vector<std::string> quoted;
  for (const std::string& identifier : request.identifiers) quoted.push_back(Quote(identifier));
  request.body = JsonObject().Add("webhook_identifiers", Array(quoted)).Build();
  return request;
}

SearchRequest RandomSearch(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  static const std::vector<std::string> kFields = {"CREATED", "MODIFIED", "NAME"};
  SearchRequest search;
  SearchFilter& filter = search.filter;
  if (rng.Percent(25)) filter.org = generator.PickOrgIdentifier(caller);
  if (rng.Percent(20)) filter.webhook = rng.Percent(5) ? "" : generator.PickIdentifier(caller);
  filter.event_type = rng.Percent(15);
  if (rng.Percent(15)) filter.status = rng.Percent(50) ? "ENABLED" : "DISABLED";
  if (rng.Percent(40)) filter.sort_field = rng.Of(kFields);
  if (rng.Percent(40)) filter.sort_order = rng.Percent(50) ? "ASC" : "DESC";
  if (rng.Percent(40)) search.offset = rng.Below(7) - 1;
  if (rng.Percent(40)) search.size = std::vector<int>{0, 1, 2, 3, 50, 5000}[rng.Below(6)];
  JsonObject body = filter.ToJson();
  if (search.offset) body.Add("record_offset", absl::StrCat(*search.offset));
  if (search.size) body.Add("record_size", absl::StrCat(*search.size));
  search.body = body.Build();
  return search;
}

int RandomPageSize(Generator& generator) { return 1 + generator.rng().Below(3); }

ConfigureRequest RandomConfigure(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  ConfigureRequest configure;
  bool& valid = configure.valid;
  JsonObject body;
  if (rng.Percent(30)) {
    std::vector<std::string> channels;
    std::string entry = JsonObject()
                            .Add("event_type", Quote("LIVEBOARD_SCHEDULE"))
                            .Add("channels", generator.PickChannels(&channels))
                            .Build();
    configure.cluster = channels;
    const int pick = rng.Below(20);
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
  for (int n = rng.Below(3); n > 0; --n) {
    const std::string org = generator.PickOrgIdentifier(caller);
    const Org* resolved = generator.model().ResolveOrg(caller, org);
    valid = valid && resolved != nullptr;
    JsonObject entry;
    entry.Add("org_identifier", Quote(org));
    const int operation = rng.Below(10);
    const bool reset = operation >= 8;
    if (operation >= 6) entry.Add("operation", Quote(reset ? "RESET" : "REPLACE"));
    std::vector<std::string> channels;
    const std::string preferences = Array({JsonObject()
                                               .Add("event_type", Quote("LIVEBOARD_SCHEDULE"))
                                               .Add("channels", generator.PickChannels(&channels))
                                               .Build()});
    const std::string reset_events = R"(["LIVEBOARD_SCHEDULE"])";
    const int shape = rng.Below(20);  // 0: the required list missing; 1: the other one too.
    if (shape != 0) {
      entry.Add(reset ? "reset_events" : "preferences", reset ? reset_events : preferences);
    }
    if (shape == 1) {
      entry.Add(reset ? "preferences" : "reset_events", reset ? preferences : reset_events);
    }
    valid = valid && shape >= 2;
    configure.changes.push_back(
        {resolved, reset ? std::nullopt : std::optional<std::vector<std::string>>(channels)});
    entries.push_back(entry.Build());
  }
  if (!entries.empty()) body.Add("org_preferences", Array(entries));
  configure.body = body.Build();
  return configure;
}

PreferencesRequest RandomPreferencesSearch(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  PreferencesRequest search;
  JsonObject body;
  const int pick = rng.Below(10);
  search.cluster = pick >= 5 && pick < 7;
  if (search.cluster) body.Add("cluster_preferences", R"(["LIVEBOARD_SCHEDULE"])");
  if (pick >= 7) {
    search.org = generator.PickOrgIdentifier(caller);
    JsonObject query;
    query.Add("org_identifier", Quote(*search.org));
    if (rng.Percent(50)) query.Add("event_types", R"(["LIVEBOARD_SCHEDULE"])");
    body.Add("org_preferences", Array({query.Build()}));
  }
  search.body = body.Build();
  return search;
}

PublishRequest RandomPublish(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  PublishRequest publish;
  v1::PublishEventRequest& request = publish.request;
  if (rng.Percent(50)) {
    publish.org = generator.PickOrgIdentifier(caller);
    request.set_org_identifier(*publish.org);
  }
  v1::LiveboardScheduleRun& run = *request.mutable_run();
  run.mutable_schedule()->set_scheduleid(absl::StrCat("sch-", rng.Below(3)));
  run.mutable_schedule()->set_name("Daily report");
  run.set_liveboard_id("lb-1");
  publish.good_run = rng.Percent(95);
  run.set_liveboard_name(publish.good_run ? "Sales" : "");
  if (rng.Percent(30)) {
    v1::RecipientInfo* recipient = run.add_recipients();
    recipient->set_type("EXTERNAL_EMAIL");
    recipient->set_email("ops@example.com");
  }
  if (rng.Percent(20)) {
    v1::EventFile* file = request.add_files();
    file->set_name("sales.csv");
    file->set_mime_type("text/csv");
    file->set_content("region,total\nEMEA,42\n");
  }
  return publish;
}

absl::Duration RandomDeliveryWait(Generator& generator) {
  static const std::vector<absl::Duration> kWaits = {
      absl::ZeroDuration(), absl::Seconds(1), absl::Minutes(2), absl::Minutes(10),
      absl::Minutes(30),    absl::Hours(2),   absl::Hours(5),   absl::Hours(30)};
  return generator.rng().Of(kWaits);
}

HistoryRequest RandomHistorySearch(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  HistoryRequest search;
  JsonObject body;
  const int type = rng.Below(100);
  search.valid = type < 94;
  if (type < 94) {
    body.Add("channel_type", Quote("WEBHOOK"));
  } else if (type < 97) {
    body.Add("channel_type", Quote("EMAIL"));
  }
  const int shape = rng.Below(100);
  if (shape < 35) {
    std::vector<std::string> ids;
    for (const auto& [id, job] : generator.model().jobs()) ids.push_back(id);
    search.job_id = !ids.empty() && rng.Percent(85) ? rng.Of(ids) : "n.no-such-job";
    body.Add("job_ids", Array({Quote(*search.job_id)}));
    if (rng.Percent(10)) body.Add("channel_status", Quote("SUCCESS"));  // Ignored.
  } else if (shape < 90) {
    search.channel = generator.PickIdentifier(caller);
    body.Add("channel_identifiers", Array({Quote(*search.channel)}));
    JsonObject entry;
    entry.Add("type", Quote("LIVEBOARD_SCHEDULE"));
    if (rng.Percent(30)) entry.Add("identifier", Quote(absl::StrCat("sch-", rng.Below(3))));
    body.Add("events", Array({entry.Build()}));
    if (rng.Percent(20)) {
      static const std::vector<std::string> kStatuses = {"PENDING", "RETRY", "SUCCESS", "FAILED"};
      body.Add("channel_status", Quote(rng.Of(kStatuses)));
    }
  } else if (shape < 95) {
    search.valid = false;
    body.Add("job_ids", R"(["n.a","n.b"])");
  } else {
    search.valid = false;
    body.Add("channel_identifiers", Array({Quote(generator.PickIdentifier(caller))}));
  }
  search.body = body.Build();
  return search;
}

ValidateRequest RandomValidate(Generator& generator, const Caller& caller) {
  Rng& rng = generator.rng();
  ValidateRequest validate;
  validate.identifier = rng.Percent(4) ? "" : generator.PickIdentifier(caller);
  JsonObject body;
  validate.typed = rng.Percent(95);
  if (validate.typed) body.Add("channel_type", Quote("WEBHOOK"));
  body.Add("channel_identifier", Quote(validate.identifier))
      .Add("event_type", Quote("LIVEBOARD_SCHEDULE"));
  validate.body = body.Build();
  return validate;
}

RefusedRequest RandomRefused(Generator& generator, const Caller& caller) {
  RefusedRequest refused;
  RestRequest& request = refused.request;
  request = RestPost(kSearchPath, "{}", caller.token);
  switch (generator.rng().Below(3)) {
    case 0:
      request.target = "/api/rest/2.0/webhooks/storage-configs";
      refused.operation = "unknown path";
      break;
    case 1:
      request.method = "GET";
      refused.expected = 405;
      refused.operation = "GET search";
      break;
    default:
      request.headers["content-type"] = "text/plain";
      request.body = absl::StrCat(R"({"webhook_identifier":")", generator.NewSecret(), R"("})");
      refused.expected = 415;
      refused.operation = "search with text/plain";
      break;
  }
  return refused;
}

}  // namespace rest_property
}  // namespace webhooks
