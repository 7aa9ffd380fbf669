// GcsStorage: the ObjectStorage for GCP_GCS destinations. This server's own service account
// signs a JWT to obtain its OAuth2 access token; with it, it impersonates the customer's
// service account (IAM Credentials generateAccessToken, which the customer allows by granting
// this server's service account roles/iam.serviceAccountTokenCreator on theirs) and stores
// each object with one media upload as that account. Both tokens are kept until 5 minutes
// before they expire.
//
// Impersonation alone would let any org that names another org's service account and bucket
// write there (the confused deputy). So before its first upload for an org to a bucket, and
// again after GcpOptions::ownership_lifetime, GcsStorage reads the object
// GcsOwnershipObject(<the org's external ID>) in the bucket as the service account: only the
// bucket's owner can create it, and only for an org it allows, since no org knows another's ID.
// This server reads that object; it never writes it.
//
//   ASSIGN_OR_RETURN(GcpOptions gcp, LoadGcpServiceAccount(flag_file));
//   GcsStorage storage(gcp, *transport, *SystemClock());
//   delivery_options.storage = &storage;
//
// Endpoints default to Google's and may point elsewhere (tests use //testing:fake_gcp).
// Requests go through the given HttpTransport as operator endpoints
// (HttpRequest::operator_endpoint), never to a host a user names: the bucket and the service
// account only ever appear, percent-encoded, in the path of the configured endpoints.
#ifndef WEBHOOKS_ENGINE_CLOUD_STORAGE_GCS_STORAGE_H_
#define WEBHOOKS_ENGINE_CLOUD_STORAGE_GCS_STORAGE_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/cloud_storage/object_storage.h"
#include "engine/http/expiring_cache.h"
#include "engine/http/http_transport.h"

namespace webhooks {

struct GcpOptions {
  // This server's service account (from its JSON key file): it signs a JWT to get its own
  // OAuth2 token, with which it impersonates the customer's service account. Either empty:
  // every upload fails, saying so.
  std::string client_email;
  std::string private_key_pem;  // PKCS#8 or PKCS#1 RSA key, as in Google's key files.
  // Google's OAuth2 token endpoint; also the JWT's audience.
  std::string token_uri = "https://oauth2.googleapis.com/token";
  // Base URLs of the IAM Service Account Credentials API and of Cloud Storage's JSON API.
  std::string iam_credentials_endpoint = "https://iamcredentials.googleapis.com";
  std::string storage_endpoint = "https://storage.googleapis.com";
  // generateAccessToken's lifetime for the customer's token (Google allows at most 1 hour
  // unless the customer's organization allows up to 12).
  absl::Duration token_lifetime = absl::Hours(1);
  // Each token, IAM or upload request.
  absl::Duration timeout = absl::Seconds(60);
  std::string user_agent;
  // How long a bucket's ownership object, once read, vouches for an org: deleting it stops
  // that org's uploads after at most this long.
  absl::Duration ownership_lifetime = absl::Hours(1);
};

// The object whose presence in a GCS bucket tells this server that the bucket's owner allows
// the org that was issued `org_external_id` to store report files there:
// "webhookd-bucket-owner/<org_external_id>" (its content does not matter).
std::string GcsOwnershipObject(absl::string_view org_external_id);

// Reads a service-account JSON key file as Google issues them: "type" must be
// "service_account", "client_email" and "private_key" (a PEM RSA key) must be present;
// "token_uri", when present, replaces the default. An empty `key_file` gives default options
// without credentials (uploads then fail saying there are no GCP credentials).
// kInvalidArgument names the file and what is wrong with it (never the key).
absl::StatusOr<GcpOptions> LoadGcpServiceAccount(const std::string& key_file);

class GcsStorage final : public ObjectStorage {
 public:
  // `transport` and `clock` must outlive this object.
  GcsStorage(GcpOptions options, HttpTransport& transport, const Clock& clock);

  // Stores each object as gs://<bucket_name>/<key> with its content type, as the
  // destination's gcp_gcs_config().service_account_email, once the bucket's ownership object
  // for `org_external_id` is known to exist. Destinations of another provider (AWS_S3) fail
  // with kInvalidArgument. Until the ownership object has been read, every refusal (of the
  // impersonation or of the read) is one kPermissionDenied that names what to set up, so an
  // org learns nothing of another org's setup. A 401 from IAM or Cloud Storage (a token revoked
  // or expired early) drops the tokens involved and is kUnavailable, so the next try obtains
  // new ones; otherwise 401 and 403 are kPermissionDenied, 404 kNotFound, 429 and 5xx
  // kUnavailable, other 4xx kInvalidArgument. No credentials: kFailedPrecondition, and no
  // request is sent.
  void Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
           std::vector<StorageObject> objects, Callback done) override;

 private:
  using TokenCallback = std::function<void(absl::StatusOr<std::string>)>;

  // `done` with the service account's token once the bucket's ownership object for
  // `org_external_id` is known to exist, or with why it could not be read.
  TokenCallback OnceOwned(const v1::GcpGcsConfig& config, std::string org_external_id,
                          TokenCallback done);

  // This server's own access token, from the cache or from the OAuth2 token endpoint.
  void ServerToken(TokenCallback done);
  // The customer service account's access token, from the cache or from generateAccessToken.
  void ServiceAccountToken(const std::string& email, TokenCallback done);
  // Sends one media upload and reports its status.
  void Upload(const v1::GcpGcsConfig& config, const std::string& token, StorageObject object,
              std::function<void(absl::Status)> done);
  // The error of a Cloud Storage request `where` that `email`'s `token` did not get a 200 for.
  // A 401 (the token ended early) drops the token, so the next try impersonates the account
  // again, and may pass (kUnavailable).
  absl::Status StorageFailure(const std::string& where, const std::string& email,
                              const std::string& token, const HttpResponse& response);
  // A POST of `body` to an operator endpoint with `headers`, then the options' User-Agent,
  // and the options' timeout.
  HttpRequest NewRequest(std::string url, std::vector<std::pair<std::string, std::string>> headers,
                         std::string body) const;

  const GcpOptions options_;
  HttpTransport& transport_;
  const Clock& clock_;
  ExpiringCache<std::string> server_token_;            // This server's own token, at one key.
  ExpiringCache<std::string> service_account_tokens_;  // By service account email.
  // Ownership objects read, by service account, bucket and org external ID (the value is unused).
  ExpiringCache<bool> owned_buckets_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_CLOUD_STORAGE_GCS_STORAGE_H_
