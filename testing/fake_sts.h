// FakeSts: an AWS STS endpoint on 127.0.0.1 that answers AssumeRole as AWS does, for tests of
// code that trades long-term credentials for a role's temporary ones.
//
//   webhooks::testing::FakeStsOptions options;
//   options.roles["arn:aws:iam::111122223333:role/webhooks-upload"] = "external-id-1";
//   webhooks::testing::FakeSts sts(options);
//   ... send AssumeRole to sts.url(), signed with options.caller_access_key_id ...
//   ASSERT_EQ(sts.calls().size(), 1);
//   EXPECT_EQ(sts.calls()[0].at("RoleSessionName"), "webhooks");
//
// It speaks the Query API: POST, Content-Type application/x-www-form-urlencoded, body
// "Action=AssumeRole&Version=2011-06-15&RoleArn=...&RoleSessionName=...[&ExternalId=...]
// [&DurationSeconds=...]" (parameters in the URL are not read). Each request is checked in
// this order; the first failure is the answer, as AWS's XML
// <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>
// <Code>...</Code><Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>:
//   1. The method is POST, else 405 MethodNotAllowed (AWS also takes GET; the fake does not).
//   2. An Authorization header is present, else 403 MissingAuthenticationToken. It is
//      "AWS4-HMAC-SHA256 Credential=<id>/<yyyymmdd>/<region>/<service>/aws4_request,
//      SignedHeaders=..., Signature=...", else 400 IncompleteSignature; an X-Amz-Date header is
//      present, else 400 IncompleteSignature; <id> is `caller_access_key_id`, else 403
//      InvalidClientTokenId; <service> is "sts", else 403 SignatureDoesNotMatch; <yyyymmdd>
//      is the date of X-Amz-Date, else 403 SignatureDoesNotMatch. X-Amz-Date is not compared
//      with any clock (AWS allows 15 minutes of skew), so tests may sign with a FakeClock. The
//      signature itself is NOT recomputed: a request with the right shape and any Signature=
//      value passes. Test the signer against known answers, not against this fake.
//   3. Action is present, else 400 MissingAction; it is AssumeRole and Version is 2011-06-15,
//      else 400 InvalidAction.
//   4. The parameters satisfy AWS's constraints, else 400 ValidationError listing every
//      violation in AWS's words ("1 validation error detected: Value 'a b' at
//      'roleSessionName' failed to satisfy constraint: ..."): RoleArn present and at least 20
//      characters; RoleSessionName present, 2 to 64 of [\w+=,.@-]; ExternalId, if present,
//      2 to 1224 of [\w+=,./@:-]; DurationSeconds, if present, 900 to 43200 (400
//      InvalidParameterValue if not an integer).
//   5. RoleArn is one of `roles`, and ExternalId equals the one that role requires, else 403
//      AccessDenied "User: <caller_arn> is not authorized to perform: sts:AssumeRole on
//      resource: <RoleArn>" (AWS answers both alike).
// Success is 200 with AWS's AssumeRoleResponse: AssumeRoleResult/AssumedRoleUser/{Arn
// "arn:aws:sts::<account>:assumed-role/<role name>/<session name>", AssumedRoleId
// "<kAssumedRoleIdPrefix>:<session name>"}, AssumeRoleResult/Credentials/{AccessKeyId,
// SecretAccessKey, SessionToken, Expiration (ISO 8601 UTC, "2026-11-28T08:00:00Z")} from the
// current credentials, and ResponseMetadata/RequestId. Responses have Content-Type text/xml
// and an x-amzn-RequestId header; request ids are "00000000-0000-4000-8000-<n>", n the
// 12-digit count of requests the fake has answered, from 1.
//
// To inject a failure (a 500, a hang), Enqueue() a ScriptedResponse on receiver(): scripted
// responses go first, then the fake answers again.
//
// Thread-safe. The destructor stops the server.
#ifndef WEBHOOKS_TESTING_FAKE_STS_H_
#define WEBHOOKS_TESTING_FAKE_STS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "testing/http_receiver.h"

namespace webhooks {
namespace testing {

// What a successful AssumeRole hands out. The defaults are AWS's documentation examples.
struct TemporaryCredentials {
  std::string access_key_id = "ASIAIOSFODNN7EXAMPLE";
  std::string secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
  std::string session_token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
  // Far enough ahead that neither the real clock nor a FakeClock sees the credentials expire
  // unless a test sets it.
  absl::Time expiration = absl::FromCivil(absl::CivilSecond(2100, 1, 1), absl::UTCTimeZone());
};

struct FakeStsOptions {
  // The access key id callers must sign with (Credential=<id>/... in Authorization).
  std::string caller_access_key_id = "AKIAIOSFODNN7EXAMPLE";
  // The caller as AccessDenied messages name it.
  std::string caller_arn = "arn:aws:iam::111122223333:user/webhooks";
  // Role ARN -> the ExternalId its trust policy requires; "" requires none (any ExternalId,
  // or none, is accepted). Other roles are refused with AccessDenied.
  std::map<std::string, std::string> roles;
  // What AssumeRole returns until SetCredentials().
  TemporaryCredentials credentials;
};

class FakeSts {
 public:
  // Starts listening on a port the kernel chooses.
  explicit FakeSts(FakeStsOptions options);

  FakeSts(const FakeSts&) = delete;
  FakeSts& operator=(const FakeSts&) = delete;

  // Before the session name in every AssumedRoleId.
  static constexpr char kAssumedRoleIdPrefix[] = "AROAFAKESTSEXAMPLEID0";

  // "http://127.0.0.1:<port>/", the endpoint to send AssumeRole to.
  std::string url() const;

  // What later successful calls return (for tests of credential refresh).
  void SetCredentials(TemporaryCredentials credentials);

  // The form fields of every request received so far, in arrival order, whatever its answer
  // (empty for a request whose body is not application/x-www-form-urlencoded). Percent-decoded;
  // of a repeated field the first counts.
  std::vector<std::map<std::string, std::string>> calls() const;
  // Every request received so far, as sent: for its headers.
  std::vector<ReceivedRequest> requests() const { return receiver_.requests(); }

  // The underlying server, to script failures or wait for requests.
  HttpReceiver& receiver() { return receiver_; }

 private:
  ScriptedResponse Handle(const ReceivedRequest& request);
  ScriptedResponse Error(int status, const std::string& code, const std::string& message,
                         int request_number) const;

  const FakeStsOptions options_;  // Its `credentials` are only the initial ones.

  mutable absl::Mutex mu_;
  TemporaryCredentials credentials_ ABSL_GUARDED_BY(mu_);
  int request_count_ ABSL_GUARDED_BY(mu_) = 0;

  // Last, so it stops (and stops calling Handle()) before the members above are destroyed.
  HttpReceiver receiver_;
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_FAKE_STS_H_
