// S3Storage: the ObjectStorage for AWS_S3 destinations. For each customer role it obtains
// temporary credentials with STS AssumeRole (this server's own AWS credentials sign that call;
// the customer's trust policy names this server's account and the external ID), keeps them
// until shortly before they expire, and stores each object with one signed PutObject.
//
//   AwsOptions aws;
//   ASSIGN_OR_RETURN(aws.credentials, LoadAwsCredentials(flag_file, "default"));
//   S3Storage storage(aws, *transport, *SystemClock());
//   delivery_options.storage = &storage;
//
// Endpoints default to AWS's regional ones and may point at an S3-compatible server (with
// path-style addressing). Requests go through the given HttpTransport as operator endpoints
// (HttpRequest::operator_endpoint), never to a host a user names: the bucket becomes part of
// a host name only after validation has held it to S3's bucket-name rules.
#ifndef WEBHOOKS_ENGINE_CLOUD_STORAGE_S3_STORAGE_H_
#define WEBHOOKS_ENGINE_CLOUD_STORAGE_S3_STORAGE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/cloud_storage/aws_sigv4.h"
#include "engine/cloud_storage/object_storage.h"
#include "engine/http/expiring_cache.h"
#include "engine/http/http_transport.h"

namespace webhooks {

struct AwsOptions {
  // This server's credentials, which call sts:AssumeRole. Empty: every upload fails, saying so.
  engine_internal::AwsCredentials credentials;
  // Empty: "https://sts.<bucket region>.amazonaws.com". Else this base URL.
  std::string sts_endpoint;
  // Empty: "https://<bucket>.s3.<region>.amazonaws.com". Else this base URL, with the bucket
  // as the first path segment when `path_style`, or prefixed to the host name otherwise.
  std::string s3_endpoint;
  bool path_style = false;
  // AssumeRole's RoleSessionName, which the customer's CloudTrail shows.
  std::string session_name = "webhookd-webhook-delivery";
  // AssumeRole's DurationSeconds; credentials are renewed 5 minutes before they expire.
  absl::Duration session_duration = absl::Hours(1);
  // Each STS or S3 request.
  absl::Duration timeout = absl::Seconds(60);
  std::string user_agent;
};

// This server's AWS credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN from the environment when the first is set; otherwise, when `file` is not
// empty, the `profile` section of that file in the AWS shared-credentials format
// (aws_access_key_id, aws_secret_access_key, aws_session_token). Neither: empty credentials.
// kInvalidArgument names the file and what is missing (never a value).
absl::StatusOr<engine_internal::AwsCredentials> LoadAwsCredentials(const std::string& file,
                                                                   const std::string& profile);

class S3Storage final : public ObjectStorage {
 public:
  // `transport` and `clock` must outlive this object.
  S3Storage(AwsOptions options, HttpTransport& transport, const Clock& clock);

  // Destinations of another provider (GCP_GCS) fail with kInvalidArgument.
  void Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
           std::vector<StorageObject> objects, Callback done) override;

 private:
  using CredentialsCallback = std::function<void(absl::StatusOr<engine_internal::AwsCredentials>)>;

  // The role's temporary credentials, from the cache or from AssumeRole.
  void RoleCredentials(const v1::AwsS3Config& config, CredentialsCallback done);
  // Sends one signed PutObject and reports its status.
  void PutObject(const v1::AwsS3Config& config, const engine_internal::AwsCredentials& role,
                 StorageObject object, std::function<void(absl::Status)> done);

  const AwsOptions options_;
  HttpTransport& transport_;
  const Clock& clock_;
  // Role credentials by role ARN, external ID and region, renewed 5 minutes before they expire.
  ExpiringCache<engine_internal::AwsCredentials> sessions_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_CLOUD_STORAGE_S3_STORAGE_H_
