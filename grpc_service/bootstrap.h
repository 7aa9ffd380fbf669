// What webhookd starts with when it is given no principals file: org "Primary" (id "0"), one
// admin user with ADMINISTRATION there, a token for it, and a cluster-level WEBHOOK channel
// preference for LIVEBOARD_SCHEDULE, so a webhook can be created right away.
//
//   std::string token = NewAdminToken();
//   RETURN_IF_ERROR(WriteSecretFile(path, token + "\n"));
//   v1::PrincipalsConfig config = DefaultPrincipalsConfig(TokenSha256Hex(token));
#ifndef WEBHOOKS_GRPC_SERVICE_BOOTSTRAP_H_
#define WEBHOOKS_GRPC_SERVICE_BOOTSTRAP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/principals.pb.h"
#include "proto/webhook.pb.h"

namespace webhooks {

inline constexpr absl::string_view kDefaultAdminUserId = "admin";
inline constexpr absl::string_view kDefaultAdminUserName = "admin";

// The principals of a fresh webhookd: org {id "0" name "Primary"}, user "admin" with
// ADMINISTRATION in org "0", and one token (stored as `admin_token_sha256`) for it there.
v1::PrincipalsConfig DefaultPrincipalsConfig(absl::string_view admin_token_sha256);

// The cluster-level preference of a fresh webhookd: LIVEBOARD_SCHEDULE -> [WEBHOOK].
v1::ConfigureChannelPreferencesRequest DefaultChannelPreferences();

// 32 random bytes from the system's cryptographic generator, as 64 hex digits.
std::string NewAdminToken();

// Creates `path` with mode 0600 (the file must not exist yet, and no symbolic link is
// followed) and writes `contents`. kAlreadyExists if it exists, kInternal for other errors;
// messages name the path, never the contents.
absl::Status WriteSecretFile(const std::string& path, absl::string_view contents);

// Like WriteSecretFile, at a new path that nobody can guess in advance: `prefix` followed by 16
// hex digits from the system's cryptographic generator (a predictable name, such as one with
// the pid, lets another local user create it first or watch for it). Returns the path.
absl::StatusOr<std::string> WriteSecretFileAtRandomName(const std::string& prefix,
                                                        absl::string_view contents);

// OK if `path` grants nothing to its group or to others (mode & 077 == 0).
// kFailedPrecondition otherwise, naming the path, its mode and the fix; kNotFound if it cannot
// be examined. A file of credentials that others may read or write is refused rather than
// warned about: read access exposes token hashes (weak tokens can be guessed from them) and
// write access lets anyone add an administrator.
absl::Status CheckOwnerOnlyFile(const std::string& path);

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_BOOTSTRAP_H_
