// Random requests of the REST property test (grpc_service/rest_property_test.cc), one kind per
// operation: create, update, delete and search webhooks, configure and search channel
// preferences, PublishEvent (gRPC), search the delivery history, validate, and requests the
// gateway must refuse. Each draws its fields from a Generator in a fixed order (generators.h)
// and returns the request with what the model needs to predict the answer; none calls the
// server.
//
//   const Caller& caller = generator.PickCaller();
//   const CreateRequest create = RandomCreate(generator, caller);
//   const int expected = model.CreateStatus(caller, create.draft);
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_REQUESTS_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_REQUESTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpc_service/rest_property/generators.h"
#include "grpc_service/rest_property/model.h"
#include "grpc_service/rest_types.h"
#include "proto/delivery.pb.h"

namespace webhooks {
namespace rest_property {

struct CreateRequest {
  Draft draft;
  std::string body;
};
CreateRequest RandomCreate(Generator& generator, const Caller& caller);

struct UpdateRequest {
  std::string identifier;  // The path's {webhook_identifier}; may be empty.
  Draft draft;
  std::string path;
  std::string body;
};
UpdateRequest RandomUpdate(Generator& generator, const Caller& caller);

struct DeleteRequest {
  std::vector<std::string> identifiers;
  std::string body;
};
DeleteRequest RandomDelete(Generator& generator, const Caller& caller);

struct SearchRequest {
  SearchFilter filter;
  std::optional<int> offset;
  std::optional<int> size;
  std::string body;
};
SearchRequest RandomSearch(Generator& generator, const Caller& caller);

// The page size of a search's second look at all its pages: 1 to 3.
int RandomPageSize(Generator& generator);

struct ConfigureRequest {
  std::optional<std::vector<std::string>> cluster;  // The cluster's new channels, if set.
  std::vector<OrgChange> changes;                   // In the order of the body.
  bool valid = true;
  std::string body;
};
ConfigureRequest RandomConfigure(Generator& generator, const Caller& caller);

// A preferences search: for the cluster, for one org, or (neither) for all the caller sees.
struct PreferencesRequest {
  bool cluster = false;
  std::optional<std::string> org;
  std::string body;
};
PreferencesRequest RandomPreferencesSearch(Generator& generator, const Caller& caller);

struct PublishRequest {
  v1::PublishEventRequest request;
  std::optional<std::string> org;  // Unset: the caller's own org.
  bool good_run = true;
};
PublishRequest RandomPublish(Generator& generator, const Caller& caller);

// How long the fake clock moves before due deliveries run.
absl::Duration RandomDeliveryWait(Generator& generator);

// A delivery-history search: by one job id, by one webhook (`channel`), or invalid.
struct HistoryRequest {
  std::optional<std::string> job_id;
  std::optional<std::string> channel;
  bool valid = true;
  std::string body;
};
HistoryRequest RandomHistorySearch(Generator& generator, const Caller& caller);

struct ValidateRequest {
  std::string identifier;
  bool typed = true;  // Has channel_type WEBHOOK.
  std::string body;
};
ValidateRequest RandomValidate(Generator& generator, const Caller& caller);

// A request the gateway refuses before any call: unknown path, wrong method, not JSON.
struct RefusedRequest {
  RestRequest request;
  int expected = 404;
  std::string operation;
};
RefusedRequest RandomRefused(Generator& generator, const Caller& caller);

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_REQUESTS_H_
