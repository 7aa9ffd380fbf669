// How webhookctl prints responses without --json: short tables and summaries, one PrintHuman
// overload per response message.
#ifndef WEBHOOKS_CLI_HUMAN_OUTPUT_H_
#define WEBHOOKS_CLI_HUMAN_OUTPUT_H_

#include <ostream>

#include "proto/webhook_service.pb.h"

namespace webhooks {
namespace cli {

void PrintHuman(const v1::Webhook& webhook, std::ostream& out);
void PrintHuman(const v1::SearchWebhooksResponse& response, std::ostream& out);
void PrintHuman(const v1::DeleteWebhooksResponse& response, std::ostream& out);
void PrintHuman(const v1::SearchChannelHistoryResponse& response, std::ostream& out);
void PrintHuman(const v1::ChannelHistoryJob& job, std::ostream& out);
void PrintHuman(const v1::ReplayFailedJobsResponse& response, std::ostream& out);
void PrintHuman(const v1::ValidateCommunicationChannelResponse& response, std::ostream& out);
void PrintHuman(const v1::PublishEventResponse& response, std::ostream& out);
void PrintHuman(const v1::SearchChannelPreferencesResponse& response, std::ostream& out);
void PrintHuman(const v1::GetStorageConfigResponse& response, std::ostream& out);

}  // namespace cli
}  // namespace webhooks

#endif  // WEBHOOKS_CLI_HUMAN_OUTPUT_H_
