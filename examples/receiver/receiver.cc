// An example webhook receiver: checks both signatures webhookd sends (the hex HMAC header and
// the Standard Webhooks headers) with the library's VerifySignature, then writes the payload
// and every file of each event into --out_dir/<eventId>/ (see receiver_server.h).
//
//   WEBHOOK_SECRET=... bazel run //examples/receiver -- --listen=127.0.0.1:8090
//       --signature_header=X-Webhook-Signature --out_dir=/tmp/received   (one line)
//
// Answers 200 when the delivery is stored, 401 when a signature check fails, 400 for a body
// it cannot read and 500 when it cannot store it. Serves several connections at once and
// closes those that send nothing, or too little, for --read_timeout.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "examples/receiver/receiver_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8090", "Address and port to listen on (port 0: any).");
ABSL_FLAG(std::string, signature_header, "X-Webhook-Signature",
          "The webhook's signature_verification.header; empty checks only the Standard "
          "Webhooks headers.");
ABSL_FLAG(std::string, out_dir, "received", "Where each event's payload and files go.");
ABSL_FLAG(absl::Duration, read_timeout, absl::Seconds(30),
          "How long a client may take to send each request; idle and slow connections are "
          "closed after it.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  webhooks::receiver::ReceiverOptions options;
  const char* secret = std::getenv("WEBHOOK_SECRET");
  if (secret == nullptr || *secret == '\0') {
    std::cerr << "set WEBHOOK_SECRET to the webhook's signing secret\n";
    return 2;
  }
  options.verify.secrets = {secret};
  // While the secret is rotated, the other one (old or new): deliveries signed with either pass,
  // whichever side switches first.
  if (const char* previous = std::getenv("WEBHOOK_PREVIOUS_SECRET");
      previous != nullptr && *previous != '\0') {
    options.verify.secrets.push_back(previous);
  }
  options.verify.signature_header = absl::GetFlag(FLAGS_signature_header);
  options.out_dir = absl::GetFlag(FLAGS_out_dir);
  options.read_timeout = absl::GetFlag(FLAGS_read_timeout);

  // HOST:PORT; the host may be an IPv6 literal ("::1:8090" is "::1", port 8090).
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    std::cerr << "--listen must be HOST:PORT\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<webhooks::receiver::ReceiverServer>> server =
      webhooks::receiver::ReceiverServer::Start(listen.substr(0, colon), port, std::move(options));
  if (!server.ok()) {
    std::cerr << server.status().message() << "\n";
    return 2;
  }
  std::cout << "listening on " << listen.substr(0, colon) << ":" << (*server)->port() << std::endl;
  (*server)->Wait();
  return 0;
}
