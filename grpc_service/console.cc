#include "grpc_service/console.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "console/assets.h"

namespace webhooks {
namespace {

constexpr absl::string_view kPrefix = "/console";

absl::string_view ContentType(absl::string_view path) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "application/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (absl::EndsWith(path, suffix)) return type;
  }
  return "application/octet-stream";
}

const ConsoleAsset* FindAsset(absl::string_view path) {
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (path == asset.path) return &asset;
  }
  return nullptr;
}

RestResponse WithHeaders(int status, absl::string_view content_type, std::string body) {
  RestResponse response;
  response.status = status;
  response.headers = {
      {"Content-Type", std::string(content_type)},
      // Revalidated on every load, so a new webhookd's console is never mixed with an old one's.
      {"Cache-Control", "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy", std::string(kConsoleContentSecurityPolicy)},
      {"Referrer-Policy", "no-referrer"},
  };
  response.body = std::move(body);
  return response;
}

}  // namespace

std::optional<RestResponse> ServeConsole(const RestRequest& request) {
  const absl::string_view path =
      absl::string_view(request.target).substr(0, request.target.find('?'));
  if (!absl::StartsWith(path, kPrefix)) return std::nullopt;
  absl::string_view file = path.substr(kPrefix.size());
  if (!file.empty() && file.front() != '/') return std::nullopt;  // e.g. /consoles
  if (request.method != "GET") {
    RestResponse response = WithHeaders(405, "text/plain; charset=utf-8", "Method not allowed\n");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  absl::ConsumePrefix(&file, "/");
  if (file.empty()) file = "index.html";
  const ConsoleAsset* asset = FindAsset(file);
  if (asset == nullptr) return WithHeaders(404, "text/plain; charset=utf-8", "Not found\n");
  return WithHeaders(200, ContentType(file), std::string(asset->contents()));
}

}  // namespace webhooks
