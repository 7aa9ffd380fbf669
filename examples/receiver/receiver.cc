// An example webhook receiver: checks both signatures webhookd sends (the hex HMAC header and
// the Standard Webhooks headers) with the library's VerifySignature, then writes the payload
// and every file of each event into --out_dir/<eventId>/.
//
//   WEBHOOK_SECRET=... bazel run //examples/receiver -- --listen=127.0.0.1:8090 \
//       --signature_header=X-Webhook-Signature --out_dir=/tmp/received
//
// Answers 200 when the delivery is stored, 401 when a signature check fails, 400 for a body
// it cannot read. One connection at a time: an example, not a production server.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "engine/delivery/signing.h"
#include "examples/receiver/multipart.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8090", "Address and port to listen on (port 0: any).");
ABSL_FLAG(std::string, signature_header, "X-Webhook-Signature",
          "The webhook's signature_verification.header; empty checks only the Standard "
          "Webhooks headers.");
ABSL_FLAG(std::string, out_dir, "received", "Where each event's payload and files go.");

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// A path component made of the name's safe characters only.
std::string SafeName(absl::string_view name) {
  std::string safe;
  for (const char c : name)
    safe.push_back(
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_');
  return safe.empty() || safe == "." || safe == ".." ? "unnamed" : safe;
}

http::response<http::string_body> Answer(const http::request<http::string_body>& request,
                                         http::status status, std::string message) {
  http::response<http::string_body> response(status, request.version());
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = absl::StrCat(R"({"status":")", status == http::status::ok ? "ok" : "error",
                                 R"(","message":")", message, R"("})");
  response.prepare_payload();
  return response;
}

http::response<http::string_body> Handle(const http::request<http::string_body>& request,
                                         const webhooks::VerifyOptions& verify) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& field : request) {
    headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const absl::Status verified =
      webhooks::VerifySignature(verify, headers, request.body(), absl::Now());
  if (!verified.ok()) {
    std::cerr << "refused: " << verified.message() << "\n";
    return Answer(request, http::status::unauthorized, std::string(verified.message()));
  }
  const auto boundary =
      webhooks::receiver::BoundaryOf(std::string(request[http::field::content_type]));
  if (!boundary.ok()) return Answer(request, http::status::bad_request, "not multipart");
  const auto parts = webhooks::receiver::ParseMultipart(request.body(), *boundary);
  if (!parts.ok()) return Answer(request, http::status::bad_request, "unreadable body");

  std::string event_id = "unknown-event";
  for (const auto& [name, value] : headers) {
    if (absl::EqualsIgnoreCase(name, "webhook-id")) event_id = value;
  }
  const std::filesystem::path folder =
      std::filesystem::path(absl::GetFlag(FLAGS_out_dir)) / SafeName(event_id);
  std::filesystem::create_directories(folder);
  for (const auto& part : *parts) {
    const std::string file = part.name == "payload" ? "payload.json" : SafeName(part.filename);
    std::ofstream(folder / file, std::ios::binary) << part.content;
    std::cout << "stored " << (folder / file).string() << " (" << part.content.size() << " bytes)"
              << std::endl;
  }
  return Answer(request, http::status::ok, "stored");
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  webhooks::VerifyOptions verify;
  const char* secret = std::getenv("WEBHOOK_SECRET");
  if (secret == nullptr || *secret == '\0') {
    std::cerr << "set WEBHOOK_SECRET to the webhook's signing secret\n";
    return 2;
  }
  verify.secret = secret;
  verify.signature_header = absl::GetFlag(FLAGS_signature_header);

  const std::vector<std::string> listen = absl::StrSplit(absl::GetFlag(FLAGS_listen), ':');
  if (listen.size() != 2) {
    std::cerr << "--listen must be HOST:PORT\n";
    return 2;
  }
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address(listen[0]),
                                           static_cast<unsigned short>(std::stoi(listen[1]))));
  std::cout << "listening on " << acceptor.local_endpoint() << std::endl;
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      beast::error_code error;
      http::read(socket, buffer, parser, error);
      if (error) break;
      auto response = Handle(parser.get(), verify);
      http::write(socket, response, error);
      if (error || !response.keep_alive()) break;
    }
  }
}
