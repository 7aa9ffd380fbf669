// Authenticator: turns the bearer token of a call into the Principal the engine trusts.
//
// StaticAuthenticator reads webhookd's static principals file (a textproto of
// webhooks.v1.PrincipalsConfig, see proto/principals.proto). Tokens are stored only as the hex
// SHA-256 of their text; each is bound to one user and one org context. A user with
// ADMINISTRATION whose token's org is the Primary org ("0") may act across orgs.
//
//   absl::StatusOr<v1::PrincipalsConfig> config = LoadPrincipalsFile("/etc/webhookd/principals");
//   if (!config.ok()) return config.status();  // Names the file, line and column.
//   absl::StatusOr<std::unique_ptr<StaticAuthenticator>> auth =
//   StaticAuthenticator::Create(*config); absl::StatusOr<Principal> caller =
//   (*auth)->Authenticate(token);
#ifndef WEBHOOKS_GRPC_SERVICE_AUTHENTICATOR_H_
#define WEBHOOKS_GRPC_SERVICE_AUTHENTICATOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/principal.h"
#include "proto/principals.pb.h"

namespace webhooks {

// Implementations are thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // The principal that `bearer_token` (the text after "Bearer ") stands for. kUnauthenticated
  // for an empty or unknown token; the message never contains the token.
  virtual absl::StatusOr<Principal> Authenticate(absl::string_view bearer_token) const = 0;
};

// The lower-case hex SHA-256 of `token`: the form the principals file stores.
std::string TokenSha256Hex(absl::string_view token);

// Parses a principals file (textproto of v1::PrincipalsConfig) and checks it as
// ValidatePrincipalsConfig does. kInvalidArgument naming `file_name`, the line and the column
// for a syntax error, an unknown field, or a reference to an unknown user or org;
// kNotFound/kPermissionDenied if the file cannot be read.
absl::StatusOr<v1::PrincipalsConfig> ParsePrincipalsConfig(absl::string_view text,
                                                           absl::string_view file_name);
absl::StatusOr<v1::PrincipalsConfig> LoadPrincipalsFile(const std::string& path);

// kInvalidArgument unless: org ids and names are non-empty and unique; user ids are non-empty
// and unique; every user's org_ids and privileges are known; every token's sha256 is 64 hex
// digits and unique, and its user_id names a user whose org_ids contain its org_id.
absl::Status ValidatePrincipalsConfig(const v1::PrincipalsConfig& config);

class StaticAuthenticator final : public Authenticator {
 public:
  // Validates `config` (see ValidatePrincipalsConfig).
  static absl::StatusOr<std::unique_ptr<StaticAuthenticator>> Create(
      const v1::PrincipalsConfig& config);

  // Hashes `bearer_token` with SHA-256 and looks the digest up.
  absl::StatusOr<Principal> Authenticate(absl::string_view bearer_token) const override;

 private:
  explicit StaticAuthenticator(absl::flat_hash_map<std::string, Principal> by_digest)
      : by_digest_(std::move(by_digest)) {}

  // By the raw 32-byte SHA-256 of each token.
  const absl::flat_hash_map<std::string, Principal> by_digest_;
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_AUTHENTICATOR_H_
