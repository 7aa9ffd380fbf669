#include "engine/cloud_storage/s3_storage.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "boost/property_tree/ini_parser.hpp"
#include "boost/property_tree/ptree.hpp"
#include "boost/property_tree/xml_parser.hpp"
#include "engine/base/uri_encoding.h"

namespace webhooks {
namespace {

using engine_internal::AwsCredentials;
using engine_internal::UriEncode;

// What AWS answered: an XML document, parsed; empty if it was not one.
boost::property_tree::ptree ParseXml(const std::string& body) {
  boost::property_tree::ptree tree;
  std::istringstream in(body);
  try {
    boost::property_tree::read_xml(in, tree);
  } catch (const boost::property_tree::ptree_error&) {
    return {};
  }
  return tree;
}

// AWS's error response: "HTTP 403 AccessDenied: <message>" (STS wraps <Error> in
// <ErrorResponse>, S3 does not). Messages name resources, never credentials.
std::string AwsErrorText(const HttpResponse& response) {
  const boost::property_tree::ptree xml = ParseXml(response.body);
  const boost::property_tree::ptree* error = nullptr;
  if (const auto wrapped = xml.get_child_optional("ErrorResponse.Error")) {
    error = &*wrapped;
  } else if (const auto plain = xml.get_child_optional("Error")) {
    error = &*plain;
  }
  std::string text = absl::StrCat("HTTP ", response.status);
  if (error == nullptr) return text;
  const std::string code = error->get("Code", "");
  const std::string message = error->get("Message", "");
  if (!code.empty()) absl::StrAppend(&text, " ", code);
  if (!message.empty()) absl::StrAppend(&text, ": ", message);
  return text;
}

// "key=value&..." with both sides URI-encoded, in the given order.
std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&body, body.empty() ? "" : "&", UriEncode(key), "=", UriEncode(value));
  }
  return body;
}

// Temporary credentials are kept per role, external ID and region.
std::string SessionKey(const v1::AwsS3Config& config) {
  return absl::StrCat(config.role_arn(), "\n", config.external_id(), "\n", config.region());
}

}  // namespace

absl::StatusOr<AwsCredentials> LoadAwsCredentials(const std::string& file,
                                                  const std::string& profile) {
  AwsCredentials credentials;
  const auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value == nullptr ? "" : value;
  };
  if (!env("AWS_ACCESS_KEY_ID").empty()) {
    credentials.access_key_id = env("AWS_ACCESS_KEY_ID");
    credentials.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    credentials.session_token = env("AWS_SESSION_TOKEN");
    if (credentials.secret_access_key.empty()) {
      return absl::InvalidArgumentError(
          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    return credentials;
  }
  if (file.empty()) return credentials;
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read AWS credentials ", file));
  boost::property_tree::ptree ini;
  try {
    boost::property_tree::read_ini(in, ini);
  } catch (const boost::property_tree::ini_parser_error& error) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", error.line(), ": ", error.message()));
  }
  const auto section =
      ini.get_child_optional(boost::property_tree::ptree::path_type(profile, '\0'));
  if (!section) {
    return absl::InvalidArgumentError(absl::StrCat(file, " has no [", profile, "] profile"));
  }
  credentials.access_key_id = section->get("aws_access_key_id", "");
  credentials.secret_access_key = section->get("aws_secret_access_key", "");
  credentials.session_token = section->get("aws_session_token", "");
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, " [", profile, "] needs aws_access_key_id and aws_secret_access_key"));
  }
  return credentials;
}

S3Storage::S3Storage(AwsOptions options, HttpTransport& transport, const Clock& clock)
    : options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      sessions_(clock, absl::Minutes(5)) {}

void S3Storage::Put(const v1::StorageDestination& destination, absl::string_view org_external_id,
                    std::vector<StorageObject> objects, Callback done) {
  if (absl::Status type = CheckStorageType("S3Storage", v1::AWS_S3, destination); !type.ok()) {
    done(std::move(type));
    return;
  }
  // The role is assumed with the org's own ID, whatever the destination names.
  v1::AwsS3Config config = destination.storage_config().aws_s3_config();
  config.clear_external_id();
  if (!org_external_id.empty()) config.set_external_id(std::string(org_external_id));
  RoleCredentials(config, PutEachWith<AwsCredentials>(
                              std::move(objects),
                              [this, config](const AwsCredentials& role, StorageObject object,
                                             std::function<void(absl::Status)> stored) {
                                PutObject(config, role, std::move(object), std::move(stored));
                              },
                              std::move(done)));
}

void S3Storage::RoleCredentials(const v1::AwsS3Config& config, CredentialsCallback done) {
  if (options_.credentials.access_key_id.empty()) {
    done(absl::FailedPreconditionError(
        "this server has no AWS credentials to assume the storage role with (set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --aws_credentials_file)"));
    return;
  }
  const std::string cache_key = SessionKey(config);
  if (std::optional<AwsCredentials> cached = sessions_.Get(cache_key)) {
    done(*std::move(cached));
    return;
  }
  std::vector<std::pair<std::string, std::string>> form = {
      {"Action", "AssumeRole"},
      {"Version", "2011-06-15"},
      {"RoleArn", config.role_arn()},
      {"RoleSessionName", options_.session_name},
      {"DurationSeconds", absl::StrCat(absl::ToInt64Seconds(options_.session_duration))},
  };
  if (config.has_external_id()) form.emplace_back("ExternalId", config.external_id());
  HttpRequest request;
  request.url = options_.sts_endpoint.empty()
                    ? absl::StrCat("https://sts.", config.region(), ".amazonaws.com/")
                    : StripTrailingSlash(options_.sts_endpoint) + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  if (!options_.user_agent.empty()) request.headers.emplace_back("User-Agent", options_.user_agent);
  request.body = FormBody(form);
  request.timeout = options_.timeout;
  request.operator_endpoint = true;
  const absl::Time now = clock_.Now();
  engine_internal::SignRequest(options_.credentials, config.region(), "sts", now, /*s3=*/false,
                               request);
  const std::string where = absl::StrCat("AWS STS AssumeRole of ", config.role_arn());
  transport_.Send(std::move(request), [this, where, cache_key, now, done = std::move(done)](
                                          absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      done(RequestFailed(where, response.status()));
      return;
    }
    if (response->status != 200) {
      done(absl::Status(StorageErrorCode(response->status),
                        absl::StrCat(where, " failed: ", AwsErrorText(*response))));
      return;
    }
    const boost::property_tree::ptree xml = ParseXml(response->body);
    const auto credentials =
        xml.get_child_optional("AssumeRoleResponse.AssumeRoleResult.Credentials");
    AwsCredentials role;
    if (credentials) {
      role.access_key_id = credentials->get("AccessKeyId", "");
      role.secret_access_key = credentials->get("SecretAccessKey", "");
      role.session_token = credentials->get("SessionToken", "");
    }
    if (role.access_key_id.empty() || role.secret_access_key.empty()) {
      done(absl::UnavailableError(absl::StrCat(where, " failed: HTTP 200 without credentials")));
      return;
    }
    absl::Time expires = now + options_.session_duration;
    std::string error;
    if (credentials) {
      absl::ParseTime(absl::RFC3339_full, credentials->get("Expiration", ""), &expires, &error);
    }
    sessions_.Put(cache_key, role, expires);
    done(std::move(role));
  });
}

void S3Storage::PutObject(const v1::AwsS3Config& config, const AwsCredentials& role,
                          StorageObject object, std::function<void(absl::Status)> done) {
  const std::string path =  // The key, each '/'-separated segment encoded.
      absl::StrJoin(
          absl::StrSplit(object.key, '/'), "/",
          [](std::string* out, absl::string_view segment) { out->append(UriEncode(segment)); });
  HttpRequest request;
  request.method = "PUT";
  if (options_.s3_endpoint.empty()) {
    request.url = absl::StrCat("https://", config.bucket_name(), ".s3.", config.region(),
                               ".amazonaws.com/", path);
  } else if (options_.path_style) {
    request.url = absl::StrCat(StripTrailingSlash(options_.s3_endpoint), "/", config.bucket_name(),
                               "/", path);
  } else {
    const std::string base = StripTrailingSlash(options_.s3_endpoint);
    const size_t host = base.find("://");
    request.url = host == std::string::npos
                      ? absl::StrCat(config.bucket_name(), ".", base, "/", path)
                      : absl::StrCat(base.substr(0, host + 3), config.bucket_name(), ".",
                                     base.substr(host + 3), "/", path);
  }
  request.headers = {{"Content-Type", object.content_type}};
  if (!options_.user_agent.empty()) request.headers.emplace_back("User-Agent", options_.user_agent);
  request.body = std::move(object.content);
  request.timeout = options_.timeout;
  request.operator_endpoint = true;
  engine_internal::SignRequest(role, config.region(), "s3", clock_.Now(), /*s3=*/true, request);
  const std::string where =
      absl::StrCat("S3 PutObject of s3://", config.bucket_name(), "/", object.key);
  transport_.Send(
      std::move(request), [this, where, session = SessionKey(config),
                           done = std::move(done)](absl::StatusOr<HttpResponse> response) {
        if (!response.ok()) {
          done(RequestFailed(where, response.status()));
          return;
        }
        if (response->status == 200) {
          done(absl::OkStatus());
          return;
        }
        absl::StatusCode code = StorageErrorCode(response->status);
        const std::string error = ParseXml(response->body).get("Error.Code", "");
        if (error == "ExpiredToken" || error == "InvalidToken") {
          // The role's session ended early (revoked, or clocks apart): the next try assumes the
          // role again.
          sessions_.Drop(session);
          code = absl::StatusCode::kUnavailable;
        }
        done(absl::Status(code, absl::StrCat(where, " failed: ", AwsErrorText(*response))));
      });
}

}  // namespace webhooks
