// webhookctl: a command-line client of webhookd over gRPC (webhooks.v1.WebhookService).
// `webhookctl --help` lists the commands; cli/webhookctl_lib.h documents them and the exit codes.
//
//   WEBHOOKD_TOKEN=demo-admin-token webhookctl search --json
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/webhookctl_lib.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  std::map<std::string, std::string> env;
  for (const char* name : {"WEBHOOKD_TARGET", "WEBHOOKD_TOKEN"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return webhooks::cli::RunWebhookctl(args, env, webhooks::cli::NetworkChannelFactory(), std::cout,
                                      std::cerr);
}
