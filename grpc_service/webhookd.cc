// webhookd: the webhook engine over gRPC and over ThoughtSpot's REST API v2.0 webhook paths.
//
//   bazel run //grpc_service:webhookd -- --grpc_listen=127.0.0.1:50051
//       --http_listen=127.0.0.1:8080 --principals_file=principals.textproto
//
// Exits 0 after a clean shutdown on SIGINT or SIGTERM, 1 if it cannot start.
#include <signal.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/http/curl_transport.h"
#include "engine/cloud_storage/gcs_storage.h"
#include "engine/persistence/journal_store.h"
#include "engine/cloud_storage/object_storage.h"
#include "engine/org_directory.h"
#include "engine/cloud_storage/s3_storage.h"
#include "engine/webhook_engine.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/bootstrap.h"
#include "grpc_service/webhook_server.h"

ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051",
          "host:port for the gRPC service (port 0 picks a free port; the chosen one is logged)");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "host:port for the REST gateway (port 0 picks a free port; the chosen one is logged); "
          "empty disables it");
ABSL_FLAG(std::string, principals_file, "",
          "textproto of webhooks.v1.PrincipalsConfig (orgs, users, SHA-256 of tokens). Empty: "
          "org \"Primary\" (id \"0\"), one admin whose token is $WEBHOOKD_ADMIN_TOKEN or a new "
          "one written to --admin_token_file");
ABSL_FLAG(std::string, admin_token_file, "",
          "without --principals_file and $WEBHOOKD_ADMIN_TOKEN: where the generated admin token "
          "is written (mode 0600, must not exist). Default: "
          "$XDG_RUNTIME_DIR (or /tmp)/webhookd-admin-token-<pid>");
ABSL_FLAG(std::string, data_dir, "",
          "directory for durable state: webhooks, preferences and deliveries (a journal with "
          "snapshots; created if missing; one process at a time). Default: "
          "$XDG_STATE_HOME/webhookd, else ~/.local/state/webhookd");
ABSL_FLAG(bool, in_memory, false,
          "keep all state in memory only (demos): nothing survives a restart");
ABSL_FLAG(bool, allow_private_endpoints, false,
          "let deliveries reach loopback, private, link-local and other non-public addresses "
          "(off: such destinations are refused at connect time)");
ABSL_FLAG(absl::Duration, delivery_timeout, absl::Seconds(5),
          "time a receiver has to answer 2xx before the attempt counts as failed");
ABSL_FLAG(std::vector<std::string>, retry_delays,
          std::vector<std::string>({"1m", "5m", "15m", "1h", "2h", "4h"}),
          "waits before each retry of a failed delivery (one more attempt than entries)");
ABSL_FLAG(absl::Duration, history_retention, absl::Hours(72),
          "how long delivery records stay searchable");
ABSL_FLAG(int32_t, max_pending_deliveries, 10000,
          "deliveries not yet finished; PublishEvent beyond this answers RESOURCE_EXHAUSTED");
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
ABSL_FLAG(absl::Duration, read_timeout, absl::Seconds(30),
          "time to receive one REST request, and the keep-alive idle limit");
ABSL_FLAG(int32_t, http_threads, 4, "REST I/O threads (each serves one request at a time)");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain; with --tls_key, both listeners serve TLS (gRPC over TLS and "
          "HTTPS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");

namespace webhooks {
namespace {

// Keeps glibc's heap close to what webhookd uses over days of running (tools/soak.sh measures
// it). Called before any thread starts. By default glibc (1) gives threads up to 8 arenas per
// core, each of which keeps its own high-water mark, and (2) raises its mmap and trim
// thresholds to the largest block freed so far (up to 32 and 64 MB), after which a journal
// snapshot's transient megabytes stay resident for good. In 5-minute soaks on 2 cores the
// arenas ended at 20 MB with 16 of them and at 13 MB with 2 (at a higher delivery rate), and
// one snapshot left 4.4 MB free at the top of a heap that the raised threshold kept. One arena
// per core (at least 2) and the default 128 kB thresholds, fixed, changed neither requests/s
// nor the count of memory system calls there.
void TuneAllocator() {
#ifdef __GLIBC__
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // Setting it also fixes the trim threshold.
#endif
}

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read --", flag, " file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void Log(const std::string& line) { absl::FPrintF(stderr, "webhookd: %s\n", line); }

// The principals to serve: the file's, or (no file) the default admin's, whose token is then
// in `*admin_token` (see bootstrap.h).
absl::StatusOr<v1::PrincipalsConfig> LoadPrincipals(std::string* admin_token) {
  const std::string file = absl::GetFlag(FLAGS_principals_file);
  if (!file.empty()) return LoadPrincipalsFile(file);

  const char* env_token = std::getenv("WEBHOOKD_ADMIN_TOKEN");
  if (env_token != nullptr && env_token[0] != '\0') {
    Log("no --principals_file: admin token taken from WEBHOOKD_ADMIN_TOKEN");
    *admin_token = env_token;
    return DefaultPrincipalsConfig(TokenSha256Hex(*admin_token));
  }
  std::string path = absl::GetFlag(FLAGS_admin_token_file);
  if (path.empty()) {
    const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
    path = absl::StrCat(runtime_dir != nullptr && runtime_dir[0] != '\0' ? runtime_dir : "/tmp",
                        "/webhookd-admin-token-", getpid());
  }
  *admin_token = NewAdminToken();
  const absl::Status written = WriteSecretFile(path, absl::StrCat(*admin_token, "\n"));
  if (!written.ok()) return written;
  Log(absl::StrCat("no --principals_file: admin token written to ", path));
  return DefaultPrincipalsConfig(TokenSha256Hex(*admin_token));
}

// Where state is kept: --data_dir, or the default state directory; "" with --in_memory.
absl::StatusOr<std::string> DataDirectory() {
  const std::string flag = absl::GetFlag(FLAGS_data_dir);
  if (absl::GetFlag(FLAGS_in_memory)) {
    if (!flag.empty()) {
      return absl::InvalidArgumentError("--in_memory and --data_dir exclude each other");
    }
    return std::string();
  }
  if (!flag.empty()) return flag;
  const char* state_home = std::getenv("XDG_STATE_HOME");
  if (state_home != nullptr && state_home[0] != '\0') {
    return absl::StrCat(state_home, "/webhookd");
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return absl::StrCat(home, "/.local/state/webhookd");
  return absl::InvalidArgumentError("no --data_dir, $XDG_STATE_HOME or $HOME; name a --data_dir");
}

int Run() {
  // SIGINT and SIGTERM are taken by sigwait below; blocked before any thread starts, so every
  // thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string admin_token;  // Set only for the default principals.
  absl::StatusOr<v1::PrincipalsConfig> principals = LoadPrincipals(&admin_token);
  if (!principals.ok()) {
    Log(absl::StrCat("cannot start: ", principals.status().message()));
    return 1;
  }
  absl::StatusOr<StaticOrgDirectory> orgs = StaticOrgDirectory::Create(
      std::vector<v1::Org>(principals->orgs().begin(), principals->orgs().end()));
  if (!orgs.ok()) {
    Log(absl::StrCat("cannot start: ", orgs.status().message()));
    return 1;
  }
  absl::StatusOr<std::unique_ptr<StaticAuthenticator>> authenticator =
      StaticAuthenticator::Create(*principals);
  if (!authenticator.ok()) {
    Log(absl::StrCat("cannot start: ", authenticator.status().message()));
    return 1;
  }
  EngineOptions engine_options;
  engine_options.orgs = &*orgs;
  std::unique_ptr<JournalStore> store;
  absl::StatusOr<std::string> data_dir = DataDirectory();
  if (!data_dir.ok()) {
    Log(absl::StrCat("cannot start: ", data_dir.status().message()));
    return 1;
  }
  if (!data_dir->empty()) {
    JournalOptions journal;
    journal.directory = *data_dir;
    journal.log = [](absl::string_view note) { Log(std::string(note)); };
    absl::StatusOr<std::unique_ptr<JournalStore>> opened = JournalStore::Open(journal);
    if (!opened.ok()) {
      Log(absl::StrCat("cannot start: ", opened.status().message()));
      return 1;
    }
    store = *std::move(opened);
    engine_options.state_store = store.get();
    Log(absl::StrCat("state kept in ", *data_dir));
  } else {
    Log("--in_memory: state is kept in memory only");
  }
  CurlTransportOptions transport_options;
  transport_options.allow_private_endpoints = absl::GetFlag(FLAGS_allow_private_endpoints);
  transport_options.user_agent = engine_options.delivery.product.user_agent;
  absl::StatusOr<std::unique_ptr<CurlTransport>> transport =
      CurlTransport::Create(transport_options);
  if (!transport.ok()) {
    Log(absl::StrCat("cannot start: ", transport.status().message()));
    return 1;
  }
  engine_options.delivery.transport = transport->get();
  AwsOptions aws;
  absl::StatusOr<engine_internal::AwsCredentials> aws_credentials = LoadAwsCredentials(
      absl::GetFlag(FLAGS_aws_credentials_file), absl::GetFlag(FLAGS_aws_profile));
  if (!aws_credentials.ok()) {
    Log(absl::StrCat("cannot start: ", aws_credentials.status().message()));
    return 1;
  }
  aws.credentials = *std::move(aws_credentials);
  aws.sts_endpoint = absl::GetFlag(FLAGS_aws_sts_endpoint);
  aws.s3_endpoint = absl::GetFlag(FLAGS_aws_s3_endpoint);
  aws.path_style = absl::GetFlag(FLAGS_aws_s3_path_style);
  aws.user_agent = engine_options.delivery.product.user_agent;
  if (aws.credentials.access_key_id.empty()) {
    Log("no AWS credentials: deliveries to AWS_S3 storage destinations will fail until "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or --aws_credentials_file are given");
  }
  S3Storage s3_storage(std::move(aws), **transport, *SystemClock());
  absl::StatusOr<GcpOptions> gcp = LoadGcpServiceAccount(absl::GetFlag(FLAGS_gcp_credentials_file));
  if (!gcp.ok()) {
    Log(absl::StrCat("cannot start: ", gcp.status().message()));
    return 1;
  }
  if (!absl::GetFlag(FLAGS_gcp_iam_credentials_endpoint).empty()) {
    gcp->iam_credentials_endpoint = absl::GetFlag(FLAGS_gcp_iam_credentials_endpoint);
  }
  if (!absl::GetFlag(FLAGS_gcs_endpoint).empty()) {
    gcp->storage_endpoint = absl::GetFlag(FLAGS_gcs_endpoint);
  }
  gcp->user_agent = engine_options.delivery.product.user_agent;
  engine_options.delivery.gcp_service_account_email = gcp->client_email;
  GcsStorage gcs_storage(*std::move(gcp), **transport, *SystemClock());
  StorageRouter storage(&s3_storage, &gcs_storage);
  engine_options.delivery.storage = &storage;
  engine_options.delivery.aws_account_id = absl::GetFlag(FLAGS_aws_account_id);
  engine_options.delivery.timeout = absl::GetFlag(FLAGS_delivery_timeout);
  engine_options.delivery.history_retention = absl::GetFlag(FLAGS_history_retention);
  engine_options.delivery.max_pending_jobs = absl::GetFlag(FLAGS_max_pending_deliveries);
  engine_options.delivery.retry_delays.clear();
  for (const std::string& text : absl::GetFlag(FLAGS_retry_delays)) {
    absl::Duration delay;
    if (!absl::ParseDuration(text, &delay) || delay < absl::ZeroDuration()) {
      Log(absl::StrCat("cannot start: --retry_delays: '", text,
                       "' is not a duration such as 30s, 5m or 1h"));
      return 1;
    }
    engine_options.delivery.retry_delays.push_back(delay);
  }
  engine_options.delivery.product.application_url = absl::GetFlag(FLAGS_application_url);
  engine_options.delivery.product.instance_id = absl::GetFlag(FLAGS_instance_id);
  if (engine_options.delivery.product.instance_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    engine_options.delivery.product.instance_id = host;
  }
  if (transport_options.allow_private_endpoints) {
    Log("--allow_private_endpoints: deliveries may reach loopback and private addresses");
  }
  absl::StatusOr<std::unique_ptr<WebhookEngine>> engine = WebhookEngine::Create(engine_options);
  if (!engine.ok()) {
    Log(absl::StrCat("cannot start: ", engine.status().message()));
    return 1;
  }
  if (!admin_token.empty()) {
    // A fresh webhookd can take a webhook at once: the cluster WEBHOOK channel is on.
    absl::StatusOr<Principal> admin = (*authenticator)->Authenticate(admin_token);
    const absl::Status configured =
        admin.ok() ? (*engine)->ConfigureChannelPreferences(*admin, DefaultChannelPreferences())
                   : admin.status();
    if (!configured.ok()) {
      Log(absl::StrCat("cannot start: ", configured.message()));
      return 1;
    }
  }

  WebhookServerOptions options;
  options.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  options.http.listen = absl::GetFlag(FLAGS_http_listen);
  options.http.max_body_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_body_bytes));
  options.http.max_header_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_header_bytes));
  options.http.max_header_count = static_cast<size_t>(absl::GetFlag(FLAGS_max_header_count));
  options.http.read_timeout = absl::GetFlag(FLAGS_read_timeout);
  options.http.threads = absl::GetFlag(FLAGS_http_threads);
  options.gateway.max_body_bytes = options.http.max_body_bytes;
  const std::string tls_cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string tls_key = absl::GetFlag(FLAGS_tls_key);
  if (tls_cert.empty() != tls_key.empty()) {
    Log("cannot start: --tls_cert and --tls_key go together");
    return 1;
  }
  if (!tls_cert.empty()) {
    absl::StatusOr<std::string> cert = ReadFile("tls_cert", tls_cert);
    absl::StatusOr<std::string> key = cert.ok() ? ReadFile("tls_key", tls_key) : cert.status();
    if (!key.ok()) {
      Log(absl::StrCat("cannot start: ", key.status().message()));
      return 1;
    }
    options.tls_cert_chain_pem = *std::move(cert);
    options.tls_private_key_pem = *std::move(key);
  }
  absl::StatusOr<std::unique_ptr<WebhookServer>> server =
      WebhookServer::Start(options, engine->get(), authenticator->get());
  if (!server.ok()) {
    Log(absl::StrCat("cannot start: ", server.status().message()));
    return 1;
  }
  const char* tls_note = tls_cert.empty() ? "" : " (TLS)";
  if ((*server)->grpc_port() != 0) {
    Log(absl::StrCat("gRPC listening on port ", (*server)->grpc_port(), tls_note));
  }
  if ((*server)->http_port() != 0) {
    Log(absl::StrCat("HTTP listening on port ", (*server)->http_port(), tls_note));
  }
  Log("ready");

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  Log(absl::StrCat("signal ", signal_number, ": shutting down"));
  (*server)->Shutdown();
  Log("stopped");
  return 0;
}

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) {
  webhooks::TuneAllocator();
  absl::SetProgramUsageMessage(
      "Serves Liveboard-schedule webhooks over gRPC (webhooks.v1.WebhookService) and over "
      "ThoughtSpot's REST API v2.0 paths.\n"
      "  webhookd --grpc_listen=127.0.0.1:50051 --http_listen=127.0.0.1:8080 "
      "[--principals_file=FILE] [--data_dir=DIR | --in_memory] [--allow_private_endpoints]");
  absl::ParseCommandLine(argc, argv);
  return webhooks::Run();
}
