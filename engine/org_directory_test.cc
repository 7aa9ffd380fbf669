#include "engine/org_directory.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;

TEST(StaticOrgDirectoryTest, FindsByIdThenByName) {
  ASSERT_OK_AND_ASSIGN(
      StaticOrgDirectory orgs,
      StaticOrgDirectory::Create({MakeOrg("7", "Sales"), MakeOrg("0", "Primary")}));
  ASSERT_OK_AND_ASSIGN(v1::Org by_id, orgs.Find("7"));
  EXPECT_EQ(by_id.name(), "Sales");
  ASSERT_OK_AND_ASSIGN(v1::Org by_name, orgs.Find("Primary"));
  EXPECT_EQ(by_name.id(), "0");
  EXPECT_THAT(orgs.Find("Nope"),
              StatusIs(absl::StatusCode::kNotFound, "no org has the id or name 'Nope'"));
}

TEST(StaticOrgDirectoryTest, ListsOrdersById) {
  ASSERT_OK_AND_ASSIGN(
      StaticOrgDirectory orgs,
      StaticOrgDirectory::Create({MakeOrg("7", "Sales"), MakeOrg("0", "Primary")}));
  const std::vector<v1::Org> list = orgs.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id(), "0");
  EXPECT_EQ(list[1].id(), "7");
}

TEST(StaticOrgDirectoryTest, RefusesRepeatsAndBlanks) {
  EXPECT_THAT(StaticOrgDirectory::Create({MakeOrg("1", "A"), MakeOrg("1", "B")}),
              StatusIs(absl::StatusCode::kInvalidArgument, "org id '1' appears twice"));
  EXPECT_THAT(StaticOrgDirectory::Create({MakeOrg("1", "A"), MakeOrg("2", "A")}),
              StatusIs(absl::StatusCode::kInvalidArgument, "org name 'A' appears twice"));
  EXPECT_THAT(StaticOrgDirectory::Create({MakeOrg("", "A")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-empty id and name")));
}

}  // namespace
}  // namespace webhooks
