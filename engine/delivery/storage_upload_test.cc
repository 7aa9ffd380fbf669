#include "engine/delivery/storage_upload.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_object_storage.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::webhooks::testing::StatusIs;

const absl::Time kEventTime = absl::FromUnixSeconds(1773824614);  // 2026-03-18 UTC.

v1::Webhook S3Webhook() {
  v1::Webhook webhook;
  webhook.set_id("w1");
  webhook.mutable_org()->set_id("0");
  v1::StorageDestination* destination = webhook.mutable_storage_destination();
  destination->set_storage_type(v1::AWS_S3);
  v1::AwsS3Config* s3 = destination->mutable_storage_config()->mutable_aws_s3_config();
  s3->set_bucket_name("reports");
  s3->set_region("us-west-2");
  s3->set_path_prefix("webhook-deliveries");
  return webhook;
}

google::protobuf::RepeatedPtrField<v1::EventFile> Files() {
  google::protobuf::RepeatedPtrField<v1::EventFile> files;
  v1::EventFile* pdf = files.Add();
  pdf->set_name("sales.pdf");
  pdf->set_mime_type("application/pdf");
  pdf->set_content("%PDF-1.4");
  v1::EventFile* csv = files.Add();
  csv->set_name("a/b.csv");
  csv->set_content("x,y");
  return files;
}

TEST(StorageUploadTest, ObjectsGoUnderTheDocumentedKeys) {
  const std::vector<StorageObject> objects = UploadObjects(S3Webhook(), "n.1", kEventTime, Files());
  ASSERT_EQ(objects.size(), 2);
  EXPECT_EQ(objects[0].key, "webhook-deliveries/0/2026-03-18/n.1/sales.pdf");
  EXPECT_EQ(objects[0].content_type, "application/pdf");
  EXPECT_EQ(objects[1].key, "webhook-deliveries/0/2026-03-18/n.1/a_b.csv");
  EXPECT_EQ(objects[1].content_type, "application/octet-stream");
}

TEST(StorageUploadTest, ManifestListsStoredAndFailedFiles) {
  const UploadReport report = StorageManifest(
      S3Webhook().storage_destination(), Files(), {"k/sales.pdf", "k/a_b.csv"},
      {absl::OkStatus(), absl::PermissionDeniedError("S3 PutObject failed: HTTP 403")});
  EXPECT_OK(report.error);
  EXPECT_EQ(report.manifest.name(), "storage-manifest.json");
  EXPECT_EQ(report.manifest.mime_type(), "application/json");
  // A stored file has no errorMessage; a failed one no bucketName, region or objectKey.
  EXPECT_EQ(report.manifest.content(),
            R"({"files":[{"filename":"sales.pdf","contentType":"application/pdf","size":8,)"
            R"("provider":"AWS_S3","bucketName":"reports","region":"us-west-2",)"
            R"("objectKey":"k/sales.pdf","uploadStatus":"SUCCESS"},)"
            R"({"filename":"a/b.csv","contentType":"application/octet-stream","size":3,)"
            R"("provider":"AWS_S3","uploadStatus":"FAILED",)"
            R"("errorMessage":"S3 PutObject failed: HTTP 403"}]})");
}

TEST(StorageUploadTest, GcsFilesHaveNoRegion) {
  v1::StorageDestination destination;
  destination.set_storage_type(v1::GCP_GCS);
  v1::GcpGcsConfig* gcs = destination.mutable_storage_config()->mutable_gcp_gcs_config();
  gcs->set_bucket_name("gcs-reports");
  gcs->set_service_account_email("writer@project.iam.gserviceaccount.com");
  const UploadReport report = StorageManifest(destination, Files(), {"k/sales.pdf", "k/a_b.csv"},
                                              {absl::OkStatus(), absl::OkStatus()});
  EXPECT_EQ(report.manifest.content(),
            R"({"files":[{"filename":"sales.pdf","contentType":"application/pdf","size":8,)"
            R"("provider":"GCP_GCS","bucketName":"gcs-reports",)"
            R"("objectKey":"k/sales.pdf","uploadStatus":"SUCCESS"},)"
            R"({"filename":"a/b.csv","contentType":"application/octet-stream","size":3,)"
            R"("provider":"GCP_GCS","bucketName":"gcs-reports",)"
            R"("objectKey":"k/a_b.csv","uploadStatus":"SUCCESS"}]})");
}

TEST(StorageUploadTest, EveryUploadFailedIsAnErrorThatSaysWhetherToRetry) {
  const v1::StorageDestination destination = S3Webhook().storage_destination();
  const UploadReport refused = StorageManifest(
      destination, Files(), {"k1", "k2"},
      {absl::NotFoundError("NoSuchBucket"), absl::PermissionDeniedError("AccessDenied")});
  EXPECT_THAT(refused.error, StatusIs(absl::StatusCode::kFailedPrecondition,
                                      "all file uploads failed (2 files): NoSuchBucket"));
  EXPECT_EQ(refused.manifest.content(),
            R"({"files":[{"filename":"sales.pdf","contentType":"application/pdf","size":8,)"
            R"("provider":"AWS_S3","uploadStatus":"FAILED","errorMessage":"NoSuchBucket"},)"
            R"({"filename":"a/b.csv","contentType":"application/octet-stream","size":3,)"
            R"("provider":"AWS_S3","uploadStatus":"FAILED","errorMessage":"AccessDenied"}],)"
            R"("error":"all file uploads failed (2 files): NoSuchBucket"})");
  EXPECT_THAT(
      StorageManifest(destination, Files(), {"k1", "k2"},
                      {absl::NotFoundError("NoSuchBucket"), absl::UnavailableError("SlowDown")})
          .error,
      StatusIs(absl::StatusCode::kUnavailable, "all file uploads failed (2 files): NoSuchBucket"));
  // ThoughtSpot's wording for one file too.
  google::protobuf::RepeatedPtrField<v1::EventFile> one = Files();
  one.RemoveLast();
  EXPECT_THAT(
      StorageManifest(destination, one, {"k1"}, {absl::NotFoundError("NoSuchBucket")}).error,
      StatusIs(absl::StatusCode::kFailedPrecondition,
               "all file uploads failed (1 files): NoSuchBucket"));
}

TEST(StorageUploadTest, UploadsThatCouldNotBeMadeHaveAnEmptyManifestWithTheError) {
  const v1::EventFile manifest =
      FailedUploadManifest(absl::PermissionDeniedError("failed to assume role: AccessDenied"));
  EXPECT_EQ(manifest.name(), "storage-manifest.json");
  EXPECT_EQ(manifest.content(),
            R"({"files":[],"error":"cloud storage upload failed: failed to assume role: )"
            R"(AccessDenied"})");
}

TEST(StorageUploadTest, ErrorsQuotingTheServerAreMadeValidUtf8) {
  const v1::StorageDestination destination = S3Webhook().storage_destination();
  const UploadReport report =
      StorageManifest(destination, Files(), {"k1", "k2"},
                      {absl::OkStatus(), absl::PermissionDeniedError("Access\xFF denied")});
  EXPECT_OK(report.error);
  EXPECT_THAT(report.manifest.content(),
              ::testing::HasSubstr("\"errorMessage\":\"Access\xEF\xBF\xBD denied\""));
  EXPECT_THAT(StorageManifest(destination, Files(), {"k1", "k2"},
                              {absl::NotFoundError("NoSuch\xC3"), absl::NotFoundError("x")})
                  .error,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "all file uploads failed (2 files): NoSuch\xEF\xBF\xBD"));
  EXPECT_THAT(FailedUploadManifest(absl::UnavailableError("bad \xC3")).content(),
              ::testing::HasSubstr("bad \xEF\xBF\xBD"));

  webhooks::testing::FakeObjectStorage storage;
  storage.SetResponder(
      [](const v1::StorageDestination&,
         const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return absl::PermissionDeniedError("S3 PutObject failed: HTTP 403: \xE9t\xE9");
      });
  const v1::ChannelValidationDetail detail =
      CheckStorageUpload(&storage, S3Webhook(), "webhookd-org-0", "n.validation-3", kEventTime);
  EXPECT_EQ(detail.error_message(), "S3 PutObject failed: HTTP 403: \xEF\xBF\xBDt\xEF\xBF\xBD");
}

TEST(StorageUploadTest, ValidationStoresATestFile) {
  webhooks::testing::FakeObjectStorage storage;
  const v1::ChannelValidationDetail detail =
      CheckStorageUpload(&storage, S3Webhook(), "webhookd-org-0", "n.validation-1", kEventTime);
  EXPECT_EQ(detail.status(), v1::ChannelValidationDetail::SUCCESS);
  EXPECT_EQ(detail.aws_s3_info().file_name(), "validation_dummy_20260318_090334.pdf");
  EXPECT_EQ(detail.aws_s3_info().object_key(),
            "webhook-deliveries/0/2026-03-18/n.validation-1/validation_dummy_20260318_090334.pdf");
  ASSERT_EQ(storage.puts().size(), 1);
  EXPECT_EQ(storage.puts()[0].org_external_id, "webhookd-org-0");
  EXPECT_EQ(storage.puts()[0].objects[0].content_type, "application/pdf");
  EXPECT_EQ(storage.puts()[0].objects[0].content, kValidationPdf);

  const v1::ChannelValidationDetail none =
      CheckStorageUpload(nullptr, S3Webhook(), "webhookd-org-0", "n.validation-2", kEventTime);
  EXPECT_EQ(none.status(), v1::ChannelValidationDetail::FAILED);
  EXPECT_EQ(none.error_message(), kNoObjectStorage);
}

// A reader finds every object of the test PDF where its cross-reference table says, and the
// table where startxref says.
TEST(StorageUploadTest, TheValidationFileIsAWellFormedPdf) {
  const std::string pdf = kValidationPdf;
  ASSERT_TRUE(absl::StartsWith(pdf, "%PDF-1.4\n"));
  ASSERT_TRUE(absl::EndsWith(pdf, "%%EOF\n"));
  const size_t startxref = pdf.rfind("startxref\n");
  ASSERT_NE(startxref, std::string::npos);
  size_t xref = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      pdf.substr(startxref + 10, pdf.find('\n', startxref + 10) - startxref - 10), &xref));
  ASSERT_EQ(pdf.substr(xref, 9), "xref\n0 4\n");
  for (int object = 1; object <= 3; ++object) {
    const std::string entry = pdf.substr(xref + 9 + 20 * object, 20);  // 20 bytes each.
    ASSERT_TRUE(absl::EndsWith(entry, " 00000 n \n")) << entry;
    size_t offset = 0;
    ASSERT_TRUE(absl::SimpleAtoi(entry.substr(0, 10), &offset));
    EXPECT_EQ(pdf.substr(offset, 8), absl::StrCat(object, " 0 obj\n"));
  }
}

TEST(StorageUploadTest, AFailedStepReadsInTheHistoryAsThoughtSpotWritesIt) {
  webhooks::testing::FakeObjectStorage storage;
  storage.SetResponder(
      [](const v1::StorageDestination&,
         const std::vector<StorageObject>&) -> absl::StatusOr<std::vector<absl::Status>> {
        return absl::PermissionDeniedError("failed to assume role: AccessDenied");
      });
  EXPECT_EQ(ValidationHistoryDetail(CheckStorageUpload(&storage, S3Webhook(), "webhookd-org-0",
                                                       "n.validation-4", kEventTime)),
            "STORAGE_FILE_UPLOAD_CHECK (bucket: reports): failed to assume role: "
            "AccessDenied");
  v1::ChannelValidationDetail http;
  http.set_validation_step(v1::ChannelValidationDetail::HTTP_CONNECTION_CHECK);
  http.set_error_message("HTTP 500");
  EXPECT_EQ(ValidationHistoryDetail(http), "HTTP_CONNECTION_CHECK: HTTP 500");
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
