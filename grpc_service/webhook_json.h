// The JSON of a webhook as ToJson (engine/base/json_codec.h) writes it, through the generated
// accessors instead of reflection: a REST search page writes 50 of them, and reflection was a
// quarter of the server's time there (bench/RESULTS.md). webhook_json_test checks both give the
// same bytes, and fails when Webhook gains a field this does not write.
#ifndef WEBHOOKS_GRPC_SERVICE_WEBHOOK_JSON_H_
#define WEBHOOKS_GRPC_SERVICE_WEBHOOK_JSON_H_

#include <string>

#include "proto/webhook.pb.h"

namespace webhooks {

// Appends ToJson(webhook) to `*out`.
void AppendWebhookJson(const v1::Webhook& webhook, std::string* out);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_WEBHOOK_JSON_H_
