#include "engine/delivery/storage_upload.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "engine/base/json_codec.h"
#include "engine/base/utf8.h"
#include "engine/delivery/attempt_outcome.h"

namespace webhooks {
namespace engine_internal {

const char kValidationPdf[] =
    "%PDF-1.4\n"
    "1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n"
    "2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n"
    "3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>\nendobj\n"
    "xref\n0 4\n"
    "0000000000 65535 f \n"
    "0000000009 00000 n \n"
    "0000000054 00000 n \n"
    "0000000105 00000 n \n"
    "trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n";

std::string ContentType(const v1::EventFile& file) {
  return file.mime_type().empty() ? "application/octet-stream" : file.mime_type();
}

std::vector<StorageObject> UploadObjects(
    const v1::Webhook& webhook, absl::string_view event_id, absl::Time created,
    const google::protobuf::RepeatedPtrField<v1::EventFile>& files) {
  std::vector<StorageObject> objects;
  for (const v1::EventFile& file : files) {
    objects.push_back({ObjectKey(webhook.storage_destination(), webhook.org().id(), created,
                                 event_id, file.name()),
                       ContentType(file), file.content()});
  }
  return objects;
}

namespace {

v1::EventFile ManifestFile(const v1::StorageManifest& manifest) {
  v1::EventFile attachment;
  attachment.set_name(kStorageManifestFileName);
  attachment.set_mime_type("application/json");
  attachment.set_content(ToJson(manifest));
  return attachment;
}

}  // namespace

UploadReport StorageManifest(const v1::StorageDestination& destination,
                             const google::protobuf::RepeatedPtrField<v1::EventFile>& files,
                             const std::vector<std::string>& keys,
                             const std::vector<absl::Status>& results) {
  v1::StorageManifest manifest;
  int stored = 0;
  bool may_pass = false;
  std::string first_error;
  for (int i = 0; i < files.size(); ++i) {
    const v1::EventFile& file = files[i];
    const absl::Status& status = results[i];
    v1::StoredFileInfo* info = manifest.add_files();
    info->set_filename(file.name());
    info->set_contenttype(ContentType(file));
    info->set_size(file.content().size());
    info->set_provider(ProviderName(destination));
    if (status.ok()) {
      ++stored;
      info->set_bucketname(BucketName(destination));
      if (destination.storage_type() != v1::GCP_GCS) info->set_region(Region(destination));
      info->set_objectkey(keys[i]);
      info->set_uploadstatus("SUCCESS");
      continue;
    }
    info->set_uploadstatus("FAILED");
    info->set_errormessage(ToValidUtf8(status.message()));
    may_pass = may_pass || MayPassOnRetry(status.code());
    if (first_error.empty()) first_error = ToValidUtf8(status.message());
  }
  UploadReport report;
  if (stored == 0 && !files.empty()) {
    // ThoughtSpot's wording, "(1 files)" included.
    const std::string error =
        absl::StrCat("all file uploads failed (", files.size(), " files): ", first_error);
    manifest.set_error(error);
    report.error = may_pass ? absl::UnavailableError(error) : absl::FailedPreconditionError(error);
  }
  report.manifest = ManifestFile(manifest);
  return report;
}

v1::EventFile FailedUploadManifest(const absl::Status& error) {
  v1::StorageManifest manifest;
  manifest.set_error(absl::StrCat("cloud storage upload failed: ", ToValidUtf8(error.message())));
  return ManifestFile(manifest);
}

v1::ChannelValidationDetail CheckStorageUpload(ObjectStorage* storage, const v1::Webhook& webhook,
                                               absl::string_view org_external_id,
                                               absl::string_view job_id, absl::Time now) {
  const v1::StorageDestination& destination = webhook.storage_destination();
  const std::string file_name = absl::StrCat(
      "validation_dummy_", absl::FormatTime("%Y%m%d_%H%M%S", now, absl::UTCTimeZone()), ".pdf");
  const std::string key = ObjectKey(destination, webhook.org().id(), now, job_id, file_name);
  v1::ChannelValidationDetail detail;
  detail.set_validation_step(v1::ChannelValidationDetail::STORAGE_FILE_UPLOAD_CHECK);
  v1::StorageUploadInfo* info = destination.storage_type() == v1::GCP_GCS
                                    ? detail.mutable_gcp_gcs_info()
                                    : detail.mutable_aws_s3_info();
  info->set_bucket_name(BucketName(destination));
  info->set_file_name(file_name);
  info->set_object_key(key);

  absl::Status stored = absl::FailedPreconditionError(kNoObjectStorage);
  if (storage != nullptr) {
    absl::Notification done;
    std::vector<StorageObject> objects = {{key, "application/pdf", kValidationPdf}};
    storage->Put(destination, org_external_id, std::move(objects),
                 [&](absl::StatusOr<std::vector<absl::Status>> results) {
                   stored = results.ok() ? results->at(0) : results.status();
                   done.Notify();
                 });
    done.WaitForNotification();
  }
  detail.set_status(stored.ok() ? v1::ChannelValidationDetail::SUCCESS
                                : v1::ChannelValidationDetail::FAILED);
  // The message can quote the storage server's answer.
  if (!stored.ok()) detail.set_error_message(ToValidUtf8(stored.message()));
  return detail;
}

void CountedStorage::Put(const v1::StorageDestination& destination,
                         absl::string_view org_external_id, std::vector<StorageObject> objects,
                         Callback done) {
  std::atomic<uint64_t>* counts = counts_[destination.storage_type() == v1::GCP_GCS];
  const size_t tried = objects.size();
  storage_.Put(
      destination, org_external_id, std::move(objects),
      [counts, tried, done = std::move(done)](absl::StatusOr<std::vector<absl::Status>> results) {
        if (!results.ok()) {
          counts[0] += tried;
        } else {
          for (const absl::Status& result : *results) ++counts[result.ok()];
        }
        done(std::move(results));
      });
}

uint64_t CountedStorage::Count(v1::StorageType provider, bool succeeded) const {
  return counts_[provider == v1::GCP_GCS][succeeded];
}

std::string ValidationHistoryDetail(const v1::ChannelValidationDetail& step) {
  const std::string name = v1::ChannelValidationDetail::Step_Name(step.validation_step());
  const v1::StorageUploadInfo& info =
      step.has_gcp_gcs_info() ? step.gcp_gcs_info() : step.aws_s3_info();
  if (step.validation_step() == v1::ChannelValidationDetail::STORAGE_FILE_UPLOAD_CHECK) {
    return absl::StrCat(name, " (bucket: ", info.bucket_name(), "): ", step.error_message());
  }
  return absl::StrCat(name, ": ", step.error_message());
}

}  // namespace engine_internal
}  // namespace webhooks
