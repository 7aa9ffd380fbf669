// Webhooks from requests: a new webhook from a create request, and an update merged into a
// stored webhook. Neither validates the result (ValidateWebhook does) nor sets ids, orgs,
// times or authors (the engine does).
#ifndef WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_UPDATE_H_
#define WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_UPDATE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "proto/state.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// The configuration a create request gives, field for field. url_params values may be
// strings, numbers or booleans (numbers and booleans become their JSON text: 5, 1.5, true); an
// `authentication` whose keys are all null (`{"BEARER_TOKEN": null}`) is no authentication.
// kInvalidArgument for a url_params value that is an object, a list or null.
absl::StatusOr<v1::Webhook> WebhookFromRequest(const v1::CreateWebhookRequest& request);

// `stored` with `request` applied: first the configurations named in reset_options are
// removed, then every field the request gives replaces the stored one (url_params: {} and
// additional_headers: [] clear them, and so does an authentication whose keys are all null).
// A secret given as "***" keeps the stored secret of the
// same configuration, except that an OAuth2 client secret is kept only while authorization_url
// and client_id stay the same. kInvalidArgument for "***" as the client secret of a changed
// authorization_url or client_id, an unknown reset option, a reset option whose
// configuration the same request sets, a url_params value that is an object, a list or null
// (others as on create), or a header that is not a string.
absl::StatusOr<v1::Webhook> ApplyUpdate(const v1::Webhook& stored,
                                        const v1::UpdateWebhookRequest& request);

// The change that disables `stored` because every delivery to it failed for
// DeliveryOptions::disable_after_failing_for: its status DISABLED, modified at `now_millis`,
// last_modified_by unset (no user made the change). kNotFound if `stored` is null (deleted),
// kFailedPrecondition if it is disabled already.
absl::StatusOr<state::StateBatch> DisableFailingWebhook(const v1::Webhook* stored,
                                                        int64_t now_millis);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_UPDATE_H_
