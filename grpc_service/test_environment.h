// TestEnvironment: a complete webhookd stack in one process for tests: an engine with a fake
// clock and sequential ids, three orgs, four users with tokens, the cluster WEBHOOK preference
// configured, and a WebhookServer (in-process only, or on loopback ports chosen at run time).
//
//   TestEnvironment env;                              // In-process only.
//   RestResponse r = env.server().gateway().Handle(request);
//   TestEnvironment net(TestEnvironment::kListen);   // gRPC and HTTP on 127.0.0.1:<free port>.
#ifndef WEBHOOKS_GRPC_SERVICE_TEST_ENVIRONMENT_H_
#define WEBHOOKS_GRPC_SERVICE_TEST_ENVIRONMENT_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/org_directory.h"
#include "engine/persistence/state_store.h"
#include "engine/webhook_engine.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/rest_types.h"
#include "grpc_service/webhook_server.h"
#include "testing/fake_clock.h"
#include "testing/sequential_ids.h"

namespace webhooks {
namespace testing {

// Tokens of the test principals. The admin acts in Primary (so across orgs); UserA is a
// DEVELOPER with one token per org; the viewer has no privilege.
inline constexpr absl::string_view kAdminToken = "admin-token";
inline constexpr absl::string_view kUserATestOrg1Token = "usera-testorg1-token";
inline constexpr absl::string_view kUserATestOrg2025Token = "usera-testorg2025-token";
inline constexpr absl::string_view kViewerToken = "viewer-token";

// The test principals file (tokens above, hashed).
std::string TestPrincipalsText();

class TestEnvironment {
 public:
  enum Mode { kInProcess, kListen };

  // Aborts the test (gtest fatal failure) if the stack cannot start. `store` (not owned; null:
  // in memory) is the engine's; so is `transport` (not owned; null: no deliveries), whose
  // deliveries are sent when the test calls engine().RunDueDeliveries(). `principals_text` is
  // the principals file (orgs, users, tokens) the server trusts, TestPrincipalsText() if empty;
  // it must give kAdminToken to a user with ADMINISTRATION in org "0", which configures the
  // cluster WEBHOOK preference. A `replica_of` (not owned; outlives this) lends its clock and
  // ids: another replica on the same shared `store`, as webhookd replicas on one database.
  explicit TestEnvironment(Mode mode = kInProcess, WebhookServerOptions options = {},
                           StateStore* store = nullptr, HttpTransport* transport = nullptr,
                           const std::string& principals_text = "",
                           TestEnvironment* replica_of = nullptr);

  WebhookServer& server() { return *server_; }
  WebhookEngine& engine() { return *engine_; }
  FakeClock& clock() { return *clock_; }
  const Authenticator* authenticator() const { return authenticator_.get(); }

 private:
  FakeClock own_clock_;
  SequentialIds own_ids_;
  FakeClock* clock_;
  SequentialIds* ids_;
  std::unique_ptr<StaticOrgDirectory> orgs_;
  std::unique_ptr<StaticAuthenticator> authenticator_;
  std::unique_ptr<WebhookEngine> engine_;
  std::unique_ptr<WebhookServer> server_;
};

// A JSON POST to `path` as `token` (none if empty), as a REST client sends it.
RestRequest RestPost(absl::string_view path, absl::string_view body, absl::string_view token);

// Replaces every UUID in `text` with "<uuid>", so error bodies compare exactly.
std::string NormalizeUuids(absl::string_view text);

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_TEST_ENVIRONMENT_H_
