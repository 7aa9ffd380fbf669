#include "engine/internal/webhook_index.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::ElementsAre;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;

v1::Webhook Hook(const std::string& id, const std::string& org, const std::string& name,
                 int64_t created) {
  v1::Webhook webhook;
  webhook.set_id(id);
  webhook.set_name(name);
  *webhook.mutable_org() = MakeOrg(org, absl::StrCat("org-", org));
  webhook.add_events(v1::LIVEBOARD_SCHEDULE);
  webhook.set_creation_time_in_millis(created);
  webhook.set_modification_time_in_millis(1000 - created);
  webhook.mutable_authentication()->set_bearer_token("secret");
  return webhook;
}

std::vector<std::string> Ids(const v1::SearchWebhooksResponse& page) {
  std::vector<std::string> ids;
  for (const v1::Webhook& webhook : page.webhooks()) ids.push_back(webhook.id());
  return ids;
}

class WebhookIndexTest : public ::testing::Test {
 protected:
  WebhookIndexTest() {
    index_.Put(Hook("a", "1", "Beta", 10));
    index_.Put(Hook("b", "2", "alpha", 20));
    index_.Put(Hook("c", "3", "gamma", 30));
    admin_.org = MakeOrg("0", "Primary");
    admin_.can_act_across_orgs = true;
    member_.org = MakeOrg("2", "org-2");
  }

  WebhookIndex index_;
  Principal admin_;
  Principal member_;
};

TEST_F(WebhookIndexTest, PagesEveryOrgInSortOrder) {
  SearchQuery query;
  query.size = 2;
  v1::SearchWebhooksResponse page = index_.Search(admin_, query);  // CREATED, DESC.
  EXPECT_THAT(Ids(page), ElementsAre("c", "b"));
  EXPECT_EQ(page.pagination().total_count(), 3);
  EXPECT_TRUE(page.pagination().has_more());
  EXPECT_EQ(page.webhooks(0).authentication().bearer_token(), "***");

  query.offset = 2;
  page = index_.Search(admin_, query);
  EXPECT_THAT(Ids(page), ElementsAre("a"));
  EXPECT_FALSE(page.pagination().has_more());

  query = SearchQuery();
  query.size = 10;
  query.field = v1::NAME;
  query.order = v1::ASC;
  EXPECT_THAT(Ids(index_.Search(admin_, query)), ElementsAre("b", "a", "c"));  // Case-blind.
  query.field = v1::MODIFIED;
  EXPECT_THAT(Ids(index_.Search(admin_, query)), ElementsAre("c", "b", "a"));
}

TEST_F(WebhookIndexTest, PutReplacesAndDeleteRemovesFromEveryIndex) {
  v1::Webhook renamed = Hook("a", "1", "zeta", 10);
  renamed.set_status(v1::DISABLED);
  index_.Put(renamed);
  index_.Delete("b");
  index_.Delete("missing");
  EXPECT_EQ(index_.FindById("b"), nullptr);
  EXPECT_EQ(index_.FindByOrg("2"), nullptr);
  EXPECT_EQ(index_.FindByOrg("1")->name(), "zeta");
  EXPECT_THAT(index_.Resolve(admin_, "Beta"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  SearchQuery query;
  query.size = 10;
  query.enabled = false;
  v1::SearchWebhooksResponse page = index_.Search(admin_, query);
  EXPECT_THAT(Ids(page), ElementsAre("a"));
  EXPECT_EQ(page.pagination().total_count(), 1);
  query.enabled = true;
  EXPECT_THAT(Ids(index_.Search(admin_, query)), ElementsAre("c"));
}

TEST_F(WebhookIndexTest, ResolveSeesOnlyTheCallersOrg) {
  absl::StatusOr<const v1::Webhook*> own = index_.Resolve(member_, "alpha");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ((*own)->id(), "b");
  EXPECT_THAT(index_.Resolve(member_, "c"),
              StatusIs(absl::StatusCode::kNotFound,
                       "Webhook with the specified identifier 'c' was not found."));
  index_.Put(Hook("d", "4", "alpha", 40));
  EXPECT_THAT(index_.Resolve(admin_, "alpha"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "webhook name 'alpha' is used in 2 orgs; use the id"));
  EXPECT_TRUE(index_.Resolve(admin_, "d").ok());
}

TEST_F(WebhookIndexTest, QueryFromRequestChecksAndScopes) {
  absl::StatusOr<StaticOrgDirectory> orgs =
      StaticOrgDirectory::Create({MakeOrg("0", "Primary"), MakeOrg("2", "org-2")});
  ASSERT_TRUE(orgs.ok());
  const EngineLimits limits;
  v1::SearchWebhooksRequest request;
  absl::StatusOr<SearchQuery> query = SearchQueryFromRequest(*orgs, member_, request, limits);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->org_id, "2");  // A caller of one org sees only it.
  EXPECT_EQ(query->size, 50);
  EXPECT_THAT(Ids(index_.Search(member_, *query)), ElementsAre("b"));

  request.set_record_size(5000);
  query = SearchQueryFromRequest(*orgs, admin_, request, limits);
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->size, 1000);
  EXPECT_FALSE(query->org_id.has_value());

  request.set_record_offset(-1);
  EXPECT_THAT(SearchQueryFromRequest(*orgs, admin_, request, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "record_offset must be a non-negative integer."));
  request.clear_record_offset();
  request.set_org_identifier("Primary");
  EXPECT_THAT(SearchQueryFromRequest(*orgs, member_, request, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "org_identifier 'Primary' does not match a known org"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
