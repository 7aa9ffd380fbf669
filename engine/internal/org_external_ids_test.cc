#include "engine/internal/org_external_ids.h"

#include "engine/cloud_storage/storage_setup.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::webhooks::testing::StatusIs;

v1::Webhook S3Webhook(const std::string& org_id) {
  v1::Webhook webhook;
  webhook.mutable_org()->set_id(org_id);
  v1::StorageDestination* destination = webhook.mutable_storage_destination();
  destination->set_storage_type(v1::AWS_S3);
  destination->mutable_storage_config()->mutable_aws_s3_config()->set_bucket_name("reports");
  return webhook;
}

const std::string& ExternalId(const v1::Webhook& webhook) {
  return webhook.storage_destination().storage_config().aws_s3_config().external_id();
}

TEST(OrgExternalIdsTest, EachOrgGetsItsOwnIdFromTheKey) {
  OrgExternalIds ids;
  ids.set_key("server-key");
  EXPECT_EQ(ids.For("7"), OrgExternalId("server-key", "7"));
  EXPECT_NE(ids.For("7"), ids.For("8"));
  v1::Webhook stored = S3Webhook("7");
  stored.mutable_storage_destination()
      ->mutable_storage_config()
      ->mutable_aws_s3_config()
      ->set_external_id("chosen-before-the-rule");
  EXPECT_EQ(ExternalId(ids.Apply(stored)), ids.For("7"));
}

TEST(OrgExternalIdsTest, SettleFillsInTheOrgsIdAndRefusesAnother) {
  OrgExternalIds ids;
  ids.set_key("server-key");
  v1::Webhook webhook = S3Webhook("8");
  ASSERT_TRUE(ids.Settle(&webhook).ok());
  EXPECT_EQ(ExternalId(webhook), ids.For("8"));
  ASSERT_TRUE(ids.Settle(&webhook).ok());  // Its own ID, given back, stands.

  v1::Webhook other = S3Webhook("8");
  other.mutable_storage_destination()
      ->mutable_storage_config()
      ->mutable_aws_s3_config()
      ->set_external_id(ids.For("7"));
  EXPECT_THAT(ids.Settle(&other),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "storage_destination.storage_config.aws_s3_config.external_id must be "
                       "this org's external ID, as GET /api/rest/2.0/webhooks/storage-config "
                       "shows it, or be left out"));

  v1::Webhook no_storage;
  no_storage.mutable_org()->set_id("8");
  ASSERT_TRUE(ids.Settle(&no_storage).ok());
  EXPECT_FALSE(no_storage.has_storage_destination());
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
