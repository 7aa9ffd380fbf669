// S3Server: a real S3-compatible server (s3rver 3.7.1, on Node) for tests that upload objects.
//
//   webhooks::testing::S3Server s3({"reports"});  // Started, with the bucket, when this returns.
//   ... upload to s3.endpoint() + "/reports/2026/11/report.csv" (path-style), signed with
//   ... s3.access_key_id() / s3.secret_access_key() ...
//   EXPECT_THAT(s3.ListObjects("reports"), ElementsAre("2026/11/report.csv"));
//   EXPECT_EQ(s3.ReadObject("reports", "2026/11/report.csv"), "id,status\n...");
//
// Each S3Server runs its own s3rver child process on 127.0.0.1 at a port the kernel chooses,
// storing objects in a fresh directory under $TEST_TMPDIR (or /tmp). tools/setup.sh installs
// s3rver into kInstallDir; the constructor aborts the test binary, saying to run
// tools/setup.sh, when node or that version of s3rver is missing.
//
// What s3rver 3.7.1 checks (lib/middleware/authentication.js), which bounds what a test
// against it proves:
//   - A request without credentials (no Authorization header, no Signature or
//     X-Amz-Algorithm query parameter) is served as an anonymous request with full access:
//     an unsigned PutObject succeeds.
//   - Signature V2 ("Authorization: AWS <key id>:<signature>") is verified; a mismatch is
//     403 SignatureDoesNotMatch.
//   - Signature V4 ("Authorization: AWS4-HMAC-SHA256 Credential=...") is NOT verified: any
//     Signature= value is accepted. What is checked: the key id in Credential= is known
//     (else 403 InvalidAccessKeyId); the header has exactly the three components Credential,
//     SignedHeaders and Signature (else 400 AuthorizationHeaderMalformed); an
//     x-amz-content-sha256 header is present (else 400 InvalidRequest) and contains
//     UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or 64 hex digits (else 400
//     InvalidArgument), but is not compared with the body; X-Amz-Date (or Date) parses (else
//     403 AccessDenied) and is within 15 minutes of the server's clock (else 403
//     RequestTimeTooSkewed). X-Amz-Security-Token is accepted and ignored.
// Errors are S3's XML, <Error><Code>...</Code><Message>...</Message>...</Error>, with
// Content-Type application/xml. Requests must be path-style (/<bucket>/<key>); an unknown
// bucket is 404 NoSuchBucket.
//
// The object accessors read s3rver's files directly rather than asking it over HTTP, so they
// need no client and see exactly what was stored. The layout under the data directory:
//   <bucket>/                                  one directory per bucket
//   <bucket>/<k1>/<k2>._S3rver_object           the bytes of the object with key "k1/k2"
//   <bucket>/<k1>/<k2>._S3rver_object.md5       its MD5, hex (the ETag)
//   <bucket>/<k1>/<k2>._S3rver_metadata.json    stored headers, a flat JSON object of strings
// s3rver answers a PutObject only after all three are written, so once a client has the
// response the accessors see the object.
//
// Thread-safe. The child is started with PR_SET_PDEATHSIG, so it dies with the thread that
// created the S3Server (or the test binary): create it on a thread that outlives it.
#ifndef WEBHOOKS_TESTING_S3_SERVER_H_
#define WEBHOOKS_TESTING_S3_SERVER_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace webhooks {
namespace testing {

class S3Server {
 public:
  // Where tools/setup.sh installs s3rver, and the version it pins (its VERSION file).
  static constexpr char kInstallDir[] = "/usr/local/share/webhooks-s3rver";
  static constexpr char kVersion[] = "3.7.1";

  // Starts s3rver with `buckets` already created and waits (up to 30 seconds) until it
  // listens. Aborts the test binary if a bucket name is not a valid S3 bucket name (3 to 63 of
  // a-z, 0-9, '.' and '-', starting and ending with a letter or digit), if node or s3rver is
  // missing, or if s3rver does not start; the abort message includes s3rver's output.
  explicit S3Server(const std::vector<std::string>& buckets);
  // Stops s3rver (SIGTERM, then SIGKILL after 5 seconds) and deletes its directory.
  ~S3Server();

  S3Server(const S3Server&) = delete;
  S3Server& operator=(const S3Server&) = delete;

  // "http://127.0.0.1:<port>", no trailing slash; object URLs are endpoint() + "/bucket/key".
  std::string endpoint() const;
  int port() const { return port_; }

  // The one key pair s3rver knows (its built-in account 123456789000). Requests signed with any
  // other key id are refused with 403 InvalidAccessKeyId.
  static std::string access_key_id() { return "S3RVER"; }
  static std::string secret_access_key() { return "S3RVER"; }

  // The keys of every object stored in `bucket`, sorted bytewise (S3's order). Empty if the
  // bucket does not exist.
  std::vector<std::string> ListObjects(const std::string& bucket) const;
  // The stored bytes of the object, or nullopt if there is no such object. `key` is the
  // object key as S3 sees it (percent-decoded from the request path).
  std::optional<std::string> ReadObject(const std::string& bucket, const std::string& key) const;
  // The headers s3rver stored with the object (cache-control, content-disposition,
  // content-encoding, content-language, content-type, expires, x-amz-storage-class,
  // x-amz-website-redirect-location and x-amz-meta-*, as sent), or nullopt if there is no
  // such object. "content-type" is always present: "binary/octet-stream" when the upload had
  // none.
  std::optional<std::map<std::string, std::string>> ReadMetadata(const std::string& bucket,
                                                                 const std::string& key) const;

  // Everything s3rver has written to stdout and stderr so far (one line per request), for
  // diagnosing a failing test.
  std::string log() const;

 private:
  // Appends the child's output to log_ until it closes its end of the pipe.
  void ReadOutput();
  // The path s3rver stores `key` of `bucket` under, with `suffix` ("object", ...).
  std::string ObjectPath(const std::string& bucket, const std::string& key,
                         const std::string& suffix) const;

  std::string directory_;       // Ours; removed by the destructor.
  std::string data_directory_;  // s3rver's -d, inside directory_.
  pid_t pid_ = -1;
  int output_fd_ = -1;  // Read end of the child's stdout and stderr.
  int port_ = 0;
  std::thread reader_;

  mutable absl::Mutex mu_;
  std::string log_ ABSL_GUARDED_BY(mu_);
  bool output_closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_S3_SERVER_H_
