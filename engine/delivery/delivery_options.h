// DeliveryOptions: how the engine delivers LIVEBOARD_SCHEDULE events to webhooks.
#ifndef WEBHOOKS_ENGINE_DELIVERY_DELIVERY_OPTIONS_H_
#define WEBHOOKS_ENGINE_DELIVERY_DELIVERY_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/cloud_storage/object_storage.h"
#include "engine/http/http_transport.h"

namespace webhooks {

// Who sends the events: the payload's `source` and the User-Agent header.
struct ProductInfo {
  std::string application_name = "ThoughtSpot";  // What ThoughtSpot's receivers expect.
  std::string application_url;
  std::string instance_id;
  std::string user_agent = "webhookd/1.0 (Liveboard schedule webhooks)";
};

struct DeliveryOptions {
  // Sends deliveries, OAuth2 token requests and validations. Not owned; must outlive the
  // engine. Null: publishing and validation answer kFailedPrecondition.
  HttpTransport* transport = nullptr;

  // The wait before each retry: entry i follows failed attempt i + 1, so a delivery is tried
  // at most retry_delays.size() + 1 times (by default 7 times over about 7.5 hours, well
  // inside the 3 days of history).
  std::vector<absl::Duration> retry_delays = {absl::Minutes(1), absl::Minutes(5), absl::Minutes(15),
                                              absl::Hours(1),   absl::Hours(2),   absl::Hours(4)};
  // Each wait is scaled by a random factor in [1 - jitter, 1 + jitter].
  double jitter = 0.2;
  // A Retry-After of a 429 or 503 is honoured up to this long.
  absl::Duration max_retry_after = absl::Hours(1);
  // A receiver must answer 2xx within this long (ThoughtSpot: 5 seconds).
  absl::Duration timeout = absl::Seconds(5);
  // How long delivery records stay searchable (ThoughtSpot: 3 days).
  absl::Duration history_retention = absl::Hours(72);
  // Deliveries not yet finished; one more is refused with kResourceExhausted.
  int max_pending_jobs = 10000;
  // Deliveries not yet finished of one org (its share of max_pending_jobs); one more of that
  // org is refused with kResourceExhausted, so one org cannot fill the queue for all. 0: an
  // even share, max_pending_jobs divided by the number of orgs in the OrgDirectory (at least 1;
  // a single org may use the whole queue).
  int max_pending_jobs_per_org = 0;
  // Finished deliveries of one org kept in the history; beyond this its oldest are forgotten
  // before history_retention ends, so that no org's deliveries grow memory without bound.
  int max_finished_jobs_per_org = 100000;
  // Bytes of FAILED deliveries' content (multipart bodies, or payloads and files still to
  // upload) kept so that they can be redelivered (WebhookEngine::RedeliverJob). Beyond this the
  // oldest failed deliveries' content is dropped; they stay in the history but can no longer be
  // redelivered. 0: none is kept.
  int64_t max_failed_content_bytes = 256 << 20;
  // Attempts handed to the transport at once; due deliveries beyond this wait their turn
  // (thousands of simultaneous transfers cost the transport more than they gain).
  int max_concurrent_attempts = 64;
  // Attempts to one webhook in flight at once; its further due deliveries wait for one of them
  // to end without holding up other webhooks'. A validation counts toward it but is never
  // refused. Per engine (each replica applies it). 0: no limit.
  int max_attempts_in_flight_per_webhook = 8;
  // Attempts to one webhook started per second: a token bucket of this many tokens refilled at
  // this many a second on the engine's clock, so a burst of this many may start at once, then
  // one every 1/rate; a delivery without a token waits for its own. A validation takes a token
  // but is never refused. Per engine (each replica applies it). 0: no limit.
  int max_attempts_per_second_per_webhook = 50;
  // The circuit breaker (Svix: 5 days). A webhook's run of failures starts with the first
  // attempt after its last success that does not succeed (RETRY or FAILED). The first failed
  // attempt that starts this long after the run began fails its job for good, with
  // "; webhook disabled: every delivery failed for <this>" after its detail, and the engine
  // commits the webhook's status DISABLED, until an administrator enables it again. Runs are
  // kept in memory: after a restart they start afresh. Zero: never.
  absl::Duration disable_after_failing_for = absl::Hours(24 * 5);
  // How long the signing secret that an update replaced stays valid (Svix: 24 hours): until
  // then every delivery's webhook-signature carries a signature with the new secret, then one
  // with the old, so receivers may switch when they can (the configured hex header is signed
  // with the new secret only). Zero: the old secret stops at once.
  absl::Duration secret_rotation_overlap = absl::Hours(24);
  // Told of each delivery attempt that did not succeed (its job is to be tried again, or
  // failed for good), on any thread, without the engine's locks: for the host's log. `detail`
  // is the job's history detail without the receiver's body ("HTTP 503", or why no answer
  // came), which never holds a body, a header value or a secret. Null: nobody is told.
  struct FailedAttempt {
    std::string org_id;
    std::string webhook_id;
    std::string job_id;
    int try_count = 0;
    bool final = false;  // FAILED for good, else RETRY.
    std::string detail;
  };
  std::function<void(const FailedAttempt&)> on_failed_attempt;
  // Stores the report files of webhooks that have a storage destination. Not owned; must
  // outlive the engine. Null: their deliveries fail, saying that this server stores no files.
  ObjectStorage* storage = nullptr;
  // This server's AWS account, which customers' roles trust (GET /webhooks/storage-config).
  // Empty: not configured, answered as null.
  std::string aws_account_id;
  // The server key from which each org's AWS external ID is derived (OrgExternalId in
  // engine/cloud_storage/storage_setup.h). Keep it secret and stable: customers put the derived
  // IDs in their roles' trust policies. Empty: the engine generates 32 random bytes on its first
  // start and keeps them in its state store, so they last as long as the state does.
  std::string storage_identity_key;
  // This server's GCP service account, which customers let impersonate theirs for GCP_GCS
  // destinations. Empty: storage-config does not offer GCS.
  std::string gcp_service_account_email;
  // Bytes of all files of one event (ThoughtSpot: 25 MB).
  int64_t max_event_file_bytes = 25 * 1000 * 1000;
  ProductInfo product;
  // True: a thread of the engine's sends deliveries when they fall due, and on a shared state
  // store another follows the other replicas (reads what they write as they write it, and
  // renews this engine's delivery leases). False: the host (or a test) calls
  // WebhookEngine::RunDueDeliveries() itself, and the engine reads the others' changes only
  // when it is called.
  bool run_dispatcher = true;
};

// What the deliveries are doing (WebhookEngine::GetDeliveryStats), for metrics.
struct DeliveryStats {
  int64_t pending = 0;    // Unfinished deliveries (PENDING or RETRY), waiting or in flight.
  int64_t in_flight = 0;  // Attempts under way.
  // Attempts since the engine started, by outcome: delivered, to be tried again, failed for good.
  uint64_t attempts_succeeded = 0;
  uint64_t attempts_retried = 0;
  uint64_t attempts_failed = 0;
  // Due deliveries put off since the engine started, by the per-webhook limit that held them:
  // max_attempts_in_flight_per_webhook, max_attempts_per_second_per_webhook.
  uint64_t deferred_in_flight_limit = 0;
  uint64_t deferred_rate_limit = 0;
  // Webhooks disabled since the engine started because every delivery failed for
  // DeliveryOptions::disable_after_failing_for.
  uint64_t webhooks_disabled_by_breaker = 0;
  // How long ago the oldest unfinished delivery was published; 0 when there is none.
  absl::Duration oldest_pending_age;
  // How long attempts took, from the start of the attempt (after its lease) to its outcome: a
  // count per bucket of kAttemptSecondsBounds (an attempt of d seconds counts in the first
  // bucket whose bound is >= d; longer ones in none), and the sum of all.
  static constexpr double kAttemptSecondsBounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,    2.5,   5,    10,  30};
  uint64_t attempt_seconds_buckets[std::size(kAttemptSecondsBounds)] = {};
  double attempt_seconds_sum = 0;
  // Report files stored in storage destinations since the engine started (deliveries and
  // validations), by provider and outcome; a file whose upload could not start (no credentials
  // for the destination) counts as failed, one on a server without object storage not at all.
  struct Uploads {
    uint64_t succeeded = 0;
    uint64_t failed = 0;
  };
  Uploads aws_s3_uploads;
  Uploads gcp_gcs_uploads;
  // Requests to webhooks' OAuth2 token endpoints since the engine started, by outcome (an
  // access token, or none); tokens reused from the cache are not counted.
  uint64_t oauth2_fetches_succeeded = 0;
  uint64_t oauth2_fetches_failed = 0;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_DELIVERY_DELIVERY_OPTIONS_H_
