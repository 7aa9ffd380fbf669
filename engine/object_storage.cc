#include "engine/object_storage.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace webhooks {

std::string ObjectKey(const v1::StorageDestination& destination, absl::string_view org_id,
                      absl::Time event_time, absl::string_view event_id,
                      absl::string_view file_name) {
  const v1::StorageConfig& config = destination.storage_config();
  absl::string_view prefix = destination.storage_type() == v1::GCP_GCS
                                 ? config.gcp_gcs_config().path_prefix()
                                 : config.aws_s3_config().path_prefix();
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  return absl::StrCat(prefix, prefix.empty() ? "" : "/", org_id, "/",
                      absl::FormatTime("%Y-%m-%d", event_time, absl::UTCTimeZone()), "/", event_id,
                      "/", absl::StrReplaceAll(file_name, {{"/", "_"}, {"\\", "_"}}));
}

void StorageRouter::Put(const v1::StorageDestination& destination,
                        std::vector<StorageObject> objects, Callback done) {
  ObjectStorage* const storage = destination.storage_type() == v1::AWS_S3    ? aws_s3_
                                 : destination.storage_type() == v1::GCP_GCS ? gcp_gcs_
                                                                             : nullptr;
  if (storage == nullptr) {
    done(absl::FailedPreconditionError(absl::StrCat(
        "this server stores no files in ", ProviderName(destination), " storage destinations")));
    return;
  }
  storage->Put(destination, std::move(objects), std::move(done));
}

const std::string& BucketName(const v1::StorageDestination& destination) {
  const v1::StorageConfig& config = destination.storage_config();
  return destination.storage_type() == v1::GCP_GCS ? config.gcp_gcs_config().bucket_name()
                                                   : config.aws_s3_config().bucket_name();
}

std::string Region(const v1::StorageDestination& destination) {
  return destination.storage_type() == v1::AWS_S3
             ? destination.storage_config().aws_s3_config().region()
             : "";
}

std::string ProviderName(const v1::StorageDestination& destination) {
  return v1::StorageType_Name(destination.storage_type());
}

}  // namespace webhooks
