// webhookd: the webhook engine over gRPC and over ThoughtSpot's REST API v2.0 webhook paths.
//
//   bazel run //grpc_service:webhookd -- --grpc_listen=127.0.0.1:50051
//       --http_listen=127.0.0.1:8080 --principals_file=principals.textproto
//
// Exits 0 after a clean shutdown on SIGINT or SIGTERM, 1 if it cannot start. Start-up is one
// function, Webhookd::Start, which returns the running server or the error that main logs
// ("cannot start: ...") before it exits.
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

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/base/status_macros.h"
#include "engine/cloud_storage/gcs_storage.h"
#include "engine/cloud_storage/object_storage.h"
#include "engine/cloud_storage/s3_storage.h"
#include "engine/http/curl_transport.h"
#include "engine/org_directory.h"
#include "engine/persistence/journal_store.h"
#include "engine/persistence/postgres/postgres_log.h"
#include "engine/persistence/postgres/postgres_state_store.h"
#include "engine/webhook_engine.h"
#include "grpc_service/authenticator.h"
#include "grpc_service/bootstrap.h"
#include "grpc_service/server_log.h"
#include "grpc_service/webhook_server.h"
#include "grpc_service/webhookd_flags.h"

namespace webhooks {
namespace {

// Keeps glibc's heap close to what webhookd uses over days of running (tools/soak.sh measures
// it), without handing memory back and forth with the kernel on every call. Called before any
// thread starts. By default glibc (1) gives threads up to 8 arenas per core, each of which keeps
// its own high-water mark, and (2) raises its mmap and trim thresholds to the largest block
// freed so far (up to 32 and 64 MB), after which a journal snapshot's transient megabytes stay
// resident for good. In 5-minute soaks on 2 cores the arenas ended at 20 MB with 16 of them and
// at 13 MB with 2 (at a higher delivery rate), and one snapshot left 4.4 MB free at the top of
// a heap that the raised threshold kept. So: one arena per core (at least 2), and both
// thresholds fixed. The trim threshold is 4 MB, not the default 128 kB: at 128 kB, 5 s of REST
// search at 100,000 webhooks made 612 to 2,320 brk or madvise calls that shrank a heap's top,
// and 7,300 to 33,500 page faults growing it again (with TLB flushes on both cores); from 1 MB
// up there were none, and a call took 15 % less CPU (bench/RESULTS.md). Snapshots still hand
// their memory back (ReleaseFreeMemory).
void TuneAllocator() {
#ifdef __GLIBC__
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
#endif
}

// Debian builds Abseil without NDEBUG, so every absl::Mutex acquisition also records the lock
// in a process-wide graph to detect lock-order cycles, under a global lock of its own. That is
// a test-time check (the tests keep it), not worth its cost on every call and delivery of a
// server: profiles of the delivery benchmark had the dispatcher thread spend most of its time
// there.
void SkipMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read --", flag, " file ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void Log(const std::string& line) { LogInfo(line); }

// The principals to serve: the file's, or (no file) the default admin's, whose token is then
// in `*admin_token` (see bootstrap.h).
absl::StatusOr<v1::PrincipalsConfig> LoadPrincipals(const Flags& flags, std::string* admin_token) {
  if (!flags.principals_file.empty()) {
    ASSIGN_OR_RETURN(v1::PrincipalsConfig config, LoadPrincipalsFile(flags.principals_file));
    RETURN_IF_ERROR(CheckOwnerOnlyFile(flags.principals_file));
    return config;
  }

  const char* env_token = std::getenv("WEBHOOKD_ADMIN_TOKEN");
  if (env_token != nullptr && env_token[0] != '\0') {
    Log("no --principals_file: admin token taken from WEBHOOKD_ADMIN_TOKEN");
    *admin_token = env_token;
    return DefaultPrincipalsConfig(TokenSha256Hex(*admin_token));
  }
  *admin_token = NewAdminToken();
  const std::string contents = absl::StrCat(*admin_token, "\n");
  std::string path = flags.admin_token_file;
  if (path.empty()) {
    const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
    ASSIGN_OR_RETURN(
        path,
        WriteSecretFileAtRandomName(
            absl::StrCat(runtime_dir != nullptr && runtime_dir[0] != '\0' ? runtime_dir : "/tmp",
                         "/webhookd-admin-token-"),
            contents));
  } else {
    RETURN_IF_ERROR(WriteSecretFile(path, contents));
  }
  Log(absl::StrCat("no --principals_file: admin token written to ", path));
  return DefaultPrincipalsConfig(TokenSha256Hex(*admin_token));
}

// Where state is kept: --data_dir, or the default state directory; "" with --in_memory.
absl::StatusOr<std::string> DataDirectory(const Flags& flags) {
  if (flags.in_memory) {
    if (!flags.data_dir.empty()) {
      return absl::InvalidArgumentError("--in_memory and --data_dir exclude each other");
    }
    return std::string();
  }
  if (!flags.data_dir.empty()) return flags.data_dir;
  const char* state_home = std::getenv("XDG_STATE_HOME");
  if (state_home != nullptr && state_home[0] != '\0') {
    return absl::StrCat(state_home, "/webhookd");
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return absl::StrCat(home, "/.local/state/webhookd");
  return absl::InvalidArgumentError("no --data_dir, $XDG_STATE_HOME or $HOME; name a --data_dir");
}

// The PostgreSQL database of --postgres_url, the journal in the data directory, or null with
// --in_memory; logs which.
absl::StatusOr<std::unique_ptr<StateStore>> OpenStateStore(const Flags& flags) {
  if (!flags.postgres_url.empty()) {
    if (flags.in_memory || !flags.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "--postgres_url excludes --data_dir and --in_memory: state is kept in one place");
    }
    engine_internal::PgConnectionOptions connection;
    connection.conninfo = flags.postgres_url;
    if (flags.delivery_lease < absl::Seconds(1)) {
      return absl::InvalidArgumentError("--delivery_lease must be at least 1s");
    }
    PostgresStateStoreOptions options;
    options.lease = flags.delivery_lease;
    ASSIGN_OR_RETURN(std::unique_ptr<PostgresStateStore> store,
                     PostgresStateStore::Open(std::move(connection), options));
    Log("state kept in PostgreSQL (--postgres_url)");
    return std::unique_ptr<StateStore>(std::move(store));
  }
  ASSIGN_OR_RETURN(const std::string data_dir, DataDirectory(flags));
  if (data_dir.empty()) {
    Log("--in_memory: state is kept in memory only");
    return std::unique_ptr<StateStore>();
  }
  JournalOptions journal;
  journal.directory = data_dir;
  journal.log = [](absl::string_view note) { Log(std::string(note)); };
  ASSIGN_OR_RETURN(std::unique_ptr<JournalStore> store, JournalStore::Open(journal));
  Log(absl::StrCat("state kept in ", data_dir));
  return store;
}

// --import_data_dir: copies the journal's state into the empty database of --postgres_url.
absl::Status ImportJournal(const Flags& flags) {
  if (flags.postgres_url.empty()) {
    return absl::InvalidArgumentError("--import_data_dir needs --postgres_url to import into");
  }
  JournalOptions journal;
  journal.directory = flags.import_data_dir;
  journal.log = [](absl::string_view note) { Log(std::string(note)); };
  ASSIGN_OR_RETURN(std::unique_ptr<JournalStore> source, JournalStore::Open(journal));
  std::vector<state::StateBatch> batches;
  RETURN_IF_ERROR(source->Replay([&](const state::StateBatch& batch) {
    batches.push_back(batch);
    return absl::OkStatus();
  }));
  engine_internal::PgConnectionOptions connection;
  connection.conninfo = flags.postgres_url;
  ASSIGN_OR_RETURN(std::unique_ptr<engine_internal::PostgresLog> log,
                   engine_internal::PostgresLog::Open(std::move(connection)));
  RETURN_IF_ERROR(log->Import(batches));
  Log(absl::StrCat("imported ", batches.size(), " batches of state from ", flags.import_data_dir,
                   " into PostgreSQL"));
  return absl::OkStatus();
}

// This server's AWS identity and endpoints for AWS_S3 storage destinations; logs when it has no
// credentials (which is no reason not to start).
absl::StatusOr<AwsOptions> AwsOptionsFrom(const Flags& flags, const std::string& user_agent) {
  AwsOptions aws;
  ASSIGN_OR_RETURN(aws.credentials,
                   LoadAwsCredentials(flags.aws_credentials_file, flags.aws_profile));
  aws.sts_endpoint = flags.aws_sts_endpoint;
  aws.s3_endpoint = flags.aws_s3_endpoint;
  aws.path_style = flags.aws_s3_path_style;
  aws.user_agent = user_agent;
  if (aws.credentials.access_key_id.empty()) {
    Log("no AWS credentials: deliveries to AWS_S3 storage destinations will fail until "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or --aws_credentials_file are given");
  }
  return aws;
}

// This server's GCP service account and endpoints for GCP_GCS storage destinations.
absl::StatusOr<GcpOptions> GcpOptionsFrom(const Flags& flags, const std::string& user_agent) {
  ASSIGN_OR_RETURN(GcpOptions gcp, LoadGcpServiceAccount(flags.gcp_credentials_file));
  if (!flags.gcp_iam_credentials_endpoint.empty()) {
    gcp.iam_credentials_endpoint = flags.gcp_iam_credentials_endpoint;
  }
  if (!flags.gcs_endpoint.empty()) gcp.storage_endpoint = flags.gcs_endpoint;
  gcp.user_agent = user_agent;
  return gcp;
}

// --retry_delays as durations; each must be one and not negative.
absl::StatusOr<std::vector<absl::Duration>> ParseRetryDelays(
    const std::vector<std::string>& texts) {
  std::vector<absl::Duration> delays;
  for (const std::string& text : texts) {
    absl::Duration delay;
    if (!absl::ParseDuration(text, &delay) || delay < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--retry_delays: '", text, "' is not a duration such as 30s, 5m or 1h"));
    }
    delays.push_back(delay);
  }
  return delays;
}

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

// With the default principals: the cluster WEBHOOK channel on, set by the admin, so a fresh
// webhookd can take a webhook at once.
absl::Status ConfigureDefaultChannels(const Authenticator& authenticator,
                                      const std::string& admin_token, WebhookEngine& engine) {
  ASSIGN_OR_RETURN(const Principal admin, authenticator.Authenticate(admin_token));
  return engine.ConfigureChannelPreferences(admin, DefaultChannelPreferences());
}

// The listeners' options: addresses, REST limits and, with --tls_cert and --tls_key, the
// certificate chain and key read from their files.
absl::StatusOr<WebhookServerOptions> ServerOptions(const Flags& flags) {
  WebhookServerOptions options;
  options.grpc_listen = flags.grpc_listen;
  options.http.listen = flags.http_listen;
  options.http.max_body_bytes = static_cast<size_t>(flags.max_body_bytes);
  options.http.max_header_bytes = static_cast<size_t>(flags.max_header_bytes);
  options.http.max_header_count = static_cast<size_t>(flags.max_header_count);
  options.http.read_timeout = flags.read_timeout;
  options.http.header_timeout = flags.header_timeout;
  if (flags.max_connections < 1 || flags.max_connections_per_client < 1) {
    return absl::InvalidArgumentError(
        "--max_connections and --max_connections_per_client must be at least 1");
  }
  options.http.max_connections = static_cast<size_t>(flags.max_connections);
  options.http.max_connections_per_client = static_cast<size_t>(flags.max_connections_per_client);
  options.http.threads = flags.http_threads;
  options.http.handler_threads = flags.http_handler_threads;
  if (flags.http_max_queued_requests < 0) {
    return absl::InvalidArgumentError("--http_max_queued_requests must not be negative");
  }
  options.http.max_queued_requests = static_cast<size_t>(flags.http_max_queued_requests);
  options.gateway.max_body_bytes = options.http.max_body_bytes;
  options.grpc_reflection = flags.grpc_reflection;
  options.max_concurrent_validations = flags.max_concurrent_validations;
  if (flags.rate_limit_per_second < 0 || flags.rate_limit_burst < 1) {
    return absl::InvalidArgumentError(
        "--rate_limit_per_second must not be negative and --rate_limit_burst must be at least 1");
  }
  if (flags.rate_limit_per_second > 0) {
    options.rate_limit = RateLimit{flags.rate_limit_per_second, flags.rate_limit_burst};
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!flags.tls_cert.empty()) {
    ASSIGN_OR_RETURN(options.tls_cert_chain_pem, ReadFile("tls_cert", flags.tls_cert));
    ASSIGN_OR_RETURN(options.tls_private_key_pem, ReadFile("tls_key", flags.tls_key));
  }
  return options;
}

// SIGINT and SIGTERM, blocked in the calling thread and so in every thread it starts later
// (each inherits the mask): Webhookd::ServeUntilSignal takes them with sigwait. Call it
// before any thread starts.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// A started webhookd: the engine, what it delivers through, and the listeners. The members
// are in the order Start builds them, so they are destroyed in reverse: the server first.
class Webhookd {
 public:
  // Builds everything `flags` describe and starts the listeners, logging what an operator
  // needs to know on the way (where state is kept, where a generated admin token was written,
  // the ports), never a secret. On error, what was built is torn down again, and the
  // message is what webhookd logs after "cannot start: ".
  static absl::StatusOr<std::unique_ptr<Webhookd>> Start(const Flags& flags);

  Webhookd(const Webhookd&) = delete;
  Webhookd& operator=(const Webhookd&) = delete;

  // Logs "ready" and serves until SIGINT or SIGTERM (`signals`, blocked by
  // BlockShutdownSignals); then requests in progress finish and the listeners close.
  void ServeUntilSignal(const sigset_t& signals);

 private:
  Webhookd() = default;

  // The delivery side of `delivery`: libcurl, the storage destinations and the delivery flags.
  absl::Status SetUpDelivery(const Flags& flags, DeliveryOptions& delivery);
  // AWS_S3 and GCP_GCS storage destinations, reached through transport_.
  absl::Status SetUpStorage(const Flags& flags, DeliveryOptions& delivery);
  void LogListeners(bool tls) const;

  std::unique_ptr<StaticOrgDirectory> orgs_;
  std::unique_ptr<StaticAuthenticator> authenticator_;
  std::unique_ptr<StateStore> store_;  // Null with --in_memory.
  std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<S3Storage> s3_storage_;
  std::unique_ptr<GcsStorage> gcs_storage_;
  std::unique_ptr<StorageRouter> storage_;
  std::unique_ptr<WebhookEngine> engine_;
  std::unique_ptr<WebhookServer> server_;
};

absl::StatusOr<std::unique_ptr<Webhookd>> Webhookd::Start(const Flags& flags) {
  auto webhookd = absl::WrapUnique(new Webhookd);
  std::string admin_token;  // Set only for the default principals.
  ASSIGN_OR_RETURN(const v1::PrincipalsConfig principals, LoadPrincipals(flags, &admin_token));
  ASSIGN_OR_RETURN(StaticOrgDirectory orgs,
                   StaticOrgDirectory::Create(
                       std::vector<v1::Org>(principals.orgs().begin(), principals.orgs().end())));
  webhookd->orgs_ = std::make_unique<StaticOrgDirectory>(std::move(orgs));
  ASSIGN_OR_RETURN(webhookd->authenticator_, StaticAuthenticator::Create(principals));

  EngineOptions engine_options;
  engine_options.orgs = webhookd->orgs_.get();
  ASSIGN_OR_RETURN(webhookd->store_, OpenStateStore(flags));
  engine_options.state_store = webhookd->store_.get();
  RETURN_IF_ERROR(webhookd->SetUpDelivery(flags, engine_options.delivery));
  ASSIGN_OR_RETURN(webhookd->engine_, WebhookEngine::Create(engine_options));
  if (!admin_token.empty()) {
    RETURN_IF_ERROR(
        ConfigureDefaultChannels(*webhookd->authenticator_, admin_token, *webhookd->engine_));
  }

  ASSIGN_OR_RETURN(WebhookServerOptions options, ServerOptions(flags));
  options.state_store = webhookd->store_.get();
  ASSIGN_OR_RETURN(webhookd->server_, WebhookServer::Start(options, webhookd->engine_.get(),
                                                           webhookd->authenticator_.get()));
  webhookd->LogListeners(/*tls=*/!flags.tls_cert.empty());
  return webhookd;
}

absl::Status Webhookd::SetUpDelivery(const Flags& flags, DeliveryOptions& delivery) {
  CurlTransportOptions transport_options;
  transport_options.allow_private_endpoints = flags.allow_private_endpoints;
  for (const std::string& port : flags.allowed_delivery_ports) {
    int number = 0;
    if (!absl::SimpleAtoi(port, &number)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--allowed_delivery_ports: '", port, "' is not a TCP port (1-65535)"));
    }
    transport_options.allowed_ports.push_back(number);
  }
  transport_options.user_agent = delivery.product.user_agent;
  ASSIGN_OR_RETURN(transport_, CurlTransport::Create(transport_options));
  delivery.transport = transport_.get();
  delivery.on_failed_attempt = [](const DeliveryOptions::FailedAttempt& attempt) {
    LogContext context;
    context.org = attempt.org_id;
    context.webhook_id = attempt.webhook_id;
    context.job_id = attempt.job_id;
    LogWarning(absl::StrCat("delivery attempt ", attempt.try_count,
                            attempt.final ? " failed for good: " : " failed, to be tried again: ",
                            attempt.detail),
               context);
  };
  RETURN_IF_ERROR(SetUpStorage(flags, delivery));
  delivery.aws_account_id = flags.aws_account_id;
  delivery.timeout = flags.delivery_timeout;
  delivery.history_retention = flags.history_retention;
  delivery.max_pending_jobs = flags.max_pending_deliveries;
  delivery.max_pending_jobs_per_org = flags.max_pending_deliveries_per_org;
  delivery.max_finished_jobs_per_org = flags.max_history_deliveries_per_org;
  if (flags.max_attempts_in_flight_per_webhook < 0 ||
      flags.max_attempts_per_second_per_webhook < 0) {
    return absl::InvalidArgumentError(
        "--max_attempts_in_flight_per_webhook and --max_attempts_per_second_per_webhook must "
        "not be negative (0: no limit)");
  }
  delivery.max_attempts_in_flight_per_webhook = flags.max_attempts_in_flight_per_webhook;
  delivery.max_attempts_per_second_per_webhook = flags.max_attempts_per_second_per_webhook;
  if (flags.disable_webhook_after_failing_for < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--disable_webhook_after_failing_for must not be negative");
  }
  delivery.disable_after_failing_for = flags.disable_webhook_after_failing_for;
  if (flags.secret_rotation_overlap < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--secret_rotation_overlap must not be negative");
  }
  delivery.secret_rotation_overlap = flags.secret_rotation_overlap;
  ASSIGN_OR_RETURN(delivery.retry_delays, ParseRetryDelays(flags.retry_delays));
  delivery.product.application_url = flags.application_url;
  delivery.product.instance_id = flags.instance_id.empty() ? HostName() : flags.instance_id;
  if (flags.allow_private_endpoints) {
    Log("--allow_private_endpoints: deliveries may reach loopback and private addresses");
  }
  if (!transport_options.allowed_ports.empty()) {
    Log(absl::StrCat("--allowed_delivery_ports: deliveries may connect only to ports ",
                     absl::StrJoin(transport_options.allowed_ports, ", ")));
  }
  return absl::OkStatus();
}

absl::Status Webhookd::SetUpStorage(const Flags& flags, DeliveryOptions& delivery) {
  const std::string& user_agent = delivery.product.user_agent;
  ASSIGN_OR_RETURN(AwsOptions aws, AwsOptionsFrom(flags, user_agent));
  s3_storage_ = std::make_unique<S3Storage>(std::move(aws), *transport_, *SystemClock());
  ASSIGN_OR_RETURN(GcpOptions gcp, GcpOptionsFrom(flags, user_agent));
  delivery.gcp_service_account_email = gcp.client_email;
  gcs_storage_ = std::make_unique<GcsStorage>(std::move(gcp), *transport_, *SystemClock());
  storage_ = std::make_unique<StorageRouter>(s3_storage_.get(), gcs_storage_.get());
  delivery.storage = storage_.get();
  return absl::OkStatus();
}

void Webhookd::LogListeners(bool tls) const {
  const char* tls_note = tls ? " (TLS)" : "";
  if (server_->grpc_port() != 0) {
    Log(absl::StrCat("gRPC listening on port ", server_->grpc_port(), tls_note));
  }
  if (server_->http_port() != 0) {
    Log(absl::StrCat("HTTP listening on port ", server_->http_port(), tls_note));
  }
}

void Webhookd::ServeUntilSignal(const sigset_t& signals) {
  Log("ready");
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  Log(absl::StrCat("signal ", signal_number, ": shutting down"));
  server_->Shutdown();
  Log("stopped");
}

}  // namespace
}  // namespace webhooks

int main(int argc, char** argv) {
  webhooks::TuneAllocator();
  webhooks::SkipMutexDeadlockDetection();
  const webhooks::Flags flags = webhooks::ParseFlags(argc, argv);
  const absl::StatusOr<webhooks::LogFormat> log_format = webhooks::ParseLogFormat(flags.log_format);
  if (!log_format.ok()) {
    webhooks::LogError(log_format.status().message());
    return 2;
  }
  webhooks::SetLogFormat(*log_format);
  if (!flags.import_data_dir.empty()) {
    const absl::Status imported = webhooks::ImportJournal(flags);
    if (!imported.ok()) webhooks::LogError(absl::StrCat("cannot import: ", imported.message()));
    return imported.ok() ? 0 : 1;
  }
  const sigset_t signals = webhooks::BlockShutdownSignals();  // Before any thread starts.
  absl::StatusOr<std::unique_ptr<webhooks::Webhookd>> webhookd = webhooks::Webhookd::Start(flags);
  if (!webhookd.ok()) {
    webhooks::LogError(absl::StrCat("cannot start: ", webhookd.status().message()));
    return 1;
  }
  (*webhookd)->ServeUntilSignal(signals);
  return 0;
}
