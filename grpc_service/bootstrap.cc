#include "grpc_service/bootstrap.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

namespace {

// `size` random bytes from the system's cryptographic generator, as hex digits.
template <size_t size>
std::string RandomHex() {
  uint8_t bytes[size];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // Without entropy no token is safe to hand out; this does not happen on a working system.
    ABSL_RAW_LOG(FATAL, "RAND_bytes failed");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

std::string NewAdminToken() { return RandomHex<32>(); }

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

absl::StatusOr<std::string> WriteSecretFileAtRandomName(const std::string& prefix,
                                                        absl::string_view contents) {
  // A name taken already is astronomically unlikely unless someone plants files; a few tries
  // are enough either way.
  absl::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string path = absl::StrCat(prefix, RandomHex<8>());
    status = WriteSecretFile(path, contents);
    if (status.ok()) return path;
    if (!absl::IsAlreadyExists(status)) return status;
  }
  return status;
}

absl::Status CheckOwnerOnlyFile(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot examine ", path, ": ", std::strerror(errno)));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s has mode %04o: it holds credentials, so its group and others must "
                        "have no access (chmod 600 %s)",
                        path, info.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

}  // namespace webhooks
