#include "engine/cloud_storage/storage_setup.h"

#include "engine/base/json_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

TEST(StorageSetupTest, AwsTrustPolicyNamesThisServersAccount) {
  absl::StatusOr<v1::GetStorageConfigResponse> setup =
      StorageSetup("123456789012", "", "webhookd-0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(setup.ok()) << setup.status();
  ASSERT_EQ(setup->configs_size(), 1);
  const v1::WebhookStorageSetupConfig& config = setup->configs(0).config();
  EXPECT_EQ(setup->configs(0).provider(), v1::AWS_S3);
  EXPECT_EQ(config.aws_account_id(), "123456789012");
  EXPECT_EQ(config.setup_instructions_size(), 5);
  EXPECT_EQ(ToJson(config.trust_policy_template()),
            R"({"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":)"
            R"({"sts:ExternalId":"webhookd-0123456789abcdef0123456789abcdef"}},)"
            R"("Effect":"Allow","Principal":{"AWS":)"
            R"("arn:aws:iam::123456789012:root"}}],"Version":"2012-10-17"})");
  EXPECT_THAT(config.setup_instructions(1),
              ::testing::HasSubstr("webhookd-0123456789abcdef0123456789abcdef"));
}

TEST(StorageSetupTest, ExternalIdsArePerOrgAndPerServerKey) {
  const std::string org_a = OrgExternalId("server-key", "1");
  EXPECT_EQ(org_a, OrgExternalId("server-key", "1"));  // Stable for the same key and org.
  EXPECT_THAT(org_a, ::testing::MatchesRegex("webhookd-[0-9a-f]{32}"));
  EXPECT_NE(org_a, OrgExternalId("server-key", "2"));
  EXPECT_NE(org_a, OrgExternalId("other-key", "1"));
  // HMAC-SHA256("server-key", "aws-external-id:1"), its first 16 bytes.
  EXPECT_EQ(org_a, "webhookd-f779bce973a60fe45944429fdcf4e2df");
}

TEST(StorageSetupTest, GcsEntryOnlyWithAServiceAccount) {
  absl::StatusOr<v1::GetStorageConfigResponse> setup =
      StorageSetup("", "webhookd@project.iam.gserviceaccount.com", "webhookd-x");
  ASSERT_TRUE(setup.ok()) << setup.status();
  ASSERT_EQ(setup->configs_size(), 2);
  EXPECT_FALSE(setup->configs(0).config().has_aws_account_id());
  EXPECT_THAT(ToJson(setup->configs(0).config().trust_policy_template()),
              ::testing::HasSubstr("arn:aws:iam::<AWS_ACCOUNT_ID>:root"));
  const v1::WebhookStorageSetupConfig& gcs = setup->configs(1).config();
  EXPECT_EQ(setup->configs(1).provider(), v1::GCP_GCS);
  EXPECT_EQ(gcs.service_account_email(), "webhookd@project.iam.gserviceaccount.com");
  EXPECT_EQ(gcs.required_role(), "roles/iam.serviceAccountTokenCreator");
  EXPECT_THAT(gcs.setup_instructions(1),
              ::testing::HasSubstr("Grant webhookd@project.iam.gserviceaccount.com"));
  ASSERT_EQ(gcs.setup_instructions_size(), 5);
  EXPECT_EQ(gcs.setup_instructions(2),
            "Show that the bucket allows your org: create the object "
            "webhookd-bucket-owner/webhookd-x in it (any content; your org's external ID is "
            "issued to your org alone) and let the service account read it "
            "(roles/storage.objectViewer). This server reads it before the first upload and "
            "hourly after, never writes it, and stores nothing without it.");
}

}  // namespace
}  // namespace webhooks
