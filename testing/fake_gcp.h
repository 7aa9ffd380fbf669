// FakeGcp: Google's OAuth2 token endpoint, the IAM Service Account Credentials API and Cloud
// Storage's media upload on one port of 127.0.0.1, answering as Google does, for tests of code
// that impersonates a customer's service account to write to their bucket.
//
//   webhooks::testing::RsaKeyPair key = webhooks::testing::GenerateRsaKey();
//   webhooks::testing::FakeGcpOptions options;
//   options.server_email = "webhookd@ts-prod.iam.gserviceaccount.com";
//   options.server_public_key_pem = key.public_key_pem;
//   options.impersonable = {"uploader@customer.iam.gserviceaccount.com"};
//   options.buckets = {"reports"};
//   options.writers["reports"] = {"uploader@customer.iam.gserviceaccount.com"};
//   webhooks::testing::FakeGcp gcp(options);
//   gcp_options.token_uri = gcp.token_url();  // Also iam_credentials_url(), storage_url().
//   ... upload ...
//   EXPECT_EQ(*gcp.ReadObject("reports", "org/1/r.pdf"), "%PDF");
//
// Every answer is JSON with Content-Type "application/json; charset=UTF-8". Requests are
// checked in this order; the first failure is the answer.
//
// POST <token_url()>, form "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&
// assertion=<JWT>": errors are OAuth2's {"error":"...","error_description":"..."}:
//   - Not a form POST with that grant_type: 400 invalid_request / unsupported_grant_type.
//     No assertion: 400 invalid_request "Missing required parameter: assertion".
//   - The JWT is not three base64url parts with JSON header and claims, or its header's alg is
//     not RS256: 400 invalid_grant "Invalid JWT: ...".
//   - iss is not `server_email`: 400 invalid_grant "Invalid grant: account not found".
//   - The RS256 signature does not verify with `server_public_key_pem` (EVP_DigestVerify):
//     400 invalid_grant "Invalid JWT Signature.".
//   - aud is not token_url(): 400 invalid_grant "Invalid JWT: Failed audience check. ...".
//   - exp - iat is not in (0, 3600], iat is more than 5 minutes ahead of the fake's clock, or
//     exp is behind it: 400 invalid_grant "Invalid JWT: Token must be a short-lived token (60
//     minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.".
//   - scope (space-separated) lacks https://www.googleapis.com/auth/cloud-platform: 400
//     invalid_scope "Invalid OAuth scope or ID token audience provided.".
//   Success: 200 {"access_token":"ya29.fake-server-<n>","expires_in":3599,"token_type":"Bearer"}.
//
// POST <iam_credentials_url()>/v1/projects/-/serviceAccounts/<email>:generateAccessToken
// (email percent-decoded), JSON {"scope":[...],"lifetime":"<n>s"}: errors are Google's
// {"error":{"code":...,"message":"...","status":"..."}}:
//   - No "Authorization: Bearer <token>", or a token the fake did not issue, or one expired or
//     revoked: 401 UNAUTHENTICATED. A token without the cloud-platform scope: 403
//     PERMISSION_DENIED "Request had insufficient authentication scopes.".
//   - Body not such JSON, no scope, or lifetime not 1 to 3600 seconds: 400 INVALID_ARGUMENT.
//   - The token is not `server_email`'s, or email is not one of `impersonable`: 403
//     PERMISSION_DENIED "Permission 'iam.serviceAccounts.getAccessToken' denied on resource
//     (or it may not exist).".
//   Success: 200 {"accessToken":"ya29.fake-sa-<n>","expireTime":"<now + lifetime, RFC 3339 UTC>"}.
//
// POST <storage_url()>/upload/storage/v1/b/<bucket>/o?uploadType=media&name=<name> (bucket
// and name percent-decoded), body the object: errors are Cloud Storage's
// {"error":{"code":...,"message":"...","errors":[{...}]}} (no "status"):
//   - No bearer token, or one the fake did not issue, or one expired or revoked: 401 "Invalid
//     Credentials". A token acts as the account it was issued to (the server's own, too).
//   - The token's scopes allow no writes (devstorage.read_write, devstorage.full_control or
//     cloud-platform): 403 "Provided scope(s) are not authorized".
//   - uploadType is not "media" or name is missing or empty: 400.
//   - The bucket is not one of `buckets`: 404 "The specified bucket does not exist.".
//   - The token's service account is not among `writers[bucket]`: 403 "<email> does not have
//     storage.objects.create access to the Google Cloud Storage object.".
//   Success: the object is stored (replacing one of that name) with the request's
//   Content-Type (application/octet-stream if none), and the answer is 200 with its object
//   resource (kind, id, name, bucket, generation, contentType, size, md5Hash, ...).
//
// GET <storage_url()>/storage/v1/b/<bucket>/o/<name> (both percent-decoded): the object's
// metadata, with the upload's errors for a missing or unknown token and a missing bucket, then:
//   - The token's service account is not among `readers[bucket]`: 403 "<email> does not have
//     storage.objects.get access to the Google Cloud Storage object.".
//   - No such object: 404 "No such object: <bucket>/<name>".
//   Success: 200 with its object resource, as the upload answers it.
// Other methods: 405; other paths: 404.
//
// To inject a failure (a 503, a hang), Enqueue() a ScriptedResponse on receiver(): scripted
// responses go first (they are not in calls()), then the fake answers again.
//
// Thread-safe. The destructor stops the server.
#ifndef WEBHOOKS_TESTING_FAKE_GCP_H_
#define WEBHOOKS_TESTING_FAKE_GCP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "testing/http_receiver.h"

namespace webhooks {
namespace testing {

struct RsaKeyPair {
  std::string private_key_pem;  // PKCS#8 ("BEGIN PRIVATE KEY"), as in Google's key files.
  std::string public_key_pem;   // SubjectPublicKeyInfo ("BEGIN PUBLIC KEY").
};

// A fresh RSA-2048 key pair (EVP_PKEY_keygen). Aborts if the library cannot make one.
RsaKeyPair GenerateRsaKey();

// A service-account JSON key file's text as Google issues them (type "service_account",
// project_id, private_key_id, private_key, client_email, client_id, token_uri, ...).
std::string ServiceAccountKeyJson(const std::string& client_email,
                                  const std::string& private_key_pem, const std::string& token_uri);

struct FakeGcpOptions {
  // The service account whose JWTs the token endpoint accepts, and its public key (PEM).
  std::string server_email = "webhookd@ts-webhooks.iam.gserviceaccount.com";
  std::string server_public_key_pem;
  // Customer service accounts `server_email` may impersonate (holds
  // roles/iam.serviceAccountTokenCreator on).
  std::set<std::string> impersonable;
  // The buckets that exist, and which service accounts may create objects in each.
  std::set<std::string> buckets;
  std::map<std::string, std::set<std::string>> writers;
  // Which service accounts may read objects in each bucket.
  std::map<std::string, std::set<std::string>> readers;
  // Issues expiry times and checks JWTs and tokens against it. Must outlive the fake.
  const Clock* clock = SystemClock();
};

struct StoredObject {
  std::string content_type;
  std::string content;
};

// One request the fake answered itself.
struct GcpCall {
  enum Api { kToken, kGenerateAccessToken, kUpload, kGetObject, kUnknown };
  Api api = kUnknown;
  // kToken: the JWT's iss (if it could be read); kGenerateAccessToken: the service account;
  // kUpload and kGetObject: "gs://<bucket>/<name>".
  std::string resource;
  int status = 0;  // What the fake answered.
};

class FakeGcp {
 public:
  // Starts listening on a port the kernel chooses.
  explicit FakeGcp(FakeGcpOptions options);

  FakeGcp(const FakeGcp&) = delete;
  FakeGcp& operator=(const FakeGcp&) = delete;

  // "http://127.0.0.1:<port>/token": GcpOptions::token_uri, and the JWT audience it expects.
  std::string token_url() const;
  // "http://127.0.0.1:<port>/iamcredentials": GcpOptions::iam_credentials_endpoint.
  std::string iam_credentials_url() const;
  // "http://127.0.0.1:<port>/storage": GcpOptions::storage_endpoint.
  std::string storage_url() const;

  // Forgets every token issued so far: later requests bearing one get 401.
  void RevokeTokens();

  // Stores an object as the bucket's owner would (no request, not in calls()).
  void PutObject(const std::string& bucket, const std::string& name, StoredObject object);

  // Names of the objects in `bucket`, sorted.
  std::vector<std::string> ListObjects(const std::string& bucket) const;
  // The object, or nullopt if there is none.
  std::optional<std::string> ReadObject(const std::string& bucket, const std::string& name) const;
  std::optional<StoredObject> GetObject(const std::string& bucket, const std::string& name) const;

  // Every request the fake answered itself, in arrival order.
  std::vector<GcpCall> calls() const;
  // How many of calls() went to `api`.
  int CallCount(GcpCall::Api api) const;
  // Every request received so far, as sent: for its headers.
  std::vector<ReceivedRequest> requests() const { return receiver_.requests(); }

  // The underlying server, to script failures or wait for requests.
  HttpReceiver& receiver() { return receiver_; }

 private:
  struct Generation {
    StoredObject object;
    int64_t generation;
    absl::Time created;
  };
  struct IssuedToken {
    std::string email;
    std::vector<std::string> scopes;
    absl::Time expires;
  };

  ScriptedResponse Handle(const ReceivedRequest& request);
  ScriptedResponse Token(const ReceivedRequest& request, GcpCall& call);
  ScriptedResponse GenerateAccessToken(const ReceivedRequest& request, const std::string& email);
  ScriptedResponse Upload(const ReceivedRequest& request, const std::string& bucket,
                          const std::string& query, GcpCall& call);
  ScriptedResponse GetObjectMetadata(const ReceivedRequest& request, const std::string& bucket,
                                     const std::string& name);
  // The object resource Cloud Storage answers for `object`, stored as `name` in `bucket`.
  static ScriptedResponse ObjectResource(const std::string& bucket, const std::string& name,
                                         const Generation& stored);
  // The issued, unexpired token in `request`'s Authorization header, if any.
  std::optional<IssuedToken> Bearer(const ReceivedRequest& request);

  const FakeGcpOptions options_;

  mutable absl::Mutex mu_;
  int issued_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, IssuedToken> tokens_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, Generation>> objects_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 1700000000000000;
  std::vector<GcpCall> calls_ ABSL_GUARDED_BY(mu_);

  // Last, so it stops (and stops calling Handle()) before the members above are destroyed.
  HttpReceiver receiver_;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_FAKE_GCP_H_
