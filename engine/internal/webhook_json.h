// The JSON of a webhook as ToJson (engine/base/json_codec.h) writes it, through the generated
// accessors instead of reflection: WebhookIndex writes it for every webhook it stores, which
// REST search pages then copy. webhook_json_test checks both give the
// same bytes, and fails when Webhook gains a field this does not write.
#ifndef WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_JSON_H_
#define WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_JSON_H_

#include <string>

#include "proto/webhook.pb.h"

namespace webhooks {
namespace engine_internal {

// Appends ToJson(webhook) to `*out`.
void AppendWebhookJson(const v1::Webhook& webhook, std::string* out);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_INTERNAL_WEBHOOK_JSON_H_
