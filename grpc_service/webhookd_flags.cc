#include "grpc_service/webhookd_flags.h"

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"

ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051",
          "host:port for the gRPC service (port 0 picks a free port; the chosen one is logged)");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "host:port for the REST gateway (port 0 picks a free port; the chosen one is logged); "
          "empty disables it");
ABSL_FLAG(std::string, principals_file, "",
          "textproto of webhooks.v1.PrincipalsConfig (orgs, users, SHA-256 of tokens); refused "
          "unless only its owner may access it (chmod 600). Empty: "
          "org \"Primary\" (id \"0\"), one admin whose token is $WEBHOOKD_ADMIN_TOKEN or a new "
          "one written to --admin_token_file");
ABSL_FLAG(std::string, admin_token_file, "",
          "without --principals_file and $WEBHOOKD_ADMIN_TOKEN: where the generated admin token "
          "is written (mode 0600, must not exist). Default: "
          "$XDG_RUNTIME_DIR (or /tmp)/webhookd-admin-token-<16 random hex digits>");
ABSL_FLAG(std::string, data_dir, "",
          "directory for durable state: webhooks, preferences and deliveries (a journal with "
          "snapshots; created if missing; one process at a time). Default: "
          "$XDG_STATE_HOME/webhookd, else ~/.local/state/webhookd");
ABSL_FLAG(std::string, postgres_url, "",
          "keep durable state in this PostgreSQL database instead of --data_dir: a libpq URI or "
          "conninfo string (postgresql://user@host/db?sslmode=verify-full; a password is better "
          "kept in ~/.pgpass or $PGPASSWORD than in the URL). Tables are created and migrated "
          "at start. Any number of webhookd replicas may share one database");
ABSL_FLAG(std::string, log_format, "text",
          "how log lines are written to standard error: text (\"webhookd: ...\") or json (one "
          "object a line: time, level, message, and the RPC method where there is one)");
ABSL_FLAG(std::string, import_data_dir, "",
          "with --postgres_url: copy the state of this --data_dir (stop the webhookd that uses "
          "it first) into the PostgreSQL database, which must hold none yet, and exit; all or "
          "nothing");
ABSL_FLAG(absl::Duration, delivery_lease, absl::Seconds(60),
          "with --postgres_url: how long a replica holds a delivery it is attempting without "
          "renewing the lease (renewed every third of it); a replica that dies hands its "
          "deliveries to the others this long after");
ABSL_FLAG(bool, in_memory, false,
          "keep all state in memory only (demos): nothing survives a restart");
ABSL_FLAG(bool, allow_private_endpoints, false,
          "let deliveries reach loopback, private, link-local and other non-public addresses "
          "(off: such destinations are refused at connect time)");
ABSL_FLAG(std::vector<std::string>, allowed_delivery_ports, {},
          "if set, the only TCP ports deliveries, OAuth2 token requests and validations may "
          "connect to (e.g. 443,8443; a URL's default port counts); storage endpoints are exempt");
ABSL_FLAG(absl::Duration, delivery_timeout, absl::Seconds(5),
          "time a receiver has to answer 2xx before the attempt counts as failed");
ABSL_FLAG(std::vector<std::string>, retry_delays,
          std::vector<std::string>({"1m", "5m", "15m", "1h", "2h", "4h"}),
          "waits before each retry of a failed delivery (one more attempt than entries)");
ABSL_FLAG(absl::Duration, history_retention, absl::Hours(72),
          "how long delivery records stay searchable");
ABSL_FLAG(int32_t, max_concurrent_validations, 4,
          "validations (POST .../communication-channels/validate, gRPC "
          "ValidateCommunicationChannel) that may run at once; more are answered 429 "
          "(gRPC RESOURCE_EXHAUSTED)");
ABSL_FLAG(int32_t, max_pending_deliveries, 10000,
          "deliveries not yet finished; PublishEvent beyond this answers RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, max_pending_deliveries_per_org, 0,
          "deliveries not yet finished of one org (0: an even share of --max_pending_deliveries "
          "among the orgs); PublishEvent beyond this answers RESOURCE_EXHAUSTED");
ABSL_FLAG(int32_t, max_history_deliveries_per_org, 100000,
          "finished deliveries of one org kept in the history; beyond this its oldest are "
          "forgotten before --history_retention ends");
ABSL_FLAG(int32_t, max_attempts_in_flight_per_webhook, 8,
          "delivery attempts to one webhook under way at once (validations count but are never "
          "refused); its further due deliveries wait without holding up other webhooks' "
          "(0: no limit)");
ABSL_FLAG(int32_t, max_attempts_per_second_per_webhook, 50,
          "delivery attempts started per second to one webhook: a bucket of this many tokens "
          "refilled at this many a second, so this many may start at once (0: no limit)");
ABSL_FLAG(absl::Duration, disable_webhook_after_failing_for, absl::Hours(120),
          "a webhook whose delivery attempts have all failed for this long (since the first "
          "failure after its last success) is set DISABLED at its next failed attempt, until an "
          "administrator enables it again; default 120h (5 days), 0 never");
ABSL_FLAG(absl::Duration, secret_rotation_overlap, absl::Hours(24),
          "after an update changes a webhook's signing secret, how long the old one stays valid: "
          "meanwhile webhook-signature carries a v1 signature with each (new first) and the "
          "signature header the new one's; 0 ends the old secret at once");
ABSL_FLAG(std::string, application_url, "",
          "the host product's URL, sent as source.applicationUrl in every payload");
ABSL_FLAG(std::string, instance_id, "",
          "this instance's id, sent as source.instanceId in every payload (default: hostname)");
ABSL_FLAG(std::string, aws_credentials_file, "",
          "AWS shared-credentials file with this server's keys, which assume customers' storage "
          "roles (used when AWS_ACCESS_KEY_ID is not set in the environment)");
ABSL_FLAG(std::string, aws_profile, "default", "the profile of --aws_credentials_file");
ABSL_FLAG(std::string, aws_account_id, "",
          "this server's AWS account id, shown by GET /api/rest/2.0/webhooks/storage-config");
ABSL_FLAG(std::string, aws_sts_endpoint, "",
          "STS base URL (default https://sts.<bucket region>.amazonaws.com)");
ABSL_FLAG(std::string, aws_s3_endpoint, "",
          "S3 base URL for an S3-compatible server (default https://<bucket>.s3.<region>."
          "amazonaws.com)");
ABSL_FLAG(bool, aws_s3_path_style, false,
          "address buckets as the first path segment of --aws_s3_endpoint, not as a host name");
ABSL_FLAG(std::string, gcp_credentials_file, "",
          "JSON key of this server's GCP service account, which impersonates customers' service "
          "accounts for GCP_GCS storage destinations");
ABSL_FLAG(
    std::string, gcp_iam_credentials_endpoint, "",
    "IAM Service Account Credentials base URL (default https://iamcredentials.googleapis.com)");
ABSL_FLAG(std::string, gcs_endpoint, "",
          "Cloud Storage base URL for a GCS-compatible server (default "
          "https://storage.googleapis.com)");
ABSL_FLAG(int64_t, max_body_bytes, 1 << 20, "largest REST request body; larger gets 413");
ABSL_FLAG(int64_t, max_header_bytes, 16 * 1024, "largest REST header block; larger gets 431");
ABSL_FLAG(int32_t, max_header_count, 100, "most header fields of a REST request; more gets 431");
ABSL_FLAG(absl::Duration, read_timeout, absl::Seconds(30), "time to receive one REST request");
ABSL_FLAG(absl::Duration, header_timeout, absl::Seconds(10),
          "time to receive a REST request's headers, and the keep-alive idle limit: a connection "
          "that idles or trickles its headers longer is closed");
ABSL_FLAG(int32_t, max_connections, 1024,
          "open REST connections in all; more are closed as soon as they are accepted");
ABSL_FLAG(int32_t, max_connections_per_client, 64,
          "open REST connections from one client address; more are closed as soon as they are "
          "accepted");
ABSL_FLAG(int32_t, http_threads, 4, "REST I/O threads (reading and writing only)");
ABSL_FLAG(int32_t, http_handler_threads, 16,
          "threads that handle REST requests: at most this many are handled at once");
ABSL_FLAG(int32_t, http_max_queued_requests, 256,
          "REST requests that may wait for a handler thread; more are answered 429");
ABSL_FLAG(bool, grpc_reflection, true,
          "serve gRPC server reflection (grpc.reflection.v1alpha), which lists the services and "
          "their messages to any client; turn off where the API should not be discoverable");
ABSL_FLAG(double, rate_limit_per_second, 0,
          "inbound requests per second per client address, on both listeners, as ThoughtSpot's "
          "public API (100 there); over it REST answers 429 with Retry-After and gRPC "
          "RESOURCE_EXHAUSTED. 0: no limit");
ABSL_FLAG(int32_t, rate_limit_burst, 10,
          "requests a client address may make at once under --rate_limit_per_second");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain; with --tls_key, both listeners serve TLS (gRPC over TLS and "
          "HTTPS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");

namespace webhooks {

Flags ParseFlags(int argc, char** argv) {
  absl::FlagsUsageConfig usage;
  // --help lists the flags of this file (by default, those of a file named after the program).
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "grpc_service/webhookd_flags.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "Serves Liveboard-schedule webhooks over gRPC (webhooks.v1.WebhookService) and over "
      "ThoughtSpot's REST API v2.0 paths.\n"
      "  webhookd --grpc_listen=127.0.0.1:50051 --http_listen=127.0.0.1:8080 "
      "[--principals_file=FILE] [--data_dir=DIR | --postgres_url=URL | --in_memory] "
      "[--allow_private_endpoints]");
  absl::ParseCommandLine(argc, argv);

  Flags flags;
  flags.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  flags.http_listen = absl::GetFlag(FLAGS_http_listen);
  flags.principals_file = absl::GetFlag(FLAGS_principals_file);
  flags.admin_token_file = absl::GetFlag(FLAGS_admin_token_file);
  flags.data_dir = absl::GetFlag(FLAGS_data_dir);
  flags.in_memory = absl::GetFlag(FLAGS_in_memory);
  flags.postgres_url = absl::GetFlag(FLAGS_postgres_url);
  flags.allow_private_endpoints = absl::GetFlag(FLAGS_allow_private_endpoints);
  flags.allowed_delivery_ports = absl::GetFlag(FLAGS_allowed_delivery_ports);
  flags.delivery_timeout = absl::GetFlag(FLAGS_delivery_timeout);
  flags.retry_delays = absl::GetFlag(FLAGS_retry_delays);
  flags.delivery_lease = absl::GetFlag(FLAGS_delivery_lease);
  flags.import_data_dir = absl::GetFlag(FLAGS_import_data_dir);
  flags.log_format = absl::GetFlag(FLAGS_log_format);
  flags.history_retention = absl::GetFlag(FLAGS_history_retention);
  flags.max_concurrent_validations = absl::GetFlag(FLAGS_max_concurrent_validations);
  flags.max_pending_deliveries = absl::GetFlag(FLAGS_max_pending_deliveries);
  flags.max_pending_deliveries_per_org = absl::GetFlag(FLAGS_max_pending_deliveries_per_org);
  flags.max_history_deliveries_per_org = absl::GetFlag(FLAGS_max_history_deliveries_per_org);
  flags.max_attempts_in_flight_per_webhook =
      absl::GetFlag(FLAGS_max_attempts_in_flight_per_webhook);
  flags.max_attempts_per_second_per_webhook =
      absl::GetFlag(FLAGS_max_attempts_per_second_per_webhook);
  flags.disable_webhook_after_failing_for = absl::GetFlag(FLAGS_disable_webhook_after_failing_for);
  flags.secret_rotation_overlap = absl::GetFlag(FLAGS_secret_rotation_overlap);
  flags.application_url = absl::GetFlag(FLAGS_application_url);
  flags.instance_id = absl::GetFlag(FLAGS_instance_id);
  flags.aws_credentials_file = absl::GetFlag(FLAGS_aws_credentials_file);
  flags.aws_profile = absl::GetFlag(FLAGS_aws_profile);
  flags.aws_account_id = absl::GetFlag(FLAGS_aws_account_id);
  flags.aws_sts_endpoint = absl::GetFlag(FLAGS_aws_sts_endpoint);
  flags.aws_s3_endpoint = absl::GetFlag(FLAGS_aws_s3_endpoint);
  flags.aws_s3_path_style = absl::GetFlag(FLAGS_aws_s3_path_style);
  flags.gcp_credentials_file = absl::GetFlag(FLAGS_gcp_credentials_file);
  flags.gcp_iam_credentials_endpoint = absl::GetFlag(FLAGS_gcp_iam_credentials_endpoint);
  flags.gcs_endpoint = absl::GetFlag(FLAGS_gcs_endpoint);
  flags.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  flags.max_header_bytes = absl::GetFlag(FLAGS_max_header_bytes);
  flags.max_header_count = absl::GetFlag(FLAGS_max_header_count);
  flags.read_timeout = absl::GetFlag(FLAGS_read_timeout);
  flags.header_timeout = absl::GetFlag(FLAGS_header_timeout);
  flags.max_connections = absl::GetFlag(FLAGS_max_connections);
  flags.max_connections_per_client = absl::GetFlag(FLAGS_max_connections_per_client);
  flags.http_threads = absl::GetFlag(FLAGS_http_threads);
  flags.http_handler_threads = absl::GetFlag(FLAGS_http_handler_threads);
  flags.http_max_queued_requests = absl::GetFlag(FLAGS_http_max_queued_requests);
  flags.grpc_reflection = absl::GetFlag(FLAGS_grpc_reflection);
  flags.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit_per_second);
  flags.rate_limit_burst = absl::GetFlag(FLAGS_rate_limit_burst);
  flags.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  flags.tls_key = absl::GetFlag(FLAGS_tls_key);
  return flags;
}

}  // namespace webhooks
