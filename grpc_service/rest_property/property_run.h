// PropertyRun: one seed's sequence of the REST property test
// (grpc_service/rest_property_test.cc). It starts webhookd in process (a TestEnvironment with
// the seed's principals and a fake transport on the fake clock), then runs steps: each moves
// the clock a little, makes one random call (requests.h) whose status the model predicts
// (model.h), checks the answer (checks.h), updates the model, and checks the invariants
// (invariants.h). The calls are create, search, update and delete webhooks, configure and
// search channel preferences, PublishEvent over gRPC (it has no REST path), deliveries through
// the fake transport, searches of the delivery history, validate, and requests the gateway
// must refuse. The fake receiver answers deliveries, validations and OAuth2 token requests
// at random from its own seeded source; the access tokens it hands out are secrets too.
//
//   PropertyRun run(seed);
//   const int steps = run.Run(600);  // Fewer if a step failed (reported to gtest).
//
// With a `postgres_conninfo`, two webhookd replicas share that (empty) database and take the
// calls in turn, REST and gRPC alike; deliveries are run on both: the model, and so every
// check, is the same as for one server.
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_PROPERTY_RUN_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_PROPERTY_RUN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/http/http_transport.h"
#include "grpc_service/rest_property/checks.h"
#include "grpc_service/rest_property/generators.h"
#include "grpc_service/rest_property/invariants.h"
#include "grpc_service/rest_property/model.h"
#include "grpc_service/rest_property/stderr_capture.h"
#include "grpc_service/test_environment.h"
#include "proto/webhook_service.grpc.pb.h"
#include "testing/fake_transport.h"

namespace webhooks {
namespace rest_property {

class PropertyRun {
 public:
  explicit PropertyRun(uint64_t seed, const std::string& postgres_conninfo = "");

  PropertyRun(const PropertyRun&) = delete;
  PropertyRun& operator=(const PropertyRun&) = delete;

  // Runs `steps` steps (fewer after a failure); returns the steps run.
  int Run(int steps);

  int64_t calls() const { return checker_.calls(); }
  // How often each operation succeeded.
  const std::map<std::string, int64_t>& succeeded() const { return succeeded_; }

 private:
  // The fake receiver: answers every delivery, validation and OAuth2 token request; may run on
  // a gRPC thread (validation), while the test thread waits for the call.
  absl::StatusOr<HttpResponse> Receive(const HttpRequest& request);

  // The operations, one per step.
  void Create();
  void Update();
  void Delete();
  void Search();
  void Configure();
  void SearchPreferences();
  void Publish();
  void Deliver();
  void SearchHistory();
  void Validate();
  void Refused();

  void Succeeded(const std::string& operation) { ++succeeded_[operation]; }
  int64_t NowMillis() const;

  // In the order of construction: the capture of standard error starts before the server
  // and ends after it; the model's principals are the seed's first draws.
  const uint64_t seed_;
  Rng rng_;
  absl::Mutex transport_mu_;
  Rng transport_rng_ ABSL_GUARDED_BY(transport_mu_);
  testing::FakeTransport transport_;
  StderrCapture stderr_;
  Model model_;
  // One per replica (one without PostgreSQL); the first's clock is everyone's.
  std::vector<std::unique_ptr<StateStore>> stores_;
  std::vector<std::unique_ptr<testing::TestEnvironment>> replicas_;
  std::vector<std::unique_ptr<v1::WebhookService::Stub>> stubs_;
  int64_t publishes_ = 0;  // Which replica's stub the next PublishEvent goes to.
  Generator generator_;
  Checker checker_;
  Invariants invariants_;
  std::map<std::string, int64_t> succeeded_;
};

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_PROPERTY_RUN_H_
