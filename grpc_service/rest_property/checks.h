// Checks of single answers in the REST property test (grpc_service/rest_property_test.cc):
// the calls themselves, with invariants 2 (no secret in an answer) and 5 (documented
// statuses, ThoughtSpot's error body) checked on every one (invariants.h lists them all);
// invariant 1 (no other org's data) and the model's fields for every webhook an answer
// shows; and each operation's answer against what the model predicts.
//
// A Checker also reports failures: the first one of a sequence names the seed, the step, the
// operation, the request and the response, and the principals file; later ones are not
// reported, and failed() tells the sequence to stop.
//
//   Checker checker(seed, &model, {&env});
//   checker.set_operation("create as ...");
//   Reply reply;
//   if (!checker.Call(RestPost(kCreatePath, body, caller.token), 200, &reply)) return;
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_CHECKS_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_CHECKS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "grpc_service/rest_property/model.h"
#include "grpc_service/rest_types.h"
#include "grpc_service/test_environment.h"
#include "grpcpp/grpcpp.h"
#include "proto/delivery.pb.h"

namespace webhooks {
namespace rest_property {

// A REST answer: its status and body, and the body's JSON for a 200.
struct Reply {
  int status = 0;
  std::string body;
  google::protobuf::Struct json;
};

// Whether `text` holds any part of a secret the test made, or kAdminToken.
bool HasSecret(absl::string_view text);

// Empty if `body` is ThoughtSpot's error body with `code`, else what is wrong with it.
std::string ErrorShapeProblem(const std::string& body, int code);

// ThoughtSpot's error code for an HTTP status.
int ThoughtSpotCode(int http_status);

// The statuses the endpoint of `request` documents (the gateway's own for requests it
// refuses: 404 for an unknown path, 405 for a wrong method).
std::set<int> DocumentedStatuses(const RestRequest& request);

class Checker {
 public:
  // `model` and `servers` (the server under test, or replicas of it that take the calls in
  // turn) are not owned.
  Checker(uint64_t seed, const Model* model, std::vector<testing::TestEnvironment*> servers);

  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  // Where the sequence is, for failure messages.
  void set_step(int step) { step_ = step; }
  const std::string& operation() const { return operation_; }
  void set_operation(std::string operation) { operation_ = std::move(operation); }

  bool failed() const { return failed_; }
  int64_t calls() const { return calls_; }
  // The last request and its answer, as failure messages show them.
  const std::string& last_exchange() const { return last_exchange_; }
  // The fake clock's time.
  int64_t NowMillis() const;

  // Reports a failure (only the first of a sequence); `detail` is usually last_exchange().
  void Fail(absl::string_view what, absl::string_view detail = "");

  // Sends `request` through the gateway; checks invariants 2 and 5 on the answer and that its
  // status is `expected`. False (after a failure) if any check fails.
  bool Call(const RestRequest& request, int expected, Reply* reply);

  // Counts one PublishEvent call (gRPC) and checks invariant 2 and the code on its answer.
  bool CheckPublishAnswer(const v1::PublishEventRequest& request, const grpc::Status& status,
                          const v1::PublishEventResponse& response, grpc::StatusCode expected);
  // An accepted PublishEvent's outcome is `want`; QUEUED with a new job id.
  bool CheckPublishOutcome(const v1::PublishEventResponse& response,
                           v1::PublishEventResponse::Outcome want);

  // One webhook of an answer, against the model and the caller's view (invariant 1); its
  // secrets are shown as "***".
  void CheckWebhook(const Caller& caller, const google::protobuf::Struct& webhook,
                    absl::string_view where);
  // A create answered an id the model does not have yet.
  bool CheckNewWebhookId(const std::string& id);
  // One page of a search: the model's webhooks from `offset`, at most `size` (50 by
  // default, 1000 at most), and its pagination. False if the page differs from the model.
  bool CheckSearchAnswer(const Caller& caller, const SearchFilter& filter,
                         std::optional<int> offset, std::optional<int> size, const Reply& reply);
  // A delete removed what the model removes, and showed no other org's webhook.
  void CheckDeleteAnswer(const Caller& caller, const Reply& reply, const DeleteOutcome& want);
  // A preferences search answered `want`, and no other org's preferences.
  bool CheckPreferencesAnswer(const Caller& caller, const Reply& reply,
                              const PreferencesAnswer& want);
  // A validate answered for `hook`, with a new job id.
  bool CheckValidateAnswer(const Reply& reply, const Hook& hook);
  // One history answer: every job known, of an org the caller sees, matched by the filter,
  // newest first.
  void CheckJobs(const Caller& caller, const Reply& reply,
                 const std::function<bool(const std::string&, const Job&)>& matches);
  // A history search by `job_id` or by webhook `channel`: CheckJobs, and the job asked for
  // is there if the caller sees it and it is younger than the retention.
  void CheckHistoryAnswer(const Caller& caller, const Reply& reply,
                          const std::optional<std::string>& job_id,
                          const std::optional<std::string>& channel);

 private:
  const uint64_t seed_;
  const Model& model_;
  const std::vector<testing::TestEnvironment*> servers_;

  int step_ = 0;
  std::string operation_;
  std::string last_exchange_;
  bool failed_ = false;
  int64_t calls_ = 0;
};

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_CHECKS_H_
