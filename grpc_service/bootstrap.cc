#include "grpc_service/bootstrap.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace webhooks {

v1::PrincipalsConfig DefaultPrincipalsConfig(absl::string_view admin_token_sha256) {
  v1::PrincipalsConfig config;
  v1::Org* primary = config.add_orgs();
  primary->set_id("0");
  primary->set_name("Primary");
  v1::PrincipalUser* admin = config.add_users();
  admin->set_id(std::string(kDefaultAdminUserId));
  admin->set_name(std::string(kDefaultAdminUserName));
  admin->add_privileges(v1::ADMINISTRATION);
  admin->add_org_ids("0");
  v1::PrincipalToken* token = config.add_tokens();
  token->set_sha256(std::string(admin_token_sha256));
  token->set_user_id(std::string(kDefaultAdminUserId));
  token->set_org_id("0");
  return config;
}

v1::ConfigureChannelPreferencesRequest DefaultChannelPreferences() {
  v1::ConfigureChannelPreferencesRequest request;
  v1::EventChannelConfig* cluster = request.add_cluster_preferences();
  cluster->set_event_type(v1::LIVEBOARD_SCHEDULE);
  cluster->add_channels(v1::WEBHOOK);
  return request;
}

std::string NewAdminToken() {
  uint8_t bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // Without entropy no token is safe to hand out; this does not happen on a working system.
    ABSL_RAW_LOG(FATAL, "RAND_bytes failed");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

absl::Status WriteSecretFile(const std::string& path, absl::string_view contents) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    const std::string message = absl::StrCat("cannot create ", path, ": ", std::strerror(error));
    if (error == EEXIST) return absl::AlreadyExistsError(message);
    return absl::InternalError(message);
  }
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace webhooks
