#include "grpc_service/test_environment.h"

#include <regex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpc_service/bootstrap.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace testing {

std::string TestPrincipalsText() {
  return absl::StrFormat(
      R"pb(
        rbac_enabled: true
        orgs { id: "0" name: "Primary" }
        orgs { id: "2100019165" name: "testOrg1" }
        orgs { id: "1574427524" name: "testOrg2025" }
        users {
          id: "u-admin"
          name: "admin@example.com"
          privileges: ADMINISTRATION
          org_ids: "0"
          org_ids: "2100019165"
          org_ids: "1574427524"
        }
        users {
          id: "4e6e5692-667e-487d-9672-f301ccc2ea77"
          name: "UserA@example.com"
          privileges: DEVELOPER
          org_ids: "2100019165"
          org_ids: "1574427524"
        }
        users { id: "u-viewer" name: "viewer@example.com" org_ids: "0" }
        tokens { sha256: "%s" user_id: "u-admin" org_id: "0" }
        tokens { sha256: "%s" user_id: "4e6e5692-667e-487d-9672-f301ccc2ea77" org_id: "2100019165" }
        tokens { sha256: "%s" user_id: "4e6e5692-667e-487d-9672-f301ccc2ea77" org_id: "1574427524" }
        tokens { sha256: "%s" user_id: "u-viewer" org_id: "0" }
      )pb",
      TokenSha256Hex(kAdminToken), TokenSha256Hex(kUserATestOrg1Token),
      TokenSha256Hex(kUserATestOrg2025Token), TokenSha256Hex(kViewerToken));
}

TestEnvironment::TestEnvironment(Mode mode, WebhookServerOptions options, StateStore* store,
                                 HttpTransport* transport, const std::string& principals_text,
                                 TestEnvironment* replica_of)
    : clock_(replica_of != nullptr ? replica_of->clock_ : &own_clock_),
      ids_(replica_of != nullptr ? replica_of->ids_ : &own_ids_) {
  absl::StatusOr<v1::PrincipalsConfig> config = ParsePrincipalsConfig(
      principals_text.empty() ? TestPrincipalsText() : principals_text, "test-principals");
  if (!config.ok()) {
    ADD_FAILURE() << config.status();
    std::abort();
  }
  absl::StatusOr<StaticOrgDirectory> orgs = StaticOrgDirectory::Create(
      std::vector<v1::Org>(config->orgs().begin(), config->orgs().end()));
  absl::StatusOr<std::unique_ptr<StaticAuthenticator>> authenticator =
      StaticAuthenticator::Create(*config);
  if (!orgs.ok() || !authenticator.ok()) {
    ADD_FAILURE() << orgs.status() << " " << authenticator.status();
    std::abort();
  }
  orgs_ = std::make_unique<StaticOrgDirectory>(*std::move(orgs));
  authenticator_ = *std::move(authenticator);

  EngineOptions engine_options;
  engine_options.orgs = orgs_.get();
  engine_options.clock = clock_;
  engine_options.ids = ids_;
  engine_options.state_store = store;
  engine_options.delivery.transport = transport;
  engine_options.delivery.run_dispatcher = false;  // Tests call engine().RunDueDeliveries().
  engine_options.delivery.jitter = 0;
  engine_options.delivery.aws_account_id = "210987654321";
  engine_options.delivery.storage_identity_key = "test-environment-key";  // Fixed external IDs.
  absl::StatusOr<std::unique_ptr<WebhookEngine>> engine = WebhookEngine::Create(engine_options);
  if (!engine.ok()) {
    ADD_FAILURE() << engine.status();
    std::abort();
  }
  engine_ = *std::move(engine);
  absl::StatusOr<Principal> admin = authenticator_->Authenticate(kAdminToken);
  const absl::Status configured =
      admin.ok() ? engine_->ConfigureChannelPreferences(*admin, DefaultChannelPreferences())
                 : admin.status();
  if (!configured.ok()) {
    ADD_FAILURE() << configured;
    std::abort();
  }

  if (mode == kInProcess) {
    options.grpc_listen = "";
    options.http.listen = "";
  } else {
    options.grpc_listen = "127.0.0.1:0";
    options.http.listen = "127.0.0.1:0";
  }
  absl::StatusOr<std::unique_ptr<WebhookServer>> server =
      WebhookServer::Start(options, engine_.get(), authenticator_.get());
  if (!server.ok()) {
    ADD_FAILURE() << server.status();
    std::abort();
  }
  server_ = *std::move(server);
}

RestRequest RestPost(absl::string_view path, absl::string_view body, absl::string_view token) {
  RestRequest request;
  request.method = "POST";
  request.target = std::string(path);
  request.headers["content-type"] = "application/json";
  request.headers["accept"] = "application/json";
  if (!token.empty()) request.headers["authorization"] = absl::StrCat("Bearer ", token);
  request.body = std::string(body);
  return request;
}

std::string NormalizeUuids(absl::string_view text) {
  static const std::regex* const kUuid =
      new std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  return std::regex_replace(std::string(text), *kUuid, "<uuid>");
}

}  // namespace testing
}  // namespace webhooks
