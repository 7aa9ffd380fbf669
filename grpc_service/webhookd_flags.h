// webhookd's command-line flags (`webhookd --help` lists them with their defaults), read once
// into a Flags value after absl::ParseCommandLine.
#ifndef WEBHOOKS_GRPC_SERVICE_WEBHOOKD_FLAGS_H_
#define WEBHOOKS_GRPC_SERVICE_WEBHOOKD_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace webhooks {

// The command line, read once after parsing; the ABSL_FLAGs in webhookd_flags.cc say what each
// field means.
struct Flags {
  std::string grpc_listen;
  std::string http_listen;
  std::string principals_file;
  std::string admin_token_file;
  std::string data_dir;
  bool in_memory = false;
  std::string postgres_url;
  absl::Duration delivery_lease;
  std::string import_data_dir;
  std::string log_format;
  bool allow_private_endpoints = false;
  std::vector<std::string> allowed_delivery_ports;
  absl::Duration delivery_timeout;
  std::vector<std::string> retry_delays;
  absl::Duration history_retention;
  int32_t max_concurrent_validations = 0;
  int32_t max_pending_deliveries = 0;
  int32_t max_pending_deliveries_per_org = 0;
  int32_t max_history_deliveries_per_org = 0;
  int32_t max_attempts_in_flight_per_webhook = 0;
  int32_t max_attempts_per_second_per_webhook = 0;
  absl::Duration disable_webhook_after_failing_for;
  absl::Duration secret_rotation_overlap;
  std::string application_url;
  std::string instance_id;
  std::string aws_credentials_file;
  std::string aws_profile;
  std::string aws_account_id;
  std::string aws_sts_endpoint;
  std::string aws_s3_endpoint;
  bool aws_s3_path_style = false;
  std::string gcp_credentials_file;
  std::string gcp_iam_credentials_endpoint;
  std::string gcs_endpoint;
  int64_t max_body_bytes = 0;
  int64_t max_header_bytes = 0;
  int32_t max_header_count = 0;
  absl::Duration read_timeout;
  absl::Duration header_timeout;
  int32_t max_connections = 0;
  int32_t max_connections_per_client = 0;
  int32_t http_threads = 0;
  int32_t http_handler_threads = 0;
  int32_t http_max_queued_requests = 0;
  bool grpc_reflection = true;
  double rate_limit_per_second = 0;
  int32_t rate_limit_burst = 0;
  std::string tls_cert;
  std::string tls_key;
};

// Parses the command line (exiting for --help and for a bad flag, as absl::ParseCommandLine
// does) and returns the flags.
Flags ParseFlags(int argc, char** argv);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_WEBHOOKD_FLAGS_H_
