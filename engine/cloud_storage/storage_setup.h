// What customers are told to set up so that this server may write report files to their
// buckets: the answer of GET /api/rest/2.0/webhooks/storage-config.
#ifndef WEBHOOKS_ENGINE_CLOUD_STORAGE_STORAGE_SETUP_H_
#define WEBHOOKS_ENGINE_CLOUD_STORAGE_STORAGE_SETUP_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/webhook.pb.h"

namespace webhooks {

// One entry per provider this server supports: AWS_S3 always (its trust-policy template names
// `aws_account_id`, or a placeholder when it is empty), GCP_GCS when
// `gcp_service_account_email` (this server's service account) is set. kInvalidArgument if
// `aws_account_id` cannot stand in the policy's JSON.
absl::StatusOr<v1::GetStorageConfigResponse> StorageSetup(
    absl::string_view aws_account_id, absl::string_view gcp_service_account_email);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_CLOUD_STORAGE_STORAGE_SETUP_H_
