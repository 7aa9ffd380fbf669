// The invariants of the REST property test (grpc_service/rest_property_test.cc), the same as
// fuzz/engine_sequence_fuzzer.cc's, here over HTTP. After every step these must hold:
//   1. no response gives a caller who may not act across orgs a webhook, delivery job or
//      preference of another org;
//   2. no response body, no delivery-history record and nothing written to standard error
//      (where webhookd logs) contains the start or the end of a marker, or kAdminToken;
//   3. every org has at most one webhook, as a cross-org administrator pages through them;
//   4. total_count equals the number of webhooks found by paging through all pages with the
//      same filter, and the pages hold exactly the model's webhooks in the model's order;
//   5. every status is one the endpoint documents (200 or 204, 400, 401, 403; 404, 405, 415
//      for requests the gateway refuses), and every error body has ThoughtSpot's shape.
// Checker (checks.h) checks 1, 2 and 5 on every answer it sees. Invariants adds what needs
// more than one call: paging through all webhooks after every step (1, 3, 4) and through a
// search's pages (4), what the server logged (2), and the delivery history of the webhooks
// that have new jobs (1, 2, and that no job younger than the retention is missing).
//
//   Invariants invariants(&checker, &model);
//   ... one step ...
//   invariants.CheckAfterStep(step, stderr_capture.Drain());
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_INVARIANTS_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_INVARIANTS_H_

#include <set>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "grpc_service/rest_property/checks.h"
#include "grpc_service/rest_property/model.h"

namespace webhooks {
namespace rest_property {

class Invariants {
 public:
  // `checker` and `model` are not owned.
  Invariants(Checker* checker, const Model* model) : checker_(*checker), model_(*model) {}

  Invariants(const Invariants&) = delete;
  Invariants& operator=(const Invariants&) = delete;

  // Pages through a search by `caller` with `filter`, `page_size` records at a time, and
  // checks invariants 1 and 4. Returns the webhooks found, in order.
  std::vector<google::protobuf::Struct> PageThrough(const Caller& caller,
                                                    const SearchFilter& filter, int page_size);

  // Checks that `found` (all pages of a search by `caller` with `filter`) holds the model's
  // webhooks in the model's order.
  void CheckAgainstModel(const Caller& caller, const SearchFilter& filter,
                         const std::vector<google::protobuf::Struct>& found);

  // After step `step`: invariant 2 for `logged` (what the server wrote to standard error
  // during the step); invariants 1, 3 and 4 for the root administrator and one rotating
  // caller.
  void CheckAfterStep(int step, const std::string& logged);

  // Has the next CheckHistory look at the history of webhook `webhook_id`.
  void WatchHistory(const std::string& webhook_id);
  // WatchHistory for every webhook with a job younger than the retention.
  void WatchRecentJobs();
  // Invariant 2 for the delivery history: every job of the watched webhooks, as the root
  // administrator sees them; all jobs younger than the retention must be there.
  void CheckHistory();

 private:
  Checker& checker_;
  const Model& model_;
  std::set<std::string> history_to_check_;  // Webhook ids.
};

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_INVARIANTS_H_
