// What customers are told to set up so that this server may write report files to their
// buckets: the answer of GET /api/rest/2.0/webhooks/storage-config.
#ifndef WEBHOOKS_ENGINE_CLOUD_STORAGE_STORAGE_SETUP_H_
#define WEBHOOKS_ENGINE_CLOUD_STORAGE_STORAGE_SETUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/webhook.pb.h"

namespace webhooks {

// The AWS external ID this server uses for org `org_id`'s roles: "webhookd-" and the first 32
// hex digits of HMAC-SHA256(server_key, "aws-external-id:" + org_id). Each org gets its own, no
// caller chooses it, and no org can compute another's without the key, so org B cannot have
// this server assume org A's role (the confused deputy AWS's external ID is meant to stop).
std::string OrgExternalId(absl::string_view server_key, absl::string_view org_id);

// A new server key for OrgExternalId: 32 bytes from the system's secure random source.
std::string NewServerKey();

// One entry per provider this server supports: AWS_S3 always (its trust-policy template names
// `aws_account_id`, or a placeholder when it is empty, and requires `org_external_id`, the
// calling org's OrgExternalId), GCP_GCS when `gcp_service_account_email` (this server's service
// account) is set (its instructions name the bucket's ownership object for `org_external_id`,
// GcsOwnershipObject). kInvalidArgument if `aws_account_id` cannot stand in the policy's JSON.
absl::StatusOr<v1::GetStorageConfigResponse> StorageSetup(
    absl::string_view aws_account_id, absl::string_view gcp_service_account_email,
    absl::string_view org_external_id);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_CLOUD_STORAGE_STORAGE_SETUP_H_
