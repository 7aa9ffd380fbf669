#include "engine/cloud_storage/storage_setup.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <string>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/base/json_codec.h"
#include "engine/cloud_storage/gcs_storage.h"

namespace webhooks {

std::string OrgExternalId(absl::string_view server_key, absl::string_view org_id) {
  const std::string data = absl::StrCat("aws-external-id:", org_id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), server_key.data(), static_cast<int>(server_key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_size);
  const std::string hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), mac_size));
  return absl::StrCat("webhookd-", hex.substr(0, 32));
}

std::string NewServerKey() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) {
    // Without entropy no key is safe to use; this does not happen on a working system.
    ABSL_RAW_LOG(FATAL, "RAND_bytes failed");
  }
  return std::string(reinterpret_cast<const char*>(key), sizeof(key));
}

absl::StatusOr<v1::GetStorageConfigResponse> StorageSetup(
    absl::string_view aws_account_id, absl::string_view gcp_service_account_email,
    absl::string_view org_external_id) {
  const absl::string_view account = aws_account_id.empty() ? "<AWS_ACCOUNT_ID>" : aws_account_id;
  v1::GetStorageConfigResponse response;
  v1::WebhookStorageConfigInfo* aws = response.add_configs();
  aws->set_storage_type(v1::WebhookStorageConfigInfo::OBJECT_STORAGE);
  aws->set_provider(v1::AWS_S3);
  v1::WebhookStorageSetupConfig* config = aws->mutable_config();
  config->set_config_type(v1::WebhookStorageSetupConfig::AWS_TO_S3_STORAGE);
  if (!aws_account_id.empty()) config->set_aws_account_id(std::string(aws_account_id));
  for (const std::string& step : {
           std::string("Choose an S3 bucket and the region it is in; report files are written "
                       "under <path_prefix>/<org id>/<YYYY-MM-DD>/<event id>/<file name>."),
           absl::StrCat("Create an IAM role whose trust policy is trust_policy_template: it "
                        "requires your org's external ID, ",
                        org_external_id,
                        ", which this server issues to your org alone and sends with every "
                        "AssumeRole."),
           std::string("Allow the role s3:PutObject on arn:aws:s3:::<bucket>/<path_prefix>/* "
                       "(nothing else is needed: files are only written, never read, listed or "
                       "deleted)."),
           std::string("Set the webhook's storage_destination: storage_type AWS_S3 and "
                       "aws_s3_config with bucket_name, region, role_arn and optionally "
                       "path_prefix (external_id may be left out: it is filled in; any other "
                       "than your org's is refused)."),
           std::string("Check it with POST /api/rest/2.0/system/communication-channels/"
                       "validate: the STORAGE_FILE_UPLOAD_CHECK step stores a small test file "
                       "and reports its key."),
       }) {
    config->add_setup_instructions(step);
  }
  // AWS's cross-account trust policy: this server's account may assume the role, only with
  // the customer's external ID.
  constexpr char kTrustPolicy[] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
      R"("Principal":{"AWS":"arn:aws:iam::$ACCOUNT:root"},"Action":"sts:AssumeRole",)"
      R"("Condition":{"StringEquals":{"sts:ExternalId":"$EXTERNAL_ID"}}}]})";
  const absl::Status parsed = FromJson(
      absl::StrReplaceAll(kTrustPolicy, {{"$ACCOUNT", account}, {"$EXTERNAL_ID", org_external_id}}),
      config->mutable_trust_policy_template());
  if (!parsed.ok()) return parsed;
  if (gcp_service_account_email.empty()) return response;

  v1::WebhookStorageConfigInfo* gcp = response.add_configs();
  gcp->set_storage_type(v1::WebhookStorageConfigInfo::OBJECT_STORAGE);
  gcp->set_provider(v1::GCP_GCS);
  v1::WebhookStorageSetupConfig* gcs = gcp->mutable_config();
  gcs->set_config_type(v1::WebhookStorageSetupConfig::GCP_TO_GCS_STORAGE);
  gcs->set_service_account_email(std::string(gcp_service_account_email));
  gcs->set_required_role("roles/iam.serviceAccountTokenCreator");
  for (const std::string& step : {
           std::string("Choose a GCS bucket and a service account of yours that may create "
                       "objects in it (roles/storage.objectCreator); report files are written "
                       "under <path_prefix>/<org id>/<YYYY-MM-DD>/<event id>/<file name>."),
           absl::StrCat("Grant ", gcp_service_account_email,
                        " roles/iam.serviceAccountTokenCreator on that service account, so "
                        "this server can act as it."),
           absl::StrCat("Show that the bucket allows your org: create the object ",
                        GcsOwnershipObject(org_external_id),
                        " in it (any content; your org's external ID is issued to your org "
                        "alone) and let the service account read it "
                        "(roles/storage.objectViewer). This server reads it before the first "
                        "upload and hourly after, never writes it, and stores nothing without "
                        "it."),
           std::string("Set the webhook's storage_destination: storage_type GCP_GCS and "
                       "gcp_gcs_config with bucket_name, service_account_email and optionally "
                       "path_prefix."),
           std::string("Check it with POST /api/rest/2.0/system/communication-channels/"
                       "validate: the STORAGE_FILE_UPLOAD_CHECK step stores a small test file "
                       "and reports its key."),
       }) {
    gcs->add_setup_instructions(step);
  }
  return response;
}

}  // namespace webhooks
