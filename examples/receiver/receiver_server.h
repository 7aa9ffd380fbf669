// The example receiver's server: checks both signatures webhookd sends (the hex HMAC header and
// the Standard Webhooks headers) with the library's VerifySignature, then writes the payload
// and every file of each event into <out_dir>/<webhook-id>/.
//
//   webhooks::receiver::ReceiverOptions options;
//   options.verify.secrets = {secret};
//   options.verify.signature_header = "X-Webhook-Signature";
//   options.out_dir = "/tmp/received";
//   absl::StatusOr<std::unique_ptr<ReceiverServer>> server =
//       ReceiverServer::Start("127.0.0.1", 8090, options);
//   (*server)->Wait();
//
// Answers 200 once every part is on disk, 401 when a signature check fails, 400 for a body it
// cannot read, and 500 when it could not store what it received (the output directory cannot
// be created or written), so webhookd delivers the event again later. Bodies are JSON:
// {"status":"ok"|"error","message":"..."}.
//
// Serves many connections at once. A client has `read_timeout` to send each whole request,
// counted from when the server starts waiting for it, so a connection that stays idle that
// long between requests, or sends a request too slowly, is closed without an answer; writing
// each answer has the same limit. An example, not a hardened production server.
#ifndef WEBHOOKS_EXAMPLES_RECEIVER_RECEIVER_SERVER_H_
#define WEBHOOKS_EXAMPLES_RECEIVER_RECEIVER_SERVER_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/delivery/signing.h"
#include "examples/receiver/multipart.h"

namespace webhooks {
namespace receiver {

struct ReceiverOptions {
  VerifyOptions verify;  // verify.secrets must hold at least one secret.
  // Each event goes to <out_dir>/<webhook-id>/ (the id reduced to safe characters).
  std::filesystem::path out_dir = "received";
  // How long a client may take to send each request (and to take each answer); positive.
  absl::Duration read_timeout = absl::Seconds(30);
  // Longer request bodies close the connection without an answer.
  size_t max_body = 64 * 1024 * 1024;
  // Threads that serve connections; at least 1.
  int threads = 2;
  // Reads the time that webhook-timestamp is checked against. Not owned; must outlive the
  // server.
  const Clock* clock = SystemClock();
};

// What the server answers to one request.
struct Answer {
  int status = 200;
  std::string message;
};

// Writes `parts` into `folder` (created with its parents if missing): the part named
// "payload" as payload.json, every other under its file name reduced to safe characters.
// Returns kInternal naming the file or folder when one cannot be created or written; some
// files may then be written already.
absl::Status StoreParts(const std::filesystem::path& folder, const std::vector<FormPart>& parts);

// Checks and stores one delivery (the request's headers, any case, and its body).
// Thread-safe.
Answer HandleDelivery(const ReceiverOptions& options,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      absl::string_view body);

// Serves connections on its own threads. Call Start, Wait and the destructor from one thread
// that is not one of them.
class ReceiverServer {
 public:
  // Listens on `host` (an IP address literal) at `port` (0: one the kernel chooses) and starts
  // serving. kInvalidArgument for invalid options or host; kUnavailable if the socket cannot
  // be bound or listened on.
  static absl::StatusOr<std::unique_ptr<ReceiverServer>> Start(absl::string_view host, int port,
                                                               ReceiverOptions options);

  // Stops serving: closes the listening socket and every connection, and joins the threads.
  ~ReceiverServer();

  ReceiverServer(const ReceiverServer&) = delete;
  ReceiverServer& operator=(const ReceiverServer&) = delete;

  int port() const { return port_; }

  // Blocks for as long as the server serves, which is until the process ends: for main().
  void Wait();

 private:
  struct Io;  // The Asio state; keeps Boost out of this header.

  explicit ReceiverServer(ReceiverOptions options);

  // Waits for the next connection.
  void Accept();

  const ReceiverOptions options_;  // Declared first: connections refer to it until the end.
  std::unique_ptr<Io> io_;
  int port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace receiver
}  // namespace webhooks

#endif  // WEBHOOKS_EXAMPLES_RECEIVER_RECEIVER_SERVER_H_
