#include "testing/fake_gcp.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/base/uri_encoding.h"
#include "google/protobuf/struct.pb.h"
#include "testing/http_receiver.h"

namespace webhooks {
namespace testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kJwtBearerGrant[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr char kCloudPlatformScope[] = "https://www.googleapis.com/auth/cloud-platform";
constexpr char kIamPrefix[] = "/iamcredentials/v1/projects/-/serviceAccounts/";
constexpr char kIamSuffix[] = ":generateAccessToken";
constexpr char kUploadPrefix[] = "/storage/upload/storage/v1/b/";
constexpr char kObjectPrefix[] = "/storage/storage/v1/b/";
constexpr char kMissingCredential[] =
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.";
constexpr char kInvalidCredential[] =
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.";
constexpr char kBadTimeframe[] =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim.";

// Whether `accounts` lets `email` act on `bucket`.
bool Allowed(const std::map<std::string, std::set<std::string>>& accounts,
             const std::string& bucket, const std::string& email) {
  const auto allowed = accounts.find(bucket);
  return allowed != accounts.end() && allowed->second.count(email) != 0;
}

// JSON values, for answers built with ToJson.
Value Str(std::string text) {
  Value value;
  value.set_string_value(std::move(text));
  return value;
}

Value Num(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

Value Obj(std::initializer_list<std::pair<const std::string, Value>> fields) {
  Value value;
  value.mutable_struct_value()->mutable_fields()->insert(fields.begin(), fields.end());
  return value;
}

Value List(std::initializer_list<Value> values) {
  Value value;
  for (const Value& element : values) *value.mutable_list_value()->add_values() = element;
  return value;
}

ScriptedResponse Json(int status, const Value& body) {
  ScriptedResponse response;
  response.status = status;
  response.headers = {{"Content-Type", "application/json; charset=UTF-8"}};
  response.body = ToJson(body);
  return response;
}

// OAuth2's error: {"error":"invalid_grant","error_description":"..."}.
ScriptedResponse OAuthError(int status, const std::string& error, const std::string& description) {
  return Json(status, Obj({{"error", Str(error)}, {"error_description", Str(description)}}));
}

// The Google APIs' error, as IAM writes it: {"error":{"code","message","status"}}.
ScriptedResponse ApiError(int code, const std::string& status, const std::string& message) {
  return Json(
      code,
      Obj({{"error",
            Obj({{"code", Num(code)}, {"message", Str(message)}, {"status", Str(status)}})}}));
}

// Cloud Storage's error: {"error":{"code","message","errors":[{"message","domain","reason"}]}}.
ScriptedResponse StorageError(int code, const std::string& reason, const std::string& message) {
  Value detail =
      Obj({{"message", Str(message)}, {"domain", Str("global")}, {"reason", Str(reason)}});
  if (code == 401) {
    (*detail.mutable_struct_value()->mutable_fields())["locationType"] = Str("header");
    (*detail.mutable_struct_value()->mutable_fields())["location"] = Str("Authorization");
  }
  return Json(
      code,
      Obj({{"error",
            Obj({{"code", Num(code)}, {"message", Str(message)}, {"errors", List({detail})}})}}));
}

// Cloud Storage's 403 for an account without `permission` on the object.
ScriptedResponse Forbidden(const std::string& email, const std::string& permission) {
  return StorageError(403, "forbidden",
                      absl::StrCat(email, " does not have ", permission,
                                   " access to the Google Cloud Storage object."));
}

const std::string* Find(const std::map<std::string, std::string>& fields, const std::string& name) {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string StringField(const Struct& object, const std::string& name) {
  const auto it = object.fields().find(name);
  return it == object.fields().end() ? "" : it->second.string_value();
}

// The number member `name` of `object`, if it is one.
std::optional<double> NumberField(const Struct& object, const std::string& name) {
  const auto it = object.fields().find(name);
  if (it == object.fields().end() || !it->second.has_number_value()) return std::nullopt;
  return it->second.number_value();
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

// Whether `signature` is `key_pem`'s RS256 signature of `data`.
bool VerifyRs256(const std::string& key_pem, const std::string& data,
                 const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bool valid = false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (key != nullptr && ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1) {
    valid =
        EVP_DigestVerify(ctx, reinterpret_cast<const uint8_t*>(signature.data()), signature.size(),
                         reinterpret_cast<const uint8_t*>(data.data()), data.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return valid;
}

std::string Md5Base64(const std::string& content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(content.data(), content.size(), digest, &length, EVP_md5(), nullptr);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

RsaKeyPair GenerateRsaKey() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) {
    std::fprintf(stderr, "GenerateRsaKey: cannot generate an RSA key\n");
    std::abort();
  }
  EVP_PKEY_CTX_free(ctx);
  RsaKeyPair pair;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  pair.private_key_pem = BioText(bio);
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  pair.public_key_pem = BioText(bio);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pair;
}

std::string ServiceAccountKeyJson(const std::string& client_email,
                                  const std::string& private_key_pem,
                                  const std::string& token_uri) {
  // "name@project.iam.gserviceaccount.com"
  const std::string domain = client_email.substr(client_email.find('@') + 1);
  const std::string project = domain.substr(0, domain.find('.'));
  return ToJson(Obj({
      {"type", Str("service_account")},
      {"project_id", Str(project)},
      {"private_key_id", Str("8f3b2c1d0e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c")},
      {"private_key", Str(private_key_pem)},
      {"client_email", Str(client_email)},
      {"client_id", Str("109876543210987654321")},
      {"auth_uri", Str("https://accounts.google.com/o/oauth2/auth")},
      {"token_uri", Str(token_uri)},
      {"auth_provider_x509_cert_url", Str("https://www.googleapis.com/oauth2/v1/certs")},
      {"client_x509_cert_url",
       Str(absl::StrCat("https://www.googleapis.com/robot/v1/metadata/x509/", client_email))},
      {"universe_domain", Str("googleapis.com")},
  }));
}

FakeGcp::FakeGcp(FakeGcpOptions options) : options_(std::move(options)) {
  receiver_.SetHandler([this](const ReceivedRequest& request) { return Handle(request); });
}

std::string FakeGcp::token_url() const { return receiver_.url("/token"); }
std::string FakeGcp::iam_credentials_url() const { return receiver_.url("/iamcredentials"); }
std::string FakeGcp::storage_url() const { return receiver_.url("/storage"); }

void FakeGcp::RevokeTokens() {
  absl::MutexLock lock(&mu_);
  tokens_.clear();
}

std::vector<std::string> FakeGcp::ListObjects(const std::string& bucket) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  const auto it = objects_.find(bucket);
  if (it == objects_.end()) return names;
  for (const auto& [name, stored] : it->second) names.push_back(name);
  return names;
}

std::optional<StoredObject> FakeGcp::GetObject(const std::string& bucket,
                                               const std::string& name) const {
  absl::MutexLock lock(&mu_);
  const auto it = objects_.find(bucket);
  if (it == objects_.end()) return std::nullopt;
  const auto stored = it->second.find(name);
  if (stored == it->second.end()) return std::nullopt;
  return stored->second.object;
}

void FakeGcp::PutObject(const std::string& bucket, const std::string& name, StoredObject object) {
  absl::MutexLock lock(&mu_);
  objects_[bucket][name] = {std::move(object), ++generation_, options_.clock->Now()};
}

std::optional<std::string> FakeGcp::ReadObject(const std::string& bucket,
                                               const std::string& name) const {
  std::optional<StoredObject> object = GetObject(bucket, name);
  if (!object.has_value()) return std::nullopt;
  return std::move(object->content);
}

std::vector<GcpCall> FakeGcp::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

int FakeGcp::CallCount(GcpCall::Api api) const {
  absl::MutexLock lock(&mu_);
  int count = 0;
  for (const GcpCall& call : calls_) count += call.api == api ? 1 : 0;
  return count;
}

std::optional<FakeGcp::IssuedToken> FakeGcp::Bearer(const ReceivedRequest& request) {
  const std::string authorization = request.Header("authorization");
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ")) return std::nullopt;
  absl::MutexLock lock(&mu_);
  const auto it = tokens_.find(std::string(token));
  if (it == tokens_.end() || options_.clock->Now() >= it->second.expires) return std::nullopt;
  return it->second;
}

ScriptedResponse FakeGcp::Handle(const ReceivedRequest& request) {
  const std::pair<absl::string_view, absl::string_view> path_query =
      absl::StrSplit(request.target, absl::MaxSplits('?', 1));
  const absl::string_view path = path_query.first;
  GcpCall call;
  ScriptedResponse response;
  if (request.method == "GET" && absl::StartsWith(path, kObjectPrefix)) {
    call.api = GcpCall::kGetObject;
    const std::pair<absl::string_view, absl::string_view> bucket_name =
        absl::StrSplit(path.substr(sizeof(kObjectPrefix) - 1), absl::MaxSplits("/o/", 1));
    const std::string bucket = engine_internal::UriDecode(bucket_name.first);
    const std::string name = engine_internal::UriDecode(bucket_name.second);
    call.resource = absl::StrCat("gs://", bucket, "/", name);
    response = name.empty() ? StorageError(404, "notFound", "Not Found")
                            : GetObjectMetadata(request, bucket, name);
  } else if (request.method != "POST") {
    response =
        ApiError(405, "METHOD_NOT_ALLOWED",
                 absl::StrCat("FakeGcp takes only GET of an object or POST, not ", request.method));
  } else if (path == "/token") {
    call.api = GcpCall::kToken;
    response = Token(request, call);
  } else if (absl::StartsWith(path, kIamPrefix) && absl::EndsWith(path, kIamSuffix)) {
    call.api = GcpCall::kGenerateAccessToken;
    absl::string_view email = path;
    absl::ConsumePrefix(&email, kIamPrefix);
    absl::ConsumeSuffix(&email, kIamSuffix);
    call.resource = engine_internal::UriDecode(email);
    response = GenerateAccessToken(request, call.resource);
  } else if (absl::StartsWith(path, kUploadPrefix) && absl::EndsWith(path, "/o") &&
             path.size() > sizeof(kUploadPrefix) - 1 + 2) {
    call.api = GcpCall::kUpload;
    const absl::string_view bucket =
        path.substr(sizeof(kUploadPrefix) - 1, path.size() - (sizeof(kUploadPrefix) - 1) - 2);
    response =
        Upload(request, engine_internal::UriDecode(bucket), std::string(path_query.second), call);
  } else {
    response = StorageError(404, "notFound", "Not Found");
  }
  call.status = response.status;
  absl::MutexLock lock(&mu_);
  calls_.push_back(std::move(call));
  return response;
}

ScriptedResponse FakeGcp::Token(const ReceivedRequest& request, GcpCall& call) {
  if (!absl::StartsWithIgnoreCase(request.Header("content-type"),
                                  "application/x-www-form-urlencoded")) {
    return OAuthError(400, "invalid_request", "Invalid Content-Type; expected form data");
  }
  const std::map<std::string, std::string> form = engine_internal::ParseForm(request.body);
  const std::string* grant_type = Find(form, "grant_type");
  if (grant_type == nullptr) {
    return OAuthError(400, "invalid_request", "Missing required parameter: grant_type");
  }
  if (*grant_type != kJwtBearerGrant) {
    return OAuthError(400, "unsupported_grant_type",
                      absl::StrCat("Invalid grant_type: ", *grant_type));
  }
  const std::string* assertion = Find(form, "assertion");
  if (assertion == nullptr) {
    return OAuthError(400, "invalid_request", "Missing required parameter: assertion");
  }

  // header.claims.signature, each base64url without padding.
  const std::vector<std::string> parts = absl::StrSplit(*assertion, '.');
  std::string header_json, claims_json, signature;
  Struct header, claims;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[0], &header_json) ||
      !absl::WebSafeBase64Unescape(parts[1], &claims_json) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature) || !FromJson(header_json, &header).ok() ||
      !FromJson(claims_json, &claims).ok()) {
    return OAuthError(400, "invalid_grant", "Invalid JWT: the assertion is not a JWS");
  }
  if (StringField(header, "alg") != "RS256") {
    return OAuthError(400, "invalid_grant", "Invalid JWT: the alg must be RS256");
  }
  call.resource = StringField(claims, "iss");
  if (call.resource != options_.server_email) {
    return OAuthError(400, "invalid_grant", "Invalid grant: account not found");
  }
  if (!VerifyRs256(options_.server_public_key_pem, absl::StrCat(parts[0], ".", parts[1]),
                   signature)) {
    return OAuthError(400, "invalid_grant", "Invalid JWT Signature.");
  }
  if (StringField(claims, "aud") != token_url()) {
    return OAuthError(
        400, "invalid_grant",
        absl::StrCat("Invalid JWT: Failed audience check. The right audience is ", token_url()));
  }
  const std::optional<double> iat = NumberField(claims, "iat");
  const std::optional<double> exp = NumberField(claims, "exp");
  const absl::Time now = options_.clock->Now();
  if (!iat.has_value() || !exp.has_value() || *exp <= *iat || *exp - *iat > 3600 ||
      absl::FromUnixSeconds(static_cast<int64_t>(*iat)) > now + absl::Minutes(5) ||
      absl::FromUnixSeconds(static_cast<int64_t>(*exp)) <= now) {
    return OAuthError(400, "invalid_grant", kBadTimeframe);
  }
  const std::vector<std::string> scopes =
      absl::StrSplit(StringField(claims, "scope"), ' ', absl::SkipEmpty());
  if (std::find(scopes.begin(), scopes.end(), kCloudPlatformScope) == scopes.end()) {
    return OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  }

  std::string token;
  {
    absl::MutexLock lock(&mu_);
    token = absl::StrCat("ya29.fake-server-", ++issued_count_);
    tokens_[token] = {options_.server_email, scopes, now + absl::Hours(1)};
  }
  return Json(200, Obj({{"access_token", Str(token)},
                        {"expires_in", Num(3599)},
                        {"token_type", Str("Bearer")}}));
}

ScriptedResponse FakeGcp::GenerateAccessToken(const ReceivedRequest& request,
                                              const std::string& email) {
  if (!absl::StartsWith(request.Header("authorization"), "Bearer ")) {
    return ApiError(401, "UNAUTHENTICATED", kMissingCredential);
  }
  const std::optional<IssuedToken> caller = Bearer(request);
  if (!caller.has_value()) return ApiError(401, "UNAUTHENTICATED", kInvalidCredential);
  if (std::find(caller->scopes.begin(), caller->scopes.end(), kCloudPlatformScope) ==
      caller->scopes.end()) {
    return ApiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
  }

  Struct body;
  if (!FromJson(request.body, &body).ok()) {
    return ApiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
  }
  std::vector<std::string> scopes;
  if (const auto it = body.fields().find("scope"); it != body.fields().end()) {
    for (const Value& scope : it->second.list_value().values()) {
      if (!scope.string_value().empty()) scopes.push_back(scope.string_value());
    }
  }
  if (scopes.empty()) return ApiError(400, "INVALID_ARGUMENT", "Scope required.");
  int64_t lifetime_seconds = 3600;
  if (body.fields().count("lifetime") != 0) {
    absl::string_view lifetime = body.fields().at("lifetime").string_value();
    if (!absl::ConsumeSuffix(&lifetime, "s") || !absl::SimpleAtoi(lifetime, &lifetime_seconds) ||
        lifetime_seconds < 1 || lifetime_seconds > 3600) {
      return ApiError(400, "INVALID_ARGUMENT",
                      "The lifetime requested is not valid. It must be between 1s and 3600s.");
    }
  }

  if (caller->email != options_.server_email || options_.impersonable.count(email) == 0) {
    return ApiError(403, "PERMISSION_DENIED",
                    "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it "
                    "may not exist).");
  }
  const absl::Time expires = options_.clock->Now() + absl::Seconds(lifetime_seconds);
  std::string token;
  {
    absl::MutexLock lock(&mu_);
    token = absl::StrCat("ya29.fake-sa-", ++issued_count_);
    tokens_[token] = {email, scopes, expires};
  }
  return Json(200, Obj({{"accessToken", Str(token)},
                        {"expireTime", Str(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", expires,
                                                            absl::UTCTimeZone()))}}));
}

ScriptedResponse FakeGcp::Upload(const ReceivedRequest& request, const std::string& bucket,
                                 const std::string& query, GcpCall& call) {
  const std::map<std::string, std::string> params = engine_internal::ParseForm(query);
  const std::string* name = Find(params, "name");
  call.resource = absl::StrCat("gs://", bucket, "/", name == nullptr ? "" : *name);

  const std::optional<IssuedToken> caller = Bearer(request);
  if (!caller.has_value()) return StorageError(401, "authError", "Invalid Credentials");
  bool may_write = false;
  for (const std::string& scope : caller->scopes) {
    may_write = may_write || scope == kCloudPlatformScope ||
                scope == "https://www.googleapis.com/auth/devstorage.read_write" ||
                scope == "https://www.googleapis.com/auth/devstorage.full_control";
  }
  if (!may_write) {
    return StorageError(403, "insufficientPermissions", "Provided scope(s) are not authorized");
  }
  const std::string* upload_type = Find(params, "uploadType");
  if (upload_type == nullptr) {
    return StorageError(400, "invalid",
                        "Upload requests must include an uploadType URL parameter and a URL "
                        "path beginning with /upload/");
  }
  if (*upload_type != "media") {
    return StorageError(400, "invalid",
                        absl::StrCat("FakeGcp takes only uploadType=media, not ", *upload_type));
  }
  if (name == nullptr || name->empty()) return StorageError(400, "required", "Required");
  if (options_.buckets.count(bucket) == 0) {
    return StorageError(404, "notFound", "The specified bucket does not exist.");
  }
  if (!Allowed(options_.writers, bucket, caller->email)) {
    return Forbidden(caller->email, "storage.objects.create");
  }

  StoredObject object;
  object.content_type = request.Header("content-type");
  if (object.content_type.empty()) object.content_type = "application/octet-stream";
  object.content = request.body;
  Generation stored;
  {
    absl::MutexLock lock(&mu_);
    stored = {std::move(object), ++generation_, options_.clock->Now()};
    objects_[bucket][*name] = stored;
  }
  return ObjectResource(bucket, *name, stored);
}

ScriptedResponse FakeGcp::GetObjectMetadata(const ReceivedRequest& request,
                                            const std::string& bucket, const std::string& name) {
  const std::optional<IssuedToken> caller = Bearer(request);
  if (!caller.has_value()) return StorageError(401, "authError", "Invalid Credentials");
  if (options_.buckets.count(bucket) == 0) {
    return StorageError(404, "notFound", "The specified bucket does not exist.");
  }
  if (!Allowed(options_.readers, bucket, caller->email)) {
    return Forbidden(caller->email, "storage.objects.get");
  }
  absl::MutexLock lock(&mu_);
  const auto objects = objects_.find(bucket);
  const auto stored = objects == objects_.end()
                          ? std::map<std::string, Generation>::const_iterator()
                          : objects->second.find(name);
  if (objects == objects_.end() || stored == objects->second.end()) {
    return StorageError(404, "notFound", absl::StrCat("No such object: ", bucket, "/", name));
  }
  return ObjectResource(bucket, name, stored->second);
}

ScriptedResponse FakeGcp::ObjectResource(const std::string& bucket, const std::string& name,
                                         const Generation& stored) {
  const std::string created = Rfc3339(stored.created);
  return Json(200, Obj({{"kind", Str("storage#object")},
                        {"id", Str(absl::StrCat(bucket, "/", name, "/", stored.generation))},
                        {"name", Str(name)},
                        {"bucket", Str(bucket)},
                        {"generation", Str(absl::StrCat(stored.generation))},
                        {"metageneration", Str("1")},
                        {"contentType", Str(stored.object.content_type)},
                        {"storageClass", Str("STANDARD")},
                        {"size", Str(absl::StrCat(stored.object.content.size()))},
                        {"md5Hash", Str(Md5Base64(stored.object.content))},
                        {"timeCreated", Str(created)},
                        {"updated", Str(created)},
                        {"timeStorageClassUpdated", Str(created)}}));
}

}  // namespace testing
}  // namespace webhooks
