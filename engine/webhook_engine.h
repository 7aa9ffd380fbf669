// WebhookEngine: manages Liveboard-schedule webhooks and communication-channel preferences with
// the semantics of ThoughtSpot's REST API v2.0 webhook feature.
//
//   webhooks::EngineOptions options;
//   options.orgs = &org_directory;  // The host's orgs.
//   auto engine = webhooks::WebhookEngine::Create(options);
//   if (!engine.ok()) return engine.status();
//   absl::StatusOr<v1::Webhook> created = (*engine)->CreateWebhook(caller, request);
//
// Every method is thread-safe. Every webhook a method returns carries its secrets (bearer
// token, API key value, basic-auth password, OAuth2 client secret, signing secret) only as the
// literal "***". A webhook of an org that `caller` cannot act on is reported as not found.
//
// Privileges: webhook methods need ADMINISTRATION or DEVELOPER, or CAN_MANAGE_WEBHOOKS when
// `caller.rbac_enabled`; preference methods need ADMINISTRATION or DEVELOPER, or
// APPLICATION_ADMINISTRATION with RBAC, and a cluster administrator (ADMINISTRATION and
// `caller.can_act_across_orgs`) for cluster-level preferences.
// Lacking them gives kPermissionDenied. Bad requests give kInvalidArgument naming the field.
#ifndef WEBHOOKS_ENGINE_WEBHOOK_ENGINE_H_
#define WEBHOOKS_ENGINE_WEBHOOK_ENGINE_H_

#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/base/clock.h"
#include "engine/base/id_generator.h"
#include "engine/delivery/delivery_options.h"
#include "engine/limits.h"
#include "engine/org_directory.h"
#include "engine/persistence/state_store.h"
#include "engine/principal.h"
#include "proto/delivery.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {

struct EngineOptions {
  // The orgs callers act in. Required; not owned; must outlive the engine.
  const OrgDirectory* orgs = nullptr;
  // Source of creation and modification times. Not owned; null means SystemClock().
  const Clock* clock = nullptr;
  // Source of new webhook ids. Not owned; null means RandomUuidGenerator().
  IdGenerator* ids = nullptr;
  // Where changes are recorded; Create() replays it first. Not owned; must outlive the
  // engine. Null: nothing outlives the engine (a NullStateStore).
  StateStore* state_store = nullptr;
  EngineLimits limits;
  DeliveryOptions delivery;
};

class WebhookEngine {
 public:
  // Replays `options.state_store`. kInvalidArgument if `options.orgs` is null or a limit is not
  // positive; the store's error if it cannot be replayed.
  static absl::StatusOr<std::unique_ptr<WebhookEngine>> Create(const EngineOptions& options);

  virtual ~WebhookEngine() = default;

  // Creates a webhook in `caller.org`, with a new id, creation == modification time = now,
  // created_by = caller and no last_modified_by. Returns kInvalidArgument for a bad field,
  // kFailedPrecondition if the org's effective WEBHOOK channel preference for
  // LIVEBOARD_SCHEDULE is off (an org preference overrides the cluster one), and
  // kAlreadyExists if the org already has its one LIVEBOARD_SCHEDULE webhook. An AWS_S3
  // destination gets the org's external ID (see GetStorageConfig) when it gives none; any
  // other is kInvalidArgument (also in UpdateWebhook).
  virtual absl::StatusOr<v1::Webhook> CreateWebhook(const Principal& caller,
                                                    const v1::CreateWebhookRequest& request) = 0;

  // Returns one page of the webhooks `caller` may see: its own org's, or every org's for a
  // caller who may act across orgs, narrowed by the request's filters, ordered by
  // `sort_options` (default CREATED, DESC; ties broken by id). has_more says whether records
  // follow the page. kInvalidArgument for a negative record_offset, a record_size below 1, or
  // an org_identifier that names no org the caller may act on. A record_size above
  // EngineLimits::max_record_size is served as that maximum.
  virtual absl::StatusOr<v1::SearchWebhooksResponse> SearchWebhooks(
      const Principal& caller, const v1::SearchWebhooksRequest& request) = 0;

  // The page SearchWebhooks returns, without building it: calls `visit` with each of its
  // webhooks, redacted, in order, as its serialized bytes (what SerializeAsString gives for it)
  // and as its JSON (what ToJson gives for it), and returns its pagination. `visit` runs while
  // the engine holds its lock for reading, so it must not call the engine; what it is given
  // lives only for the call.
  virtual absl::StatusOr<v1::Pagination> VisitSearchPage(
      const Principal& caller, const v1::SearchWebhooksRequest& request,
      absl::FunctionRef<void(absl::string_view wire, absl::string_view json)> visit) = 0;

  // Changes only the fields given in `request`, after removing the configurations named in
  // `reset_options`; a secret given as "***" keeps the stored one. Sets the modification time
  // and last_modified_by. A new signing secret is a rotation: the old one still signs
  // deliveries, next to it, for DeliveryOptions::secret_rotation_overlap. kNotFound if
  // `webhook_identifier` (id or name) names no webhook the caller may act on; kInvalidArgument
  // for a bad field (nothing changes then).
  virtual absl::Status UpdateWebhook(const Principal& caller,
                                     const v1::UpdateWebhookRequest& request) = 0;

  // Deletes the webhooks named by `request.webhook_identifiers()` (ids or names). A webhook
  // that does not exist, or belongs to an org `caller` cannot act on, is reported in
  // `failed_webhooks`; it is not an error of the call. kInvalidArgument for an empty list.
  virtual absl::StatusOr<v1::DeleteWebhooksResponse> DeleteWebhooks(
      const Principal& caller, const v1::DeleteWebhooksRequest& request) = 0;

  // Sets cluster-level preferences (per event type) and org-level ones (REPLACE the org's
  // channels for the listed event types, or RESET them so the cluster preference applies).
  // All or nothing: kInvalidArgument for a bad entry or an org the caller may not act on
  // changes nothing.
  virtual absl::Status ConfigureChannelPreferences(
      const Principal& caller, const v1::ConfigureChannelPreferencesRequest& request) = 0;

  // Returns the requested preferences. An empty request returns the cluster preferences (for
  // cluster administrators) and every org the caller may act on, orgs without an
  // override listed with empty `preferences`.
  virtual absl::StatusOr<v1::SearchChannelPreferencesResponse> SearchChannelPreferences(
      const Principal& caller, const v1::SearchChannelPreferencesRequest& request) = 0;

  // Publishes one run of a Liveboard schedule (the host's scheduler calls this; it needs
  // ADMINISTRATION). If the org (`org_identifier`, else the caller's) has an enabled webhook and
  // its effective channel preference includes WEBHOOK, records a PENDING delivery job and
  // returns QUEUED with the job id (the payload's eventId) before anything is sent; otherwise
  // returns why nothing was queued. kInvalidArgument for a bad run or files over
  // DeliveryOptions::max_event_file_bytes, kResourceExhausted when the queue is full or the org
  // has its share of it (DeliveryOptions::max_pending_jobs_per_org), kFailedPrecondition when the
  // engine has no transport.
  virtual absl::StatusOr<v1::PublishEventResponse> PublishEvent(
      const Principal& caller, const v1::PublishEventRequest& request) = 0;

  // Delivery records the caller may see, newest first, with ThoughtSpot's rules for
  // channel_type WEBHOOK: `job_ids` (at most one) alone, or exactly one channel identifier
  // (webhook id or name) and one event (optionally naming the schedule by id or name), with
  // an optional status and creation-time window. Records older than
  // DeliveryOptions::history_retention are gone. At most EngineLimits::max_history_jobs
  // records are returned: the newest that match.
  virtual absl::StatusOr<v1::SearchChannelHistoryResponse> SearchChannelHistory(
      const Principal& caller, const v1::SearchChannelHistoryRequest& request) = 0;

  // Sends a test event to the webhook now and reports the HTTP check (and the storage check,
  // for a webhook with a storage destination); the attempt is recorded in the history.
  // kNotFound if the channel identifier names no webhook the caller may act on.
  virtual absl::StatusOr<v1::ValidateCommunicationChannelResponse> ValidateCommunicationChannel(
      const Principal& caller, const v1::ValidateCommunicationChannelRequest& request) = 0;

  // How customers let this server write report files to their buckets: one entry per storage
  // provider it supports (AWS_S3), with setup instructions and the trust policy for the
  // customer's IAM role, naming DeliveryOptions::aws_account_id and requiring the external ID
  // this server issues to `caller.org` (derived from DeliveryOptions::storage_identity_key; every
  // AssumeRole for the org's webhooks sends it). Needs the webhook privileges.
  virtual absl::StatusOr<v1::GetStorageConfigResponse> GetStorageConfig(
      const Principal& caller) = 0;

  // Extensions that ThoughtSpot's API lacks: repairing deliveries. Both need the webhook
  // privileges, and the job's webhook must still exist and be ENABLED (else
  // kFailedPrecondition).

  // Sends FAILED job `job_id` again: exactly one more attempt, now, with the same event id,
  // body, Idempotency-Key and webhook-id. Until its outcome the job is PENDING with the detail
  // "redelivery requested by <caller's user name>"; after it, the attempt's detail ends with
  // that note. Returns the job's history record. kNotFound for a job the caller cannot see;
  // kFailedPrecondition for a job that is not FAILED, or whose content is no longer kept
  // (DeliveryOptions::max_failed_content_bytes); kResourceExhausted when the delivery queue,
  // or the org's share of it, is full.
  virtual absl::StatusOr<v1::ChannelHistoryJob> RedeliverJob(
      const Principal& caller, const v1::RedeliverJobRequest& request) = 0;

  // Redelivers, as RedeliverJob does, every FAILED job with its content of one webhook (id or
  // name) created in the request's window, all or none (kResourceExhausted if the queue has no
  // room for all). Returns their records, newest first; none if none matched.
  virtual absl::StatusOr<v1::ReplayFailedJobsResponse> ReplayFailedJobs(
      const Principal& caller, const v1::ReplayFailedJobsRequest& request) = 0;

  // Starts the deliveries that are due (up to DeliveryOptions::max_concurrent_attempts in
  // flight). Only needed with DeliveryOptions::run_dispatcher false (hosts that drive delivery
  // from their own loop, and tests on a fake clock).
  virtual void RunDueDeliveries() = 0;

  // What the deliveries are doing (for metrics); all zero without a transport.
  virtual DeliveryStats GetDeliveryStats() const = 0;
};

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_WEBHOOK_ENGINE_H_
