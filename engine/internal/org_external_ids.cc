#include "engine/internal/org_external_ids.h"

#include <utility>

#include "engine/cloud_storage/storage_setup.h"

namespace webhooks {
namespace engine_internal {

std::string OrgExternalIds::For(absl::string_view org_id) const {
  return OrgExternalId(key_, org_id);
}

v1::Webhook OrgExternalIds::Apply(v1::Webhook webhook) const {
  if (webhook.storage_destination().storage_type() == v1::AWS_S3) {
    webhook.mutable_storage_destination()
        ->mutable_storage_config()
        ->mutable_aws_s3_config()
        ->set_external_id(For(webhook.org().id()));
  }
  return webhook;
}

absl::Status OrgExternalIds::Settle(v1::Webhook* webhook) const {
  if (webhook->storage_destination().storage_type() != v1::AWS_S3) return absl::OkStatus();
  v1::AwsS3Config* s3 =
      webhook->mutable_storage_destination()->mutable_storage_config()->mutable_aws_s3_config();
  const std::string expected = For(webhook->org().id());
  if (s3->has_external_id() && s3->external_id() != expected) {
    return absl::InvalidArgumentError(
        "storage_destination.storage_config.aws_s3_config.external_id must be this org's "
        "external ID, as GET /api/rest/2.0/webhooks/storage-config shows it, or be left out");
  }
  s3->set_external_id(expected);
  return absl::OkStatus();
}

}  // namespace engine_internal
}  // namespace webhooks
