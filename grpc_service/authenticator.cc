#include "grpc_service/authenticator.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/memory/memory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/base/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace webhooks {
namespace {

using google::protobuf::TextFormat;

// OpenSSL 3's one-shot SHA256() looks the digest up among its providers on every call: about
// 330 ns alone, and 3.2 % of webhookd's samples in the gRPC search benchmark. Each thread here
// sets a context up once and starts every digest from a copy of it (about 80 ns alone, 1.4 % of
// the samples), through calls that BoringSSL has too.
std::array<uint8_t, 32> Sha256(absl::string_view text) {
  struct Contexts {
    Contexts() : initialized(EVP_MD_CTX_new()), work(EVP_MD_CTX_new()) {
      if (EVP_DigestInit_ex(initialized, EVP_sha256(), nullptr) != 1) std::abort();
    }
    ~Contexts() {
      EVP_MD_CTX_free(initialized);
      EVP_MD_CTX_free(work);
    }
    EVP_MD_CTX* const initialized;
    EVP_MD_CTX* const work;
  };
  thread_local const Contexts contexts;
  std::array<uint8_t, 32> digest;
  unsigned int length = 0;
  if (EVP_MD_CTX_copy_ex(contexts.work, contexts.initialized) != 1 ||
      EVP_DigestUpdate(contexts.work, text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(contexts.work, digest.data(), &length) != 1 || length != digest.size()) {
    std::abort();  // Only out of memory; nothing to authenticate against.
  }
  return digest;
}

// Collects the parser's first error with its position (0-based in protobuf; 1-based here).
class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int line, int column, const std::string& message) override {}
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// Names where an entry of the parsed file is: "file:line:column" (1-based) when the parser
// recorded locations, else "file:field[index]".
class Locator {
 public:
  Locator(const TextFormat::ParseInfoTree* tree, absl::string_view file_name)
      : tree_(tree), file_name_(file_name) {}

  // The position of element `index` of repeated `field` of the top-level message, or of its
  // nested `subfield` when given (element `subindex`, -1 for a singular field).
  std::string Where(absl::string_view field, int index, absl::string_view subfield = "",
                    int subindex = -1) const {
    const auto* descriptor = v1::PrincipalsConfig::descriptor();
    const auto* top = descriptor->FindFieldByName(std::string(field));
    std::string prefix = file_name_.empty() ? "" : absl::StrCat(file_name_, ":");
    if (tree_ == nullptr || top == nullptr) {
      return absl::StrCat(prefix, field, "[", index, "]");
    }
    google::protobuf::TextFormat::ParseLocation location = tree_->GetLocation(top, index);
    if (!subfield.empty()) {
      const TextFormat::ParseInfoTree* nested = tree_->GetTreeForNested(top, index);
      const auto* sub = top->message_type()->FindFieldByName(std::string(subfield));
      if (nested != nullptr && sub != nullptr) {
        const auto sub_location = nested->GetLocation(sub, subindex);
        if (sub_location.line >= 0) location = sub_location;
      }
    }
    if (location.line < 0) return absl::StrCat(prefix, field, "[", index, "]");
    return absl::StrCat(prefix, location.line + 1, ":", location.column + 1);
  }

 private:
  const TextFormat::ParseInfoTree* tree_;  // May be null.
  std::string file_name_;
};

absl::Status Invalid(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

absl::Status Validate(const v1::PrincipalsConfig& config, const Locator& at) {
  absl::flat_hash_set<std::string> org_ids;
  absl::flat_hash_set<std::string> org_names;
  for (int i = 0; i < config.orgs_size(); ++i) {
    const v1::Org& org = config.orgs(i);
    if (org.id().empty()) return Invalid(at.Where("orgs", i), "org id must not be empty");
    if (org.name().empty()) return Invalid(at.Where("orgs", i), "org name must not be empty");
    if (!org_ids.insert(org.id()).second) {
      return Invalid(at.Where("orgs", i, "id"),
                     absl::StrCat("duplicate org id \"", org.id(), "\""));
    }
    if (!org_names.insert(org.name()).second) {
      return Invalid(at.Where("orgs", i, "name"),
                     absl::StrCat("duplicate org name \"", org.name(), "\""));
    }
  }
  absl::flat_hash_map<std::string, const v1::PrincipalUser*> users;
  absl::flat_hash_set<std::pair<std::string, std::string>> memberships;  // (user id, org id)
  for (int i = 0; i < config.users_size(); ++i) {
    const v1::PrincipalUser& user = config.users(i);
    if (user.id().empty()) return Invalid(at.Where("users", i), "user id must not be empty");
    if (!users.emplace(user.id(), &user).second) {
      return Invalid(at.Where("users", i, "id"),
                     absl::StrCat("duplicate user id \"", user.id(), "\""));
    }
    for (int j = 0; j < user.privileges_size(); ++j) {
      if (user.privileges(j) == v1::PRIVILEGE_UNSPECIFIED ||
          !v1::Privilege_IsValid(user.privileges(j))) {
        return Invalid(at.Where("users", i, "privileges", j),
                       absl::StrCat("user \"", user.id(), "\" has an unknown privilege"));
      }
    }
    for (int j = 0; j < user.org_ids_size(); ++j) {
      if (!org_ids.contains(user.org_ids(j))) {
        return Invalid(
            at.Where("users", i, "org_ids", j),
            absl::StrCat("user \"", user.id(), "\" names unknown org \"", user.org_ids(j), "\""));
      }
      memberships.emplace(user.id(), user.org_ids(j));
    }
  }
  absl::flat_hash_set<std::string> digests;
  for (int i = 0; i < config.tokens_size(); ++i) {
    const v1::PrincipalToken& token = config.tokens(i);
    const std::string digest = absl::AsciiStrToLower(token.sha256());
    if (digest.size() != 64 || !std::all_of(digest.begin(), digest.end(),
                                            [](char c) { return absl::ascii_isxdigit(c); })) {
      return Invalid(at.Where("tokens", i, "sha256"),
                     "token sha256 must be the 64 hex digits of the token's SHA-256");
    }
    if (!digests.insert(digest).second) {
      return Invalid(at.Where("tokens", i, "sha256"), "duplicate token sha256");
    }
    const auto user = users.find(token.user_id());
    if (user == users.end()) {
      return Invalid(at.Where("tokens", i, "user_id"),
                     absl::StrCat("token names unknown user \"", token.user_id(), "\""));
    }
    if (!org_ids.contains(token.org_id())) {
      return Invalid(at.Where("tokens", i, "org_id"),
                     absl::StrCat("token names unknown org \"", token.org_id(), "\""));
    }
    if (!memberships.contains(std::make_pair(token.user_id(), token.org_id()))) {
      return Invalid(at.Where("tokens", i, "org_id"),
                     absl::StrCat("token's org \"", token.org_id(), "\" is not one of user \"",
                                  token.user_id(), "\"'s org_ids"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string TokenSha256Hex(absl::string_view token) {
  const std::array<uint8_t, 32> digest = Sha256(token);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

absl::StatusOr<v1::PrincipalsConfig> ParsePrincipalsConfig(absl::string_view text,
                                                           absl::string_view file_name) {
  v1::PrincipalsConfig config;
  TextFormat::Parser parser;
  FirstErrorCollector errors;
  TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ":", errors.error().empty() ? "invalid textproto" : errors.error()));
  }
  RETURN_IF_ERROR(Validate(config, Locator(&tree, file_name)));
  return config;
}

absl::StatusOr<v1::PrincipalsConfig> LoadPrincipalsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot read principals file ", path, ": ", std::strerror(error));
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParsePrincipalsConfig(text.str(), path);
}

absl::Status ValidatePrincipalsConfig(const v1::PrincipalsConfig& config) {
  return Validate(config, Locator(nullptr, ""));
}

absl::StatusOr<std::unique_ptr<StaticAuthenticator>> StaticAuthenticator::Create(
    const v1::PrincipalsConfig& config) {
  RETURN_IF_ERROR(ValidatePrincipalsConfig(config));
  absl::flat_hash_map<std::string, const v1::Org*> orgs;
  for (const v1::Org& org : config.orgs()) orgs[org.id()] = &org;
  absl::flat_hash_map<std::string, const v1::PrincipalUser*> users;
  for (const v1::PrincipalUser& user : config.users()) users[user.id()] = &user;

  absl::flat_hash_map<std::string, Principal> by_digest;
  by_digest.reserve(config.tokens_size());
  for (const v1::PrincipalToken& token : config.tokens()) {
    const v1::PrincipalUser& user = *users.at(token.user_id());
    Principal& principal = by_digest[absl::HexStringToBytes(absl::AsciiStrToLower(token.sha256()))];
    principal.user_id = user.id();
    principal.user_name = user.name();
    principal.org = *orgs.at(token.org_id());
    for (const int privilege : user.privileges()) {
      principal.privileges.insert(static_cast<v1::Privilege>(privilege));
    }
    principal.rbac_enabled = config.rbac_enabled();
    principal.can_act_across_orgs = principal.Has(v1::ADMINISTRATION) && token.org_id() == "0";
  }
  return absl::WrapUnique(new StaticAuthenticator(std::move(by_digest)));
}

absl::StatusOr<Principal> StaticAuthenticator::Authenticate(absl::string_view bearer_token) const {
  if (bearer_token.empty()) {
    return absl::UnauthenticatedError("Authentication required: missing bearer token.");
  }
  // Looked up by the SHA-256 of the token, never by the token: how long a lookup takes can tell
  // at most how a stored digest compares with the digest of a guess, which brings a caller no
  // closer to any token. One hash lookup, however many tokens there are.
  const std::array<uint8_t, 32> digest = Sha256(bearer_token);
  const auto match = by_digest_.find(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  if (match == by_digest_.end()) {
    return absl::UnauthenticatedError("Authentication required: unknown bearer token.");
  }
  return match->second;
}

}  // namespace webhooks
