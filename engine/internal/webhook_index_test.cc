#include "engine/internal/webhook_index.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
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

// The page `query` selects, with its pagination.
v1::SearchWebhooksResponse Page(const WebhookIndex& index, const Principal& caller,
                                const SearchQuery& query) {
  v1::SearchWebhooksResponse page;
  *page.mutable_pagination() =
      index.Search(caller, query, [&](absl::string_view wire, absl::string_view json) {
        v1::Webhook* webhook = page.add_webhooks();
        EXPECT_TRUE(webhook->ParseFromArray(wire.data(), static_cast<int>(wire.size())));
        EXPECT_EQ(json, ToJson(*webhook));
      });
  return page;
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
  v1::SearchWebhooksResponse page = Page(index_, admin_, query);  // CREATED, DESC.
  EXPECT_THAT(Ids(page), ElementsAre("c", "b"));
  EXPECT_EQ(page.pagination().total_count(), 3);
  EXPECT_TRUE(page.pagination().has_more());
  EXPECT_EQ(page.webhooks(0).authentication().bearer_token(), "***");

  query.offset = 2;
  page = Page(index_, admin_, query);
  EXPECT_THAT(Ids(page), ElementsAre("a"));
  EXPECT_FALSE(page.pagination().has_more());

  query = SearchQuery();
  query.size = 10;
  query.field = v1::NAME;
  query.order = v1::ASC;
  EXPECT_THAT(Ids(Page(index_, admin_, query)), ElementsAre("b", "a", "c"));  // Case-blind.
  query.field = v1::MODIFIED;
  EXPECT_THAT(Ids(Page(index_, admin_, query)), ElementsAre("c", "b", "a"));
}

TEST_F(WebhookIndexTest, PutReplacesAndDeleteRemovesFromEveryIndex) {
  v1::Webhook renamed = Hook("a", "1", "zeta", 10);
  renamed.set_status(v1::DISABLED);
  index_.Put(renamed);
  index_.Delete("b");
  index_.Delete("missing");
  EXPECT_EQ(index_.FindById("b"), std::nullopt);
  EXPECT_EQ(index_.FindByOrg("2"), std::nullopt);
  EXPECT_EQ(index_.FindByOrg("1")->name(), "zeta");
  EXPECT_THAT(index_.Resolve(admin_, "Beta"), StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  SearchQuery query;
  query.size = 10;
  query.enabled = false;
  v1::SearchWebhooksResponse page = Page(index_, admin_, query);
  EXPECT_THAT(Ids(page), ElementsAre("a"));
  EXPECT_EQ(page.pagination().total_count(), 1);
  query.enabled = true;
  EXPECT_THAT(Ids(Page(index_, admin_, query)), ElementsAre("c"));
}

// Random puts (new webhooks, and updates that change the name, the times and the status) and
// deletes, each followed by a random search of every org, checked against sorting every webhook
// with the documented order: the key, then the id; names compared case-blind.
TEST_F(WebhookIndexTest, PagesMatchASortedReferenceUnderRandomChanges) {
  std::mt19937 random(16);
  const auto uniform = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  std::map<std::string, v1::Webhook> reference;
  for (const char* id : {"a", "b", "c"}) reference[id] = *index_.FindById(id);
  for (int step = 0; step < 3000; ++step) {
    const std::string id = absl::StrCat("w", uniform(0, 600));
    if (uniform(0, 9) == 0) {
      index_.Delete(id);
      reference.erase(id);
    } else {
      // Few distinct names and times, so ties are broken by the id. Half the updates keep the
      // name and the creation time, as UpdateWebhook does unless it renames.
      v1::Webhook webhook =
          Hook(id, id, absl::StrCat(uniform(0, 1) ? "N" : "n", uniform(0, 50)), uniform(0, 100));
      if (const auto it = reference.find(id); it != reference.end() && uniform(0, 1) == 0) {
        webhook.set_name(it->second.name());
        webhook.set_creation_time_in_millis(it->second.creation_time_in_millis());
      }
      webhook.set_modification_time_in_millis(uniform(0, 100));
      if (uniform(0, 3) == 0) webhook.set_status(uniform(0, 1) ? v1::DISABLED : v1::ENABLED);
      index_.Put(webhook);
      reference[id] = webhook;
    }
    SearchQuery query;
    query.field = std::vector<v1::SortField>{v1::CREATED, v1::MODIFIED, v1::NAME}[uniform(0, 2)];
    query.order = uniform(0, 1) ? v1::ASC : v1::DESC;
    if (uniform(0, 3) == 0) query.enabled = uniform(0, 1) == 1;
    query.offset = uniform(0, static_cast<int>(reference.size()) + 5);
    query.size = uniform(1, 60);

    std::vector<std::tuple<int64_t, std::string, std::string>> sorted;
    for (const auto& [id, webhook] : reference) {
      if (query.enabled && IsEnabled(webhook) != *query.enabled) continue;
      const int64_t number = query.field == v1::CREATED    ? webhook.creation_time_in_millis()
                             : query.field == v1::MODIFIED ? webhook.modification_time_in_millis()
                                                           : 0;
      const std::string text = query.field == v1::NAME ? absl::AsciiStrToLower(webhook.name()) : "";
      sorted.emplace_back(number, text, id);
    }
    std::sort(sorted.begin(), sorted.end());
    if (query.order == v1::DESC) std::reverse(sorted.begin(), sorted.end());
    std::vector<std::string> expected;
    for (size_t i = query.offset;
         i < sorted.size() && static_cast<int>(expected.size()) < query.size; ++i) {
      expected.push_back(std::get<2>(sorted[i]));
    }

    // The changed webhook is found by its org, and its name finds the webhooks so named.
    const std::optional<v1::Webhook> in_org = index_.FindByOrg(id);
    ASSERT_EQ(in_org.has_value(), reference.count(id) == 1) << "step " << step;
    if (in_org) {
      ASSERT_EQ(in_org->id(), id);
      std::vector<std::string> named;
      for (const auto& [other, webhook] : reference) {
        if (webhook.name() == in_org->name()) named.push_back(other);
      }
      const absl::StatusOr<v1::Webhook> resolved = index_.Resolve(admin_, in_org->name());
      if (named.size() == 1) {
        ASSERT_EQ(resolved->id(), id) << "step " << step;
      } else {
        ASSERT_THAT(
            resolved,
            StatusIs(absl::StatusCode::kInvalidArgument,
                     ::testing::HasSubstr(absl::StrCat("is used in ", named.size(), " orgs"))))
            << "step " << step;
      }
    }

    const v1::SearchWebhooksResponse page = Page(index_, admin_, query);
    ASSERT_EQ(Ids(page), expected) << "step " << step;
    ASSERT_EQ(page.pagination().total_count(), static_cast<int>(sorted.size())) << "step " << step;
    ASSERT_EQ(page.pagination().has_more(), query.offset + expected.size() < sorted.size());
  }
}

TEST_F(WebhookIndexTest, KeepsSecretsApartFromTheStoredWebhook) {
  v1::Webhook signed_hook = Hook("d", "4", "delta", 40);
  signed_hook.mutable_signature_verification()->set_secret("signing-secret");
  index_.Put(signed_hook);

  const std::optional<v1::Webhook> stored = index_.FindById("d");
  ASSERT_NE(stored, std::nullopt);
  EXPECT_EQ(stored->authentication().bearer_token(), "***");
  EXPECT_EQ(stored->signature_verification().secret(), "***");
  EXPECT_EQ(index_.FindByOrg("4")->SerializeAsString(), stored->SerializeAsString());
  const v1::Webhook full = index_.WithSecrets(*stored);
  EXPECT_EQ(full.SerializeAsString(), signed_hook.SerializeAsString());

  int visited = 0;
  index_.ForEach([&](const v1::Webhook& webhook) {
    ++visited;
    EXPECT_EQ(webhook.authentication().bearer_token(), "secret") << webhook.id();
  });
  EXPECT_EQ(visited, 4);

  signed_hook.mutable_authentication()->set_bearer_token("rotated");  // Replaced by a new put.
  index_.Put(signed_hook);
  EXPECT_EQ(index_.WithSecrets(*index_.FindById("d")).authentication().bearer_token(), "rotated");
}

TEST_F(WebhookIndexTest, ResolveSeesOnlyTheCallersOrg) {
  absl::StatusOr<v1::Webhook> own = index_.Resolve(member_, "alpha");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->id(), "b");
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
  EXPECT_THAT(Ids(Page(index_, member_, *query)), ElementsAre("b"));

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
