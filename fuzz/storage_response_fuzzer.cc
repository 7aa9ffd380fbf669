// Fuzzes how S3Storage and GcsStorage read what a storage provider answers: the input is
// "<status>\n<body>" and is the answer to every request (STS AssumeRole and S3 PutObject; the
// OAuth2 token, IAM generateAccessToken and the GCS upload), as a misbehaving or hostile
// endpoint could send it. Properties: no crash or sanitizer report; Put answers exactly once,
// with one status per object; neither the AWS secret key nor the GCP private key appears in
// any error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "engine/cloud_storage/gcs_storage.h"
#include "engine/cloud_storage/s3_storage.h"
#include "testing/fake_clock.h"
#include "testing/fake_gcp.h"
#include "testing/fake_transport.h"

namespace webhooks {
namespace {

constexpr char kServerSecret[] = "SERVER-SECRET-KEY-never-shown";

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "%s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void Check(ObjectStorage& storage, const v1::StorageDestination& destination) {
  int answers = 0;
  storage.Put(destination, "webhookd-org", {{"a/b.csv", "text/csv", "x"}, {"c", "", ""}},
              [&](absl::StatusOr<std::vector<absl::Status>> result) {
                ++answers;
                std::vector<absl::Status> statuses;
                if (result.ok()) {
                  statuses = *result;
                  if (statuses.size() != 2) Fail("statuses", std::to_string(statuses.size()));
                } else {
                  statuses.push_back(result.status());
                }
                for (const absl::Status& status : statuses) {
                  if (absl::StrContains(status.message(), kServerSecret) ||
                      absl::StrContains(status.message(), "PRIVATE KEY")) {
                    Fail("secret in error", status.message());
                  }
                }
              });
  if (answers != 1) Fail("answers", std::to_string(answers));
}

}  // namespace
}  // namespace webhooks

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace webhooks;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  int status = 200;
  if (!absl::SimpleAtoi(input.substr(0, newline), &status) || status < 100 || status > 599) {
    status = 200;
  }
  HttpResponse response;
  response.status = status;
  if (newline != absl::string_view::npos) response.body = std::string(input.substr(newline + 1));
  testing::FakeTransport transport(
      [&](const HttpRequest&) { return absl::StatusOr<HttpResponse>(response); });
  testing::FakeClock clock;

  AwsOptions aws;
  aws.credentials = {"AKIAFUZZ", kServerSecret, ""};
  S3Storage s3(aws, transport, clock);
  v1::StorageDestination s3_destination;
  s3_destination.set_storage_type(v1::AWS_S3);
  v1::AwsS3Config* s3_config = s3_destination.mutable_storage_config()->mutable_aws_s3_config();
  s3_config->set_bucket_name("reports");
  s3_config->set_region("us-east-1");
  s3_config->set_role_arn("arn:aws:iam::123456789012:role/R");
  Check(s3, s3_destination);

  static const testing::RsaKeyPair* const key = new testing::RsaKeyPair(testing::GenerateRsaKey());
  GcpOptions gcp;
  gcp.client_email = "server@ops.iam.gserviceaccount.com";
  gcp.private_key_pem = key->private_key_pem;
  GcsStorage gcs(gcp, transport, clock);
  v1::StorageDestination gcs_destination;
  gcs_destination.set_storage_type(v1::GCP_GCS);
  v1::GcpGcsConfig* gcs_config = gcs_destination.mutable_storage_config()->mutable_gcp_gcs_config();
  gcs_config->set_bucket_name("reports");
  gcs_config->set_service_account_email("writer@p.iam.gserviceaccount.com");
  Check(gcs, gcs_destination);
  return 0;
}
