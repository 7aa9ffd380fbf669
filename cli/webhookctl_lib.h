// webhookctl: a command-line client of webhookd's gRPC services (webhooks.v1.WebhookService and
// webhookd's extension webhooks.v1.DeliveryRepairService). RunWebhookctl parses one command line,
// makes the call over a channel the caller supplies and prints the answer, so the whole tool
// runs in tests against an in-process server.
//
//   std::ostringstream out, err;
//   int code = webhooks::cli::RunWebhookctl({"webhookctl", "search", "--json"},
//                                           {{"WEBHOOKD_TOKEN", token}}, factory, out, err);
//
// Usage: webhookctl COMMAND [ARGS] [--flags]. Commands and their RPCs:
//   create                  CreateWebhook          (--name, --url, --event, --description)
//   search                  SearchWebhooks         (--webhook, --org, --event)
//   update IDENTIFIER       UpdateWebhook          (--name, --url, --event, --description)
//   delete IDENTIFIER...    DeleteWebhooks
//   history [IDENTIFIER]    SearchChannelHistory   (events default to LIVEBOARD_SCHEDULE)
//   validate IDENTIFIER     ValidateCommunicationChannel
//   publish                 PublishEvent           (--org)
//   preferences search      SearchChannelPreferences (--org)
//   preferences configure   ConfigureChannelPreferences (--request only)
//   storage-config          GetWebhookStorageConfig
//   redeliver JOB_ID        DeliveryRepairService.RedeliverJob
//   replay IDENTIFIER       DeliveryRepairService.ReplayFailedJobs (the window with --request)
// Every command takes --request='{...}' (the request message as JSON, the REST body where there
// is one) or --request=@FILE; the convenience flags and arguments are applied on top of it.
//
// Exit codes: 0 the call succeeded; 1 the call failed (the gRPC status code and message are
// printed to `err`); 2 bad usage (unknown command or flag, a flag the command does not take, bad
// flag value, bad --request, missing argument, unreadable --ca_file; the usage text or the problem
// is printed to `err`).
//
// The token comes from the environment variable WEBHOOKD_TOKEN and is sent as the metadata
// `authorization: Bearer <token>`; it is never printed.
//
// Not thread-safe: the flags are absl flags; each RunWebhookctl call resets them to their
// defaults before parsing `args`.
#ifndef WEBHOOKS_CLI_WEBHOOKCTL_LIB_H_
#define WEBHOOKS_CLI_WEBHOOKCTL_LIB_H_

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace webhooks {
namespace cli {

// Exit codes of RunWebhookctl.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCallFailed = 1;
inline constexpr int kExitUsage = 2;

// Where and how to connect, from --target (or WEBHOOKD_TARGET), --tls and --ca_file.
struct ConnectionOptions {
  std::string target;
  bool tls = false;
  std::string ca_pem;  // Root certificates for TLS; empty: the system's.
};

// Makes the channel a command calls over. kInvalidArgument for options it cannot use.
using ChannelFactory = std::function<absl::StatusOr<std::shared_ptr<grpc::ChannelInterface>>(
    const ConnectionOptions&)>;

// The factory webhookctl uses: a channel to `target`, insecure or TLS.
ChannelFactory NetworkChannelFactory();

// Runs the command line `args` (args[0] is the program name). `env` holds the environment
// variables webhookctl reads (WEBHOOKD_TARGET, WEBHOOKD_TOKEN). Writes the answer to `out`,
// errors and usage to `err`, and returns the exit code (above).
int RunWebhookctl(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env, const ChannelFactory& channels,
                  std::ostream& out, std::ostream& err);

// The usage text.
std::string Usage();

}  // namespace cli
}  // namespace webhooks

#endif  // WEBHOOKS_CLI_WEBHOOKCTL_LIB_H_
