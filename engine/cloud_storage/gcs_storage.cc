#include "engine/cloud_storage/gcs_storage.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/base/json_codec.h"
#include "engine/base/uri_encoding.h"
#include "engine/http/oauth2_token.h"
#include "google/protobuf/struct.pb.h"

namespace webhooks {
namespace {

using engine_internal::UriEncode;

constexpr char kCloudPlatformScope[] = "https://www.googleapis.com/auth/cloud-platform";
constexpr char kJwtBearerGrant[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
// Google issues tokens for at most an hour from a JWT whose exp - iat is at most that.
constexpr absl::Duration kJwtLifetime = absl::Hours(1);
// Tokens are renewed this long before they expire.
constexpr absl::Duration kRenewBefore = absl::Minutes(5);
// The key of this server's own token in server_token_.
constexpr char kServerToken[] = "";

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// The RSA private key in `pem` (PKCS#8 or PKCS#1), or null. Never asks for a passphrase.
Pkey ReadRsaPrivateKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  Pkey key(PEM_read_bio_PrivateKey(
      bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  BIO_free(bio);
  ERR_clear_error();
  if (key != nullptr && EVP_PKEY_id(key.get()) != EVP_PKEY_RSA) key.reset();
  return key;
}

// RSASSA-PKCS1-v1_5 with SHA-256 of `data` (JWS "RS256"), or "" on failure.
std::string SignRs256(EVP_PKEY* key, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return "";
  std::string signature;
  size_t length = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &length, bytes, data.size()) == 1) {
    signature.resize(length);
    if (EVP_DigestSign(ctx, reinterpret_cast<uint8_t*>(&signature[0]), &length, bytes,
                       data.size()) == 1) {
      signature.resize(length);
    } else {
      signature.clear();
    }
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return signature;
}

google::protobuf::Value StringValue(std::string text) {
  google::protobuf::Value value;
  value.set_string_value(std::move(text));
  return value;
}

google::protobuf::Value NumberValue(double number) {
  google::protobuf::Value value;
  value.set_number_value(number);
  return value;
}

// The JWT with which `options`' service account asks for its own access token (Google's
// "OAuth 2.0 for Server to Server Applications").
absl::StatusOr<std::string> ServerJwt(const GcpOptions& options, absl::Time now) {
  const Pkey key = ReadRsaPrivateKey(options.private_key_pem);
  if (key == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the private key of this server's GCP service account ", options.client_email,
                     " is not a PEM RSA private key"));
  }
  google::protobuf::Struct claims;
  auto& fields = *claims.mutable_fields();
  fields["iss"] = StringValue(options.client_email);
  fields["scope"] = StringValue(kCloudPlatformScope);
  fields["aud"] = StringValue(options.token_uri);
  fields["iat"] = NumberValue(absl::ToUnixSeconds(now));
  fields["exp"] = NumberValue(absl::ToUnixSeconds(now + kJwtLifetime));
  const std::string signed_part =
      absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"RS256","typ":"JWT"})"), ".",
                   absl::WebSafeBase64Escape(ToJson(claims)));
  const std::string signature = SignRs256(key.get(), signed_part);
  if (signature.empty()) {
    return absl::InternalError(
        absl::StrCat("cannot sign a JWT with the private key of ", options.client_email));
  }
  return absl::StrCat(signed_part, ".", absl::WebSafeBase64Escape(signature));
}

// What Google answered: a JSON object, parsed; empty if it was not one.
google::protobuf::Struct ParseJson(const std::string& body) {
  google::protobuf::Struct json;
  if (!FromJson(body, &json).ok()) json.Clear();
  return json;
}

// The string member `name` of `object`, or "" if there is none.
std::string StringField(const google::protobuf::Struct& object, const std::string& name) {
  const auto it = object.fields().find(name);
  return it == object.fields().end() ? "" : it->second.string_value();
}

// Google's error response: "HTTP 403 PERMISSION_DENIED: <message>" (the APIs' JSON error,
// {"error":{"code","message","status"}}; Cloud Storage's has no status) or
// "HTTP 400 invalid_grant: <description>" (OAuth2's, {"error","error_description"}).
// Messages name resources, never credentials.
std::string GoogleErrorText(const HttpResponse& response) {
  const google::protobuf::Struct json = ParseJson(response.body);
  std::string code;
  std::string message;
  const auto error = json.fields().find("error");
  if (error != json.fields().end()) {
    if (error->second.has_struct_value()) {
      code = StringField(error->second.struct_value(), "status");
      message = StringField(error->second.struct_value(), "message");
    } else {
      code = error->second.string_value();
      message = StringField(json, "error_description");
    }
  }
  std::string text = absl::StrCat("HTTP ", response.status);
  if (!code.empty()) absl::StrAppend(&text, " ", code);
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  return text;
}

}  // namespace

absl::StatusOr<GcpOptions> LoadGcpServiceAccount(const std::string& key_file) {
  GcpOptions options;
  if (key_file.empty()) return options;
  std::ifstream in(key_file);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read GCP service account key file ", key_file));
  }
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::Struct json;
  if (const absl::Status parsed = FromJson(text.str(), &json); !parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_file, " is not a GCP service account key: ", parsed.message()));
  }
  const std::string type = StringField(json, "type");
  if (type != "service_account") {
    return absl::InvalidArgumentError(absl::StrCat(
        key_file, " is not a GCP service account key: its type is ",
        type.empty() ? "missing" : absl::StrCat("\"", type, "\""), ", not \"service_account\""));
  }
  options.client_email = StringField(json, "client_email");
  if (options.client_email.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(key_file, " has no client_email"));
  }
  options.private_key_pem = StringField(json, "private_key");
  if (options.private_key_pem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(key_file, " has no private_key"));
  }
  if (ReadRsaPrivateKey(options.private_key_pem) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_file, ": private_key is not a PEM RSA private key"));
  }
  const std::string token_uri = StringField(json, "token_uri");
  if (!token_uri.empty()) options.token_uri = token_uri;
  return options;
}

std::string GcsOwnershipObject(absl::string_view org_external_id) {
  return absl::StrCat("webhookd-bucket-owner/", org_external_id);
}

GcsStorage::GcsStorage(GcpOptions options, HttpTransport& transport, const Clock& clock)
    : options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      server_token_(clock, kRenewBefore),
      service_account_tokens_(clock, kRenewBefore),
      owned_buckets_(clock, absl::ZeroDuration()) {}

void GcsStorage::Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
                     std::vector<StorageObject> objects, Callback done) {
  if (absl::Status type = CheckStorageType("GcsStorage", v1::GCP_GCS, destination); !type.ok()) {
    done(std::move(type));
    return;
  }
  const v1::GcpGcsConfig config = destination.storage_config().gcp_gcs_config();
  ServiceAccountToken(config.service_account_email(),
                      OnceOwned(config, std::string(org_external_id),
                                PutEachWith<std::string>(
                                    std::move(objects),
                                    [this, config](const std::string& token, StorageObject object,
                                                   std::function<void(absl::Status)> stored) {
                                      Upload(config, token, std::move(object), std::move(stored));
                                    },
                                    std::move(done))));
}

GcsStorage::TokenCallback GcsStorage::OnceOwned(const v1::GcpGcsConfig& config,
                                                std::string org_external_id, TokenCallback done) {
  const std::string object = GcsOwnershipObject(org_external_id);
  const std::string owned_key = absl::StrCat(config.service_account_email(), "\n",
                                             config.bucket_name(), "\n", org_external_id);
  // One answer for every refusal, whether of the impersonation or of the read: an org that
  // names another's service account and bucket learns nothing of their setup.
  const std::string not_owned = absl::StrCat(
      "GCS bucket ", config.bucket_name(),
      " is not set up for this org: this server could not "
      "read its object ",
      object, " as ", config.service_account_email(),
      " (grant this server's service account roles/iam.serviceAccountTokenCreator on that "
      "service account, let that account read the object, and create the object; "
      "GET /api/rest/2.0/webhooks/storage-config shows each step)");
  return [this, config, object, owned_key, not_owned,
          done = std::move(done)](absl::StatusOr<std::string> token) mutable {
    const auto refused = [not_owned](const absl::Status& status) {
      const bool refusal = status.code() == absl::StatusCode::kPermissionDenied ||
                           status.code() == absl::StatusCode::kNotFound;
      return refusal ? absl::PermissionDeniedError(not_owned) : status;
    };
    if (!token.ok()) {
      done(refused(token.status()));
      return;
    }
    if (owned_buckets_.Get(owned_key).has_value()) {
      done(std::move(token));
      return;
    }
    HttpRequest request =
        NewRequest(absl::StrCat(StripTrailingSlash(options_.storage_endpoint), "/storage/v1/b/",
                                UriEncode(config.bucket_name()), "/o/", UriEncode(object)),
                   {{"Authorization", absl::StrCat("Bearer ", *token)}}, "");
    request.method = "GET";
    const std::string where = absl::StrCat("GCS read of gs://", config.bucket_name(), "/", object);
    const absl::Time now = clock_.Now();
    transport_.Send(
        std::move(request),
        [this, where, email = config.service_account_email(), owned_key, now, refused,
         token = *token, done = std::move(done)](absl::StatusOr<HttpResponse> response) {
          if (!response.ok()) {
            done(RequestFailed(where, response.status()));
            return;
          }
          if (response->status != 200) {
            done(refused(StorageFailure(where, email, token, *response)));
            return;
          }
          owned_buckets_.Put(owned_key, true, now + options_.ownership_lifetime);
          done(token);
        });
  };
}

HttpRequest GcsStorage::NewRequest(std::string url,
                                   std::vector<std::pair<std::string, std::string>> headers,
                                   std::string body) const {
  HttpRequest request;
  request.method = "POST";
  request.url = std::move(url);
  request.headers = std::move(headers);
  if (!options_.user_agent.empty()) request.headers.emplace_back("User-Agent", options_.user_agent);
  request.body = std::move(body);
  request.timeout = options_.timeout;
  request.operator_endpoint = true;
  return request;
}

void GcsStorage::ServerToken(TokenCallback done) {
  if (std::optional<std::string> kept = server_token_.Get(kServerToken)) {
    done(*std::move(kept));
    return;
  }
  const absl::Time now = clock_.Now();
  absl::StatusOr<std::string> jwt = ServerJwt(options_, now);
  if (!jwt.ok()) {
    done(jwt.status());
    return;
  }
  HttpRequest request = NewRequest(
      options_.token_uri, {{"Content-Type", "application/x-www-form-urlencoded"}},
      absl::StrCat("grant_type=", UriEncode(kJwtBearerGrant), "&assertion=", UriEncode(*jwt)));
  const std::string where = absl::StrCat("GCP OAuth2 token request to ", options_.token_uri);
  transport_.Send(std::move(request), [this, where, now, done = std::move(done)](
                                          absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      done(RequestFailed(where, response.status()));
      return;
    }
    if (response->status != 200) {
      done(absl::Status(StorageErrorCode(response->status),
                        absl::StrCat(where, " failed: ", GoogleErrorText(*response))));
      return;
    }
    std::optional<AccessToken> token = ParseAccessToken(response->body, kJwtLifetime);
    if (!token.has_value()) {
      done(
          absl::UnavailableError(absl::StrCat(where, " failed: HTTP 200 without an access_token")));
      return;
    }
    server_token_.Put(kServerToken, token->value, now + token->lifetime);
    done(std::move(token->value));
  });
}

void GcsStorage::ServiceAccountToken(const std::string& email, TokenCallback done) {
  if (options_.client_email.empty() || options_.private_key_pem.empty()) {
    done(absl::FailedPreconditionError(
        "this server has no GCP service account to impersonate the storage service account "
        "with (set --gcp_credentials_file)"));
    return;
  }
  if (std::optional<std::string> kept = service_account_tokens_.Get(email)) {
    done(*std::move(kept));
    return;
  }
  ServerToken([this, email, done = std::move(done)](absl::StatusOr<std::string> server) {
    if (!server.ok()) {
      done(server.status());
      return;
    }
    HttpRequest request = NewRequest(
        absl::StrCat(StripTrailingSlash(options_.iam_credentials_endpoint),
                     "/v1/projects/-/serviceAccounts/", UriEncode(email), ":generateAccessToken"),
        {{"Authorization", absl::StrCat("Bearer ", *server)}, {"Content-Type", "application/json"}},
        absl::StrCat(R"({"scope":["https://www.googleapis.com/auth/devstorage.read_write"],)",
                     R"("lifetime":")", absl::ToInt64Seconds(options_.token_lifetime), R"(s"})"));
    const absl::Time now = clock_.Now();
    const std::string where = absl::StrCat("GCP IAM generateAccessToken for ", email);
    transport_.Send(
        std::move(request), [this, where, email, server_token = *server, now,
                             done = std::move(done)](absl::StatusOr<HttpResponse> response) {
          if (!response.ok()) {
            done(RequestFailed(where, response.status()));
            return;
          }
          if (response->status != 200) {
            absl::StatusCode code = StorageErrorCode(response->status);
            if (response->status == 401) {
              // This server's token ended early (revoked, or clocks apart): the next try gets a
              // new one.
              server_token_.Drop(kServerToken,
                                 [&](const std::string& kept) { return kept == server_token; });
              code = absl::StatusCode::kUnavailable;
            }
            done(absl::Status(code, absl::StrCat(where, " failed: ", GoogleErrorText(*response))));
            return;
          }
          const google::protobuf::Struct json = ParseJson(response->body);
          std::string token = StringField(json, "accessToken");
          if (token.empty()) {
            done(absl::UnavailableError(
                absl::StrCat(where, " failed: HTTP 200 without an accessToken")));
            return;
          }
          absl::Time expires = now + options_.token_lifetime;
          std::string error;
          absl::ParseTime(absl::RFC3339_full, StringField(json, "expireTime"), &expires, &error);
          service_account_tokens_.Put(email, token, expires);
          done(std::move(token));
        });
  });
}

void GcsStorage::Upload(const v1::GcpGcsConfig& config, const std::string& token,
                        StorageObject object, std::function<void(absl::Status)> done) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", absl::StrCat("Bearer ", token)}};
  if (!object.content_type.empty()) headers.emplace_back("Content-Type", object.content_type);
  HttpRequest request =
      NewRequest(absl::StrCat(StripTrailingSlash(options_.storage_endpoint),
                              "/upload/storage/v1/b/", UriEncode(config.bucket_name()),
                              "/o?uploadType=media&name=", UriEncode(object.key)),
                 std::move(headers), std::move(object.content));
  const std::string where =
      absl::StrCat("GCS upload of gs://", config.bucket_name(), "/", object.key);
  const std::string& email = config.service_account_email();
  transport_.Send(std::move(request), [this, where, email, token, done = std::move(done)](
                                          absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      done(RequestFailed(where, response.status()));
      return;
    }
    if (response->status == 200) {
      done(absl::OkStatus());
      return;
    }
    done(StorageFailure(where, email, token, *response));
  });
}

absl::Status GcsStorage::StorageFailure(const std::string& where, const std::string& email,
                                        const std::string& token, const HttpResponse& response) {
  absl::StatusCode code = StorageErrorCode(response.status);
  if (response.status == 401) {
    // The service account's token ended early: the next try impersonates it again.
    service_account_tokens_.Drop(email, [&](const std::string& kept) { return kept == token; });
    code = absl::StatusCode::kUnavailable;
  }
  return absl::Status(code, absl::StrCat(where, " failed: ", GoogleErrorText(response)));
}

}  // namespace webhooks
