#include "engine/cloud_storage/object_storage.h"

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"

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

absl::Status CheckStorageType(absl::string_view storage, v1::StorageType expected,
                              const v1::StorageDestination& destination) {
  if (destination.storage_type() == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      storage, " stores ", v1::StorageType_Name(expected), " storage destinations, not ",
      v1::StorageType_Name(destination.storage_type())));
}

void PutEach(std::vector<StorageObject> objects,
             const std::function<void(StorageObject, std::function<void(absl::Status)>)>& put_one,
             ObjectStorage::Callback done) {
  if (objects.empty()) {
    done(std::vector<absl::Status>());
    return;
  }
  struct Results {
    absl::Mutex mu;
    std::vector<absl::Status> statuses ABSL_GUARDED_BY(mu);
    size_t remaining ABSL_GUARDED_BY(mu);
    ObjectStorage::Callback done;
  };
  auto results = std::make_shared<Results>();
  {
    absl::MutexLock lock(&results->mu);
    results->statuses.resize(objects.size());
    results->remaining = objects.size();
  }
  results->done = std::move(done);
  for (size_t i = 0; i < objects.size(); ++i) {
    put_one(std::move(objects[i]), [results, i](absl::Status status) {
      std::vector<absl::Status> statuses;
      {
        absl::MutexLock lock(&results->mu);
        results->statuses[i] = std::move(status);
        if (--results->remaining > 0) return;
        statuses = std::move(results->statuses);
      }
      results->done(std::move(statuses));
    });
  }
}

absl::StatusCode StorageErrorCode(int http_status) {
  if (http_status == 429 || http_status >= 500) return absl::StatusCode::kUnavailable;
  if (http_status == 401 || http_status == 403) return absl::StatusCode::kPermissionDenied;
  if (http_status == 404) return absl::StatusCode::kNotFound;
  if (http_status >= 300 && http_status < 400) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kInvalidArgument;
}

std::string StripTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void StorageRouter::Put(const v1::StorageDestination& destination,
                        absl::string_view org_external_id, std::vector<StorageObject> objects,
                        Callback done) {
  ObjectStorage* const storage = destination.storage_type() == v1::AWS_S3    ? aws_s3_
                                 : destination.storage_type() == v1::GCP_GCS ? gcp_gcs_
                                                                             : nullptr;
  if (storage == nullptr) {
    done(absl::FailedPreconditionError(absl::StrCat(
        "this server stores no files in ", ProviderName(destination), " storage destinations")));
    return;
  }
  storage->Put(destination, org_external_id, std::move(objects), std::move(done));
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
