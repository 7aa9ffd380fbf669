// ObjectStorage: how the engine stores report files in a webhook's storage destination (a
// customer's bucket) instead of attaching them to the POST. S3Storage
// (engine/cloud_storage/s3_storage.h) is the AWS one.
#ifndef WEBHOOKS_ENGINE_CLOUD_STORAGE_OBJECT_STORAGE_H_
#define WEBHOOKS_ENGINE_CLOUD_STORAGE_OBJECT_STORAGE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/webhook.pb.h"

namespace webhooks {

struct StorageObject {
  std::string key;  // See ObjectKey().
  std::string content_type;
  std::string content;
};

// Implementations are thread-safe.
class ObjectStorage {
 public:
  virtual ~ObjectStorage() = default;

  // One status per object, in order; or one error when no object could be tried (the
  // destination's credentials could not be obtained).
  using Callback = std::function<void(absl::StatusOr<std::vector<absl::Status>>)>;

  // Stores `objects` in `destination`'s bucket for the org this server issued
  // `org_external_id` to (OrgExternalId in engine/cloud_storage/storage_setup.h), and calls
  // `done` exactly once, on any thread. The ID is how the provider learns that the bucket's
  // owner allows this org to write there: S3 roles require it in AssumeRole, and GCS buckets
  // hold an object named after it (GcsStorage). Errors name the operation, the bucket and key
  // or role, and the provider's error code and message (never a credential). Their codes say
  // whether trying again may help: kUnavailable and kDeadlineExceeded may pass (throttling,
  // server errors, timeouts, connection failures); kPermissionDenied, kNotFound,
  // kInvalidArgument, kFailedPrecondition and kUnimplemented will not.
  virtual void Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
                   std::vector<StorageObject> objects, Callback done) = 0;
};

// For implementations of Put: starts `put_one` for every object at once and calls `done`
// with their statuses, in order, once the last has answered (at once if there are none).
void PutEach(std::vector<StorageObject> objects,
             const std::function<void(StorageObject, std::function<void(absl::Status)>)>& put_one,
             ObjectStorage::Callback done);

// For implementations of Put that first obtain what every object's upload needs (role
// credentials, an access token): the callback that takes it and puts each object with
// `put_one` (as PutEach), or answers `done` with the error of obtaining it.
template <typename Credential>
std::function<void(absl::StatusOr<Credential>)> PutEachWith(
    std::vector<StorageObject> objects,
    std::function<void(const Credential&, StorageObject, std::function<void(absl::Status)>)>
        put_one,
    ObjectStorage::Callback done) {
  return [objects = std::move(objects), put_one = std::move(put_one),
          done = std::move(done)](absl::StatusOr<Credential> credential) mutable {
    if (!credential.ok()) {
      done(credential.status());
      return;
    }
    PutEach(
        std::move(objects),
        [&](StorageObject object, std::function<void(absl::Status)> stored) {
          put_one(*credential, std::move(object), std::move(stored));
        },
        std::move(done));
  };
}

// For implementations of Put: kInvalidArgument, naming `storage`, unless `destination` is of
// type `expected`.
absl::Status CheckStorageType(absl::string_view storage, v1::StorageType expected,
                              const v1::StorageDestination& destination);

// For implementations of Put: what a provider's HTTP error status means (see Put). Throttling
// and server errors may pass; a refusal (401, 403), a missing bucket (404), a redirect (a
// bucket in another region than configured) or another 4xx will not.
absl::StatusCode StorageErrorCode(int http_status);

// For implementations of Put: a configured base URL without trailing '/'.
std::string StripTrailingSlash(std::string url);

// Sends each destination to the ObjectStorage of its provider.
class StorageRouter final : public ObjectStorage {
 public:
  // Not owned. Either may be null: that provider's destinations then fail with
  // kFailedPrecondition, saying that this server is not set up for it.
  StorageRouter(ObjectStorage* aws_s3, ObjectStorage* gcp_gcs)
      : aws_s3_(aws_s3), gcp_gcs_(gcp_gcs) {}

  void Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
           std::vector<StorageObject> objects, Callback done) override;

 private:
  ObjectStorage* const aws_s3_;
  ObjectStorage* const gcp_gcs_;
};

// Where a file of an event goes (documented in the README):
//   <path_prefix>/<org id>/<YYYY-MM-DD of the event, UTC>/<event id>/<file name>
// with the prefix's trailing '/' not doubled (no prefix: the key starts at the org id) and
// '/' or '\' in the file name replaced by '_'. Event ids are unique, and an event's file
// names are (PublishEvent refuses repeats), so every file gets its own key.
std::string ObjectKey(const v1::StorageDestination& destination, absl::string_view org_id,
                      absl::Time event_time, absl::string_view event_id,
                      absl::string_view file_name);

// The bucket, region ("" for GCS) and provider name ("AWS_S3", "GCP_GCS") of `destination`.
const std::string& BucketName(const v1::StorageDestination& destination);
std::string Region(const v1::StorageDestination& destination);
std::string ProviderName(const v1::StorageDestination& destination);

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_CLOUD_STORAGE_OBJECT_STORAGE_H_
