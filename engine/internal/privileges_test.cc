#include "engine/internal/privileges.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::IsOk;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;

Principal Caller(std::initializer_list<v1::Privilege> privileges, bool rbac = false) {
  Principal caller;
  caller.user_id = "u1";
  caller.org = MakeOrg("1", "one");
  caller.privileges = privileges;
  caller.rbac_enabled = rbac;
  return caller;
}

TEST(PrivilegesTest, WebhooksNeedAdministrationDeveloperOrRbacManage) {
  EXPECT_THAT(RequireWebhookPrivileges(Caller({v1::ADMINISTRATION}), "create"), IsOk());
  EXPECT_THAT(RequireWebhookPrivileges(Caller({v1::DEVELOPER}), "create"), IsOk());
  EXPECT_THAT(RequireWebhookPrivileges(Caller({v1::CAN_MANAGE_WEBHOOKS}, true), "create"), IsOk());
  EXPECT_THAT(RequireWebhookPrivileges(Caller({v1::CAN_MANAGE_WEBHOOKS}), "create"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("Insufficient privileges to create webhook configurations")));
  EXPECT_THAT(RequireWebhookPrivileges(Caller({v1::APPLICATION_ADMINISTRATION}, true), "search"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("to search webhook")));
}

TEST(PrivilegesTest, PreferencesNeedAdministrationDeveloperOrRbacApplicationAdministration) {
  EXPECT_THAT(RequirePreferencePrivileges(Caller({v1::DEVELOPER}), "configure"), IsOk());
  EXPECT_THAT(
      RequirePreferencePrivileges(Caller({v1::APPLICATION_ADMINISTRATION}, true), "configure"),
      IsOk());
  EXPECT_THAT(RequirePreferencePrivileges(Caller({v1::APPLICATION_ADMINISTRATION}), "configure"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("to configure communication channel preferences")));
  EXPECT_THAT(RequirePreferencePrivileges(Caller({v1::CAN_MANAGE_WEBHOOKS}, true), "search"),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST(PrivilegesTest, ClusterPreferencesNeedAClusterAdministratorPublishingAdministration) {
  Principal cluster_admin = Caller({v1::ADMINISTRATION});
  cluster_admin.can_act_across_orgs = true;
  EXPECT_TRUE(IsClusterAdministrator(cluster_admin));
  EXPECT_THAT(RequireClusterPrivilege(cluster_admin, "configure"), IsOk());
  // The administrator of one org is not a cluster administrator.
  EXPECT_FALSE(IsClusterAdministrator(Caller({v1::ADMINISTRATION})));
  EXPECT_THAT(RequireClusterPrivilege(Caller({v1::ADMINISTRATION}), "configure"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Cluster administrator (ADMINISTRATION across orgs) required to configure "
                       "cluster-level communication channel preferences."));
  Principal developer_across = Caller({v1::DEVELOPER});
  developer_across.can_act_across_orgs = true;
  EXPECT_THAT(RequireClusterPrivilege(developer_across, "retrieve"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Cluster administrator (ADMINISTRATION across orgs) required to retrieve "
                       "cluster-level communication channel preferences."));
  EXPECT_THAT(RequirePublishPrivilege(Caller({v1::ADMINISTRATION})), IsOk());
  EXPECT_THAT(RequirePublishPrivilege(Caller({v1::DEVELOPER})),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       "Insufficient privileges to publish events: requires ADMINISTRATION."));
}

TEST(PrivilegesTest, ResolveOrgHidesOrgsTheCallerMayNotActOn) {
  absl::StatusOr<StaticOrgDirectory> orgs =
      StaticOrgDirectory::Create({MakeOrg("0", "Primary"), MakeOrg("1", "one")});
  ASSERT_OK(orgs.status());
  Principal caller = Caller({v1::ADMINISTRATION});
  absl::StatusOr<v1::Org> own = ResolveOrg(*orgs, caller, "org_identifier", "one");
  ASSERT_OK(own.status());
  EXPECT_EQ(own->id(), "1");
  // Another org reads exactly like an org that does not exist.
  const char kMessage[] = "org_identifier '%s' does not match a known org";
  EXPECT_THAT(ResolveOrg(*orgs, caller, "org_identifier", "Primary"),
              StatusIs(absl::StatusCode::kInvalidArgument, absl::StrFormat(kMessage, "Primary")));
  EXPECT_THAT(ResolveOrg(*orgs, caller, "org_identifier", "nowhere"),
              StatusIs(absl::StatusCode::kInvalidArgument, absl::StrFormat(kMessage, "nowhere")));
  caller.can_act_across_orgs = true;
  EXPECT_TRUE(MayActOn(caller, "0"));
  absl::StatusOr<v1::Org> primary = ResolveOrg(*orgs, caller, "org_identifier", "0");
  ASSERT_OK(primary.status());
  EXPECT_EQ(primary->name(), "Primary");
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
