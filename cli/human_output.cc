#include "cli/human_output.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace webhooks {
namespace cli {
namespace {

// Prints `rows` (the first is the header) as columns two spaces apart.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      absl::StrAppend(&line, row[c]);
      if (c + 1 < row.size()) line.append(widths[c] - row[c].size() + 2, ' ');
    }
    out << absl::StripTrailingAsciiWhitespace(line) << "\n";
  }
}

std::string EventNames(const google::protobuf::RepeatedField<int>& events) {
  std::vector<std::string> names;
  for (int event : events) names.push_back(v1::EventType_Name(event));
  return names.empty() ? "-" : absl::StrJoin(names, ",");
}

std::string ChannelNames(const google::protobuf::RepeatedField<int>& channels) {
  std::vector<std::string> names;
  for (int channel : channels) names.push_back(v1::Channel_Name(channel));
  return names.empty() ? "(none)" : absl::StrJoin(names, ",");
}

void PrintWebhooks(const google::protobuf::RepeatedPtrField<v1::Webhook>& webhooks,
                   std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {{"ID", "NAME", "ORG", "STATUS", "EVENTS", "URL"}};
  for (const v1::Webhook& webhook : webhooks) {
    rows.push_back({webhook.id(), webhook.name(), webhook.org().name(),
                    webhook.has_status() ? v1::WebhookStatus_Name(webhook.status()) : "-",
                    EventNames(webhook.events()), webhook.url()});
  }
  PrintTable(rows, out);
}

}  // namespace

void PrintHuman(const v1::Webhook& webhook, std::ostream& out) {
  out << "created webhook " << webhook.name() << " (id " << webhook.id() << ")\n";
}

void PrintHuman(const v1::SearchWebhooksResponse& response, std::ostream& out) {
  PrintWebhooks(response.webhooks(), out);
  const v1::Pagination& page = response.pagination();
  out << response.webhooks_size() << " of " << page.total_count() << " webhooks (offset "
      << page.record_offset() << (page.has_more() ? ", more" : "") << ")\n";
}

void PrintHuman(const v1::DeleteWebhooksResponse& response, std::ostream& out) {
  for (const v1::Webhook& webhook : response.deleted_webhooks()) {
    out << "deleted webhook " << webhook.name() << " (id " << webhook.id() << ")\n";
  }
  for (const v1::DeleteFailure& failure : response.failed_webhooks()) {
    out << "not deleted " << (failure.name().empty() ? failure.id() : failure.name()) << ": "
        << failure.error() << "\n";
  }
  out << response.deleted_count() << " deleted, " << response.failed_count() << " failed\n";
}

namespace {

// A table of delivery jobs and their count.
void PrintJobs(const google::protobuf::RepeatedPtrField<v1::ChannelHistoryJob>& jobs,
               std::ostream& out) {
  std::vector<std::vector<std::string>> rows = {
      {"JOB", "STATUS", "TRIES", "CREATED", "EVENT", "DETAIL"}};
  for (const v1::ChannelHistoryJob& job : jobs) {
    rows.push_back(
        {job.id(), v1::ChannelHistoryJob::Status_Name(job.status()),
         job.has_try_count() ? absl::StrCat(job.try_count()) : "-",
         absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(job.creation_time_in_millis()),
                          absl::UTCTimeZone()),
         job.event().name().empty() ? job.event().id() : job.event().name(), job.detail()});
  }
  PrintTable(rows, out);
  out << jobs.size() << (jobs.size() == 1 ? " job\n" : " jobs\n");
}

}  // namespace

void PrintHuman(const v1::SearchChannelHistoryResponse& response, std::ostream& out) {
  PrintJobs(response.jobs(), out);
}

void PrintHuman(const v1::ChannelHistoryJob& job, std::ostream& out) {
  google::protobuf::RepeatedPtrField<v1::ChannelHistoryJob> jobs;
  *jobs.Add() = job;
  PrintJobs(jobs, out);
}

void PrintHuman(const v1::ReplayFailedJobsResponse& response, std::ostream& out) {
  PrintJobs(response.jobs(), out);
}

void PrintHuman(const v1::ValidateCommunicationChannelResponse& response, std::ostream& out) {
  out << v1::ValidateCommunicationChannelResponse::ResultCode_Name(response.result_code())
      << " (webhook " << response.channel_name() << ", job " << response.job_id() << ")\n";
  for (const v1::ChannelValidationDetail& detail : response.details()) {
    out << "  " << v1::ChannelValidationDetail::Step_Name(detail.validation_step()) << ": "
        << v1::ChannelValidationDetail::Status_Name(detail.status());
    if (detail.has_http_status()) out << " HTTP " << detail.http_status();
    if (!detail.error_message().empty()) out << ": " << detail.error_message();
    out << "\n";
  }
}

void PrintHuman(const v1::PublishEventResponse& response, std::ostream& out) {
  out << v1::PublishEventResponse::Outcome_Name(response.outcome());
  if (response.has_job_id()) out << " job " << response.job_id();
  if (!response.reason().empty()) out << ": " << response.reason();
  out << "\n";
}

void PrintHuman(const v1::SearchChannelPreferencesResponse& response, std::ostream& out) {
  for (const v1::EventChannelConfig& config : response.cluster_preferences()) {
    out << "cluster " << v1::EventType_Name(config.event_type()) << ": "
        << ChannelNames(config.channels()) << "\n";
  }
  for (const v1::OrgChannelConfig& org : response.org_preferences()) {
    const std::string label = absl::StrCat("org ", org.org().name(), " (id ", org.org().id(), ")");
    if (org.preferences().empty()) out << label << ": no override\n";
    for (const v1::EventChannelConfig& config : org.preferences()) {
      out << label << " " << v1::EventType_Name(config.event_type()) << ": "
          << ChannelNames(config.channels()) << "\n";
    }
  }
}

void PrintHuman(const v1::GetStorageConfigResponse& response, std::ostream& out) {
  for (const v1::WebhookStorageConfigInfo& info : response.configs()) {
    const v1::WebhookStorageSetupConfig& config = info.config();
    out << v1::StorageType_Name(info.provider()) << " "
        << v1::WebhookStorageSetupConfig::ConfigType_Name(config.config_type());
    if (config.has_aws_account_id()) out << " aws_account_id=" << config.aws_account_id();
    if (config.has_service_account_email()) {
      out << " service_account_email=" << config.service_account_email();
    }
    out << "\n";
    int step = 0;
    for (const std::string& instruction : config.setup_instructions()) {
      out << "  " << ++step << ". " << instruction << "\n";
    }
  }
  if (response.configs().empty()) out << "no storage configurations\n";
}

}  // namespace cli
}  // namespace webhooks
