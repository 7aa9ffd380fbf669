// publish_event: publishes one Liveboard schedule run to webhookd over gRPC, as a host's
// scheduler would (the token needs ADMINISTRATION). For trying deliveries by hand.
//
//   WEBHOOKD_TOKEN=... bazel run //grpc_service:publish_event -- --target=127.0.0.1:50051
//       --org=Primary --liveboard_name="Sales" --file=/path/report.pdf   (one line)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "grpcpp/grpcpp.h"
#include "proto/webhook_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "webhookd's gRPC address");
ABSL_FLAG(std::string, org, "", "org id or name (default: the token's org)");
ABSL_FLAG(std::string, schedule_id, "schedule-1", "the schedule's id");
ABSL_FLAG(std::string, schedule_name, "Daily report", "the schedule's name");
ABSL_FLAG(std::string, liveboard_id, "liveboard-1", "the Liveboard's id");
ABSL_FLAG(std::string, liveboard_name, "Sales", "the Liveboard's name");
ABSL_FLAG(std::string, recipient, "", "a recipient's email (optional)");
ABSL_FLAG(std::vector<std::string>, file, {}, "files to attach (PDF, CSV, XLSX by extension)");

namespace {

std::string MimeTypeOf(const std::string& path) {
  if (absl::EndsWithIgnoreCase(path, ".pdf")) return "application/pdf";
  if (absl::EndsWithIgnoreCase(path, ".csv")) return "text/csv";
  if (absl::EndsWithIgnoreCase(path, ".xlsx")) {
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  return "application/octet-stream";
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const char* token = std::getenv("WEBHOOKD_TOKEN");
  if (token == nullptr || *token == '\0') {
    std::fprintf(stderr, "set WEBHOOKD_TOKEN to a token with ADMINISTRATION\n");
    return 2;
  }
  webhooks::v1::PublishEventRequest request;
  if (!absl::GetFlag(FLAGS_org).empty()) request.set_org_identifier(absl::GetFlag(FLAGS_org));
  webhooks::v1::LiveboardScheduleRun* run = request.mutable_run();
  run->mutable_schedule()->set_scheduleid(absl::GetFlag(FLAGS_schedule_id));
  run->mutable_schedule()->set_name(absl::GetFlag(FLAGS_schedule_name));
  run->set_liveboard_id(absl::GetFlag(FLAGS_liveboard_id));
  run->set_liveboard_name(absl::GetFlag(FLAGS_liveboard_name));
  if (!absl::GetFlag(FLAGS_recipient).empty()) {
    webhooks::v1::RecipientInfo* recipient = run->add_recipients();
    recipient->set_type("EXTERNAL_EMAIL");
    recipient->set_email(absl::GetFlag(FLAGS_recipient));
  }
  for (const std::string& path : absl::GetFlag(FLAGS_file)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    std::stringstream contents;
    contents << in.rdbuf();
    webhooks::v1::EventFile* file = request.add_files();
    file->set_name(path.substr(path.find_last_of('/') + 1));
    file->set_mime_type(MimeTypeOf(path));
    file->set_content(contents.str());
  }
  auto stub = webhooks::v1::WebhookService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  webhooks::v1::PublishEventResponse response;
  const grpc::Status status = stub->PublishEvent(&context, request, &response);
  if (!status.ok()) {
    std::fprintf(stderr, "PublishEvent failed: %d %s\n", status.error_code(),
                 status.error_message().c_str());
    return 1;
  }
  std::printf("%s\n", webhooks::ToJson(response).c_str());
  return 0;
}
