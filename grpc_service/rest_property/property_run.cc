// One seed's sequence of the REST property test; see property_run.h.
#include "grpc_service/rest_property/property_run.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/persistence/postgres/postgres_state_store.h"
#include "grpc_service/rest_property/json.h"
#include "grpc_service/rest_property/requests.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace rest_property {

using ::webhooks::testing::RestPost;
using ::webhooks::testing::TestEnvironment;

namespace {

// The replicas' state stores: two PostgresStateStores on `conninfo`, or none (in memory).
std::vector<std::unique_ptr<StateStore>> OpenStores(const std::string& conninfo) {
  std::vector<std::unique_ptr<StateStore>> stores;
  if (conninfo.empty()) return stores;
  for (int replica = 0; replica < 2; ++replica) {
    engine_internal::PgConnectionOptions connection;
    connection.conninfo = conninfo;
    absl::StatusOr<std::unique_ptr<PostgresStateStore>> store =
        PostgresStateStore::Open(connection);
    if (!store.ok()) {
      ADD_FAILURE() << store.status();
      std::abort();
    }
    stores.push_back(*std::move(store));
  }
  return stores;
}

}  // namespace

PropertyRun::PropertyRun(uint64_t seed, const std::string& postgres_conninfo)
    : seed_(seed),
      rng_(seed),
      transport_rng_(seed ^ 0x9e3779b97f4a7c15ULL),
      transport_([this](const HttpRequest& request) { return Receive(request); }),
      model_(MakePrincipals(seed_, rng_)),
      stores_(OpenStores(postgres_conninfo)),
      replicas_([&] {
        std::vector<std::unique_ptr<TestEnvironment>> replicas;
        for (size_t i = 0; i < std::max<size_t>(1, stores_.size()); ++i) {
          replicas.push_back(std::make_unique<TestEnvironment>(
              TestEnvironment::kInProcess, WebhookServerOptions{},
              stores_.empty() ? nullptr : stores_[i].get(), &transport_, model_.principals().text,
              i == 0 ? nullptr : replicas[0].get()));
        }
        return replicas;
      }()),
      stubs_([&] {
        std::vector<std::unique_ptr<v1::WebhookService::Stub>> stubs;
        for (const auto& replica : replicas_) {
          stubs.push_back(v1::WebhookService::NewStub(replica->server().InProcessChannel()));
        }
        return stubs;
      }()),
      generator_(&rng_, &model_),
      checker_(seed_, &model_,
               [&] {
                 std::vector<TestEnvironment*> servers;
                 for (const auto& replica : replicas_) servers.push_back(replica.get());
                 return servers;
               }()),
      invariants_(&checker_, &model_) {}

int PropertyRun::Run(int steps) {
  int run = 0;
  for (int step = 1; step <= steps && !checker_.failed(); ++step, ++run) {
    checker_.set_step(step);
    if (rng_.Percent(70)) replicas_[0]->clock().Advance(absl::Milliseconds(rng_.Below(2000)));
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
    if (!checker_.failed()) invariants_.CheckAfterStep(step, stderr_.Drain());
  }
  return run;
}

int64_t PropertyRun::NowMillis() const { return absl::ToUnixMillis(replicas_[0]->clock().Now()); }

absl::StatusOr<HttpResponse> PropertyRun::Receive(const HttpRequest& request) {
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

// --- Webhooks ---------------------------------------------------------------------------------

void PropertyRun::Create() {
  const Caller& caller = generator_.PickCaller();
  const CreateRequest create = RandomCreate(generator_, caller);
  checker_.set_operation(absl::StrCat("create as ", caller.description));
  const int expected = model_.CreateStatus(caller, create.draft);
  Reply reply;
  if (!checker_.Call(RestPost(kCreatePath, create.body, caller.token), expected, &reply) ||
      expected != 200) {
    return;
  }
  const std::string id = Str(reply.json, "id");
  if (!checker_.CheckNewWebhookId(id)) return;
  model_.Create(id, caller, create.draft, NowMillis());
  checker_.CheckWebhook(caller, reply.json, "create");
  Succeeded("create");
}

void PropertyRun::Update() {
  const Caller& caller = generator_.PickCaller();
  const UpdateRequest update = RandomUpdate(generator_, caller);
  checker_.set_operation(absl::StrCat("update '", update.identifier, "' as ", caller.description));
  const int expected = model_.UpdateStatus(caller, update.identifier, update.draft);
  Reply reply;
  if (!checker_.Call(RestPost(update.path, update.body, caller.token), expected, &reply) ||
      expected != 204) {
    return;
  }
  model_.Update(caller, update.identifier, update.draft, NowMillis());
  Succeeded("update");
}

void PropertyRun::Delete() {
  const Caller& caller = generator_.PickCaller();
  const DeleteRequest request = RandomDelete(generator_, caller);
  checker_.set_operation(absl::StrCat("delete as ", caller.description));
  const int expected = model_.DeleteStatus(caller, request.identifiers);
  Reply reply;
  if (!checker_.Call(RestPost(kDeletePath, request.body, caller.token), expected, &reply) ||
      expected != 200) {
    return;
  }
  const DeleteOutcome outcome = model_.Delete(caller, request.identifiers);
  checker_.CheckDeleteAnswer(caller, reply, outcome);
  if (!outcome.deleted.empty()) Succeeded("delete");
}

void PropertyRun::Search() {
  const Caller& caller = generator_.PickCaller();
  const SearchRequest search = RandomSearch(generator_, caller);
  checker_.set_operation(absl::StrCat("search as ", caller.description));
  const int expected = model_.SearchStatus(caller, search.filter, search.offset, search.size);
  Reply reply;
  if (!checker_.Call(RestPost(kSearchPath, search.body, caller.token), expected, &reply) ||
      expected != 200) {
    return;
  }
  if (!checker_.CheckSearchAnswer(caller, search.filter, search.offset, search.size, reply)) {
    return;
  }
  // Invariant 4 with this filter.
  const int page_size = RandomPageSize(generator_);
  invariants_.CheckAgainstModel(caller, search.filter,
                                invariants_.PageThrough(caller, search.filter, page_size));
  Succeeded("search");
}

// --- Preferences ------------------------------------------------------------------------------

void PropertyRun::Configure() {
  const Caller& caller = generator_.PickCaller();
  const ConfigureRequest configure = RandomConfigure(generator_, caller);
  checker_.set_operation(absl::StrCat("configure preferences as ", caller.description));
  const int expected =
      model_.ConfigureStatus(caller, configure.cluster.has_value(), configure.valid);
  Reply reply;
  if (!checker_.Call(RestPost(kConfigurePath, configure.body, caller.token), expected, &reply) ||
      expected != 204) {
    return;
  }
  model_.Configure(configure.cluster, configure.changes);
  Succeeded("configure");
}

void PropertyRun::SearchPreferences() {
  const Caller& caller = generator_.PickCaller();
  const PreferencesRequest search = RandomPreferencesSearch(generator_, caller);
  checker_.set_operation(absl::StrCat("search preferences as ", caller.description));
  const int expected = model_.PreferencesStatus(caller, search.cluster, search.org);
  Reply reply;
  if (!checker_.Call(RestPost(kPreferencesPath, search.body, caller.token), expected, &reply) ||
      expected != 200) {
    return;
  }
  if (!checker_.CheckPreferencesAnswer(
          caller, reply, model_.ExpectedPreferences(caller, search.cluster, search.org))) {
    return;
  }
  Succeeded("search preferences");
}

// --- Deliveries -------------------------------------------------------------------------------

void PropertyRun::Publish() {
  const Caller& caller = generator_.PickCaller();
  const PublishRequest publish = RandomPublish(generator_, caller);
  checker_.set_operation(absl::StrCat("publish (gRPC) as ", caller.description, " for org '",
                                      publish.org.value_or("(own)"), "'"));
  const Org* target =
      publish.org ? model_.ResolveOrg(caller, *publish.org) : model_.FindOrg(caller.org_id);
  const grpc::StatusCode expected = model_.PublishStatus(caller, target, publish.good_run);
  grpc::ClientContext context;
  if (!caller.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", caller.token));
  }
  v1::PublishEventResponse response;
  const grpc::Status status =
      stubs_[publishes_++ % stubs_.size()]->PublishEvent(&context, publish.request, &response);
  if (!checker_.CheckPublishAnswer(publish.request, status, response, expected) || !status.ok()) {
    return;
  }
  const v1::PublishEventResponse::Outcome want = model_.PublishOutcome(target->id);
  if (!checker_.CheckPublishOutcome(response, want) || want != v1::PublishEventResponse::QUEUED) {
    return;
  }
  const Hook& hook = *model_.HookOfOrg(target->id);
  model_.AddJob(response.job_id(), {hook.org_id, hook.id, hook.name, NowMillis()});
  invariants_.WatchHistory(hook.id);
  Succeeded("publish");
}

void PropertyRun::Deliver() {
  const absl::Duration wait = RandomDeliveryWait(generator_);
  checker_.set_operation(absl::StrCat("deliver after ", absl::FormatDuration(wait)));
  replicas_[0]->clock().Advance(wait);
  const size_t before = transport_.request_count();
  for (const auto& replica : replicas_) replica->engine().RunDueDeliveries();
  invariants_.WatchRecentJobs();
  invariants_.CheckHistory();
  if (transport_.request_count() > before) Succeeded("deliver");
}

void PropertyRun::SearchHistory() {
  const Caller& caller = generator_.PickCaller();
  const HistoryRequest search = RandomHistorySearch(generator_, caller);
  checker_.set_operation(absl::StrCat("search history as ", caller.description));
  const int expected = model_.HistoryStatus(caller, search.valid);
  Reply reply;
  if (!checker_.Call(RestPost(kHistoryPath, search.body, caller.token), expected, &reply) ||
      expected != 200) {
    return;
  }
  checker_.CheckHistoryAnswer(caller, reply, search.job_id, search.channel);
  if (List(reply.json, "jobs").values_size() > 0) Succeeded("search history");
}

void PropertyRun::Validate() {
  const Caller& caller = generator_.PickCaller();
  const ValidateRequest validate = RandomValidate(generator_, caller);
  checker_.set_operation(
      absl::StrCat("validate '", validate.identifier, "' as ", caller.description));
  const int expected = model_.ValidateStatus(caller, validate.typed, validate.identifier);
  Reply reply;
  if (!checker_.Call(RestPost(kValidatePath, validate.body, caller.token), expected, &reply) ||
      expected != 200) {
    return;
  }
  const Hook& hook = *model_.FindVisible(caller, validate.identifier).front();
  if (!checker_.CheckValidateAnswer(reply, hook)) return;
  model_.AddJob(Str(reply.json, "job_id"), {hook.org_id, hook.id, hook.name, NowMillis()});
  invariants_.WatchHistory(hook.id);
  invariants_.CheckHistory();
  Succeeded("validate");
}

// --- Requests the gateway refuses -------------------------------------------------------------

void PropertyRun::Refused() {
  const Caller& caller = generator_.PickCaller();
  const RefusedRequest refused = RandomRefused(generator_, caller);
  checker_.set_operation(refused.operation);
  Reply reply;
  checker_.Call(refused.request, refused.expected, &reply);
}

}  // namespace rest_property
}  // namespace webhooks
