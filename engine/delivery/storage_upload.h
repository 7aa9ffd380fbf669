// The storage part of a delivery: where an event's report files go in the webhook's storage
// destination, the manifest the POST carries instead of them, and validate's upload check.
#ifndef WEBHOOKS_ENGINE_DELIVERY_STORAGE_UPLOAD_H_
#define WEBHOOKS_ENGINE_DELIVERY_STORAGE_UPLOAD_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/cloud_storage/object_storage.h"
#include "proto/delivery.pb.h"
#include "proto/state.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// The name of the JSON file that lists where the report files went, attached to the POST of
// a webhook with a storage destination instead of the files.
inline constexpr char kStorageManifestFileName[] = "storage-manifest.json";

// The error of a storage step on a server started without object storage.
inline constexpr char kNoObjectStorage[] =
    "this server stores no report files: it was started without object storage";

// The MIME type a file is sent and stored with.
std::string ContentType(const v1::EventFile& file);

// The objects that store `files` of event `event_id` (created at `created`) in `webhook`'s
// storage destination, in order, under the keys of ObjectKey().
std::vector<StorageObject> UploadObjects(
    const v1::Webhook& webhook, absl::string_view event_id, absl::Time created,
    const google::protobuf::RepeatedPtrField<v1::EventFile>& files);

// What the uploads of one attempt came to: the manifest file to attach to the POST
// ("storage-manifest.json"), and whether any file was stored.
struct UploadReport {
  v1::EventFile manifest;
  // OK if some file was stored. If every file failed: kUnavailable if one of the failures may
  // pass when tried again, else kFailedPrecondition, with the manifest's `error` as message.
  absl::Status error;
};

// After the uploads of `files` under `keys` (in order) to `destination` answered `results`:
// the manifest listing each file as stored (with its bucket, region and key) or failed (with
// its error), and, if every file failed, a top-level "all file uploads failed (N files): ...".
UploadReport StorageManifest(const v1::StorageDestination& destination,
                             const google::protobuf::RepeatedPtrField<v1::EventFile>& files,
                             const std::vector<std::string>& keys,
                             const std::vector<absl::Status>& results);

// The manifest of uploads that could not be made at all (no credentials for the destination,
// no object storage on this server): no files, and "cloud storage upload failed: <error>".
v1::EventFile FailedUploadManifest(const absl::Status& error);

// Stores through `storage` (not owned), counting each object it was asked to store by
// provider and outcome (DeliveryStats). An object whose upload could not start (no credentials
// for the destination) counts as failed.
class CountedStorage final : public ObjectStorage {
 public:
  explicit CountedStorage(ObjectStorage& storage) : storage_(storage) {}

  void Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
           std::vector<StorageObject> objects, Callback done) override;

  // Objects stored (`succeeded`) or not in destinations of `provider` (AWS_S3 or GCP_GCS).
  uint64_t Count(v1::StorageType provider, bool succeeded) const;

 private:
  ObjectStorage& storage_;
  std::atomic<uint64_t> counts_[2][2] = {};  // By [provider is GCP_GCS][succeeded].
};

// The test file validate stores: a one-page blank PDF.
extern const char kValidationPdf[];

// Validate's STORAGE_FILE_UPLOAD_CHECK: stores kValidationPdf as
// validation_dummy_<yyyyMMdd_HHmmss>.pdf (the UTC time `now`) for validation job `job_id`
// in `webhook`'s destination through `storage` (null: this server has none) for the org that
// was issued `org_external_id`, and reports it. Blocks until the upload has answered.
v1::ChannelValidationDetail CheckStorageUpload(ObjectStorage* storage, const v1::Webhook& webhook,
                                               absl::string_view org_external_id,
                                               absl::string_view job_id, absl::Time now);

// How a failed validation step reads in the job's history `detail`, as in ThoughtSpot's:
// "STORAGE_FILE_UPLOAD_CHECK (bucket: my-webhook-files): <error>", or
// "HTTP_CONNECTION_CHECK: <error>".
std::string ValidationHistoryDetail(const v1::ChannelValidationDetail& step);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_STORAGE_UPLOAD_H_
