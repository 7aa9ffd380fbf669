#include "engine/cloud_storage/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/base/uri_encoding.h"
#include "engine/http/http_transport.h"

namespace webhooks {
namespace engine_internal {
namespace {

constexpr absl::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr absl::string_view kScopeTerminator = "aws4_request";

constexpr absl::string_view kAuthorizationHeader = "Authorization";
constexpr absl::string_view kDateHeader = "X-Amz-Date";
constexpr absl::string_view kContentSha256Header = "X-Amz-Content-SHA256";
constexpr absl::string_view kSecurityTokenHeader = "X-Amz-Security-Token";

// OpenSSL 3 refuses null pointers even with length 0; empty input points here instead.
const unsigned char kNoBytes[1] = {0};

const unsigned char* Bytes(absl::string_view data) {
  return data.empty() ? kNoBytes : reinterpret_cast<const unsigned char*>(data.data());
}

// Raw (not hex) HMAC-SHA256: the signing key is derived by chaining raw MACs.
std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), Bytes(key), key.size(), Bytes(data), data.size(), mac, &mac_length);
  return std::string(reinterpret_cast<const char*>(mac), mac_length);
}

std::string AmzDate(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

std::string CredentialScope(absl::Time time, absl::string_view region, absl::string_view service) {
  return absl::StrCat(absl::FormatTime("%Y%m%d", time, absl::UTCTimeZone()), "/", region, "/",
                      service, "/", kScopeTerminator);
}

struct UrlParts {
  absl::string_view scheme;
  absl::string_view authority;  // Without user information.
  absl::string_view path;       // Empty or starting with '/'.
  absl::string_view query;      // Without the '?'.
};

UrlParts SplitUrl(absl::string_view url) {
  UrlParts parts;
  absl::string_view rest = url.substr(0, url.find('#'));  // The fragment is never sent.
  const size_t scheme_end = rest.find("://");
  if (scheme_end != absl::string_view::npos) {
    parts.scheme = rest.substr(0, scheme_end);
    rest.remove_prefix(scheme_end + 3);
  }
  const size_t authority_end = rest.find_first_of("/?");
  parts.authority = rest.substr(0, authority_end);
  rest =
      authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  const size_t at = parts.authority.rfind('@');
  if (at != absl::string_view::npos) parts.authority.remove_prefix(at + 1);
  const size_t query_start = rest.find('?');
  parts.path = rest.substr(0, query_start);
  if (query_start != absl::string_view::npos) parts.query = rest.substr(query_start + 1);
  return parts;
}

// The Host header an HTTP client sends for `url`: the authority, without the port when it is
// the scheme's default (clients leave it out then, and the signature must match what is sent).
std::string HostOf(const UrlParts& url) {
  absl::string_view host = url.authority;
  // An IPv6 literal ("[::1]:8080") has colons of its own; the port follows the bracket.
  const size_t colon = host.rfind(':');
  const size_t bracket = host.rfind(']');
  if (colon == absl::string_view::npos || (bracket != absl::string_view::npos && colon < bracket)) {
    return std::string(host);
  }
  const absl::string_view port = host.substr(colon + 1);
  const bool default_port = port.empty() ||
                            (absl::EqualsIgnoreCase(url.scheme, "http") && port == "80") ||
                            (absl::EqualsIgnoreCase(url.scheme, "https") && port == "443");
  return std::string(default_port ? host.substr(0, colon) : host);
}

std::string CanonicalUri(absl::string_view path, bool s3) {
  if (path.empty()) path = "/";
  const std::vector<absl::string_view> segments = absl::StrSplit(path, '/');
  if (s3) {
    // S3 object keys may contain "//", "." and ".." that name different objects: keep the path
    // as is and encode each segment exactly once.
    return absl::StrJoin(segments, "/", [](std::string* dest, absl::string_view segment) {
      dest->append(UriEncode(UriDecode(segment)));
    });
  }
  std::vector<absl::string_view> kept;
  for (const absl::string_view segment : segments) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(segment);
  }
  // As in RFC 3986 dot-segment removal, "/a/b/" and "/a/b/." keep their trailing slash.
  const absl::string_view last = segments.back();
  const bool trailing_slash = last.empty() || last == "." || last == "..";
  // The services other than S3 encode the path as received, so escapes in the URL are encoded
  // a second time ("%20" becomes "%2520").
  std::string out =
      absl::StrCat("/", absl::StrJoin(kept, "/", [](std::string* dest, absl::string_view segment) {
                     dest->append(UriEncode(segment));
                   }));
  if (trailing_slash && !kept.empty()) out.push_back('/');
  return out;
}

std::string CanonicalQuery(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  for (const absl::string_view parameter : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> name_value =
        absl::StrSplit(parameter, absl::MaxSplits('=', 1));
    parameters.emplace_back(UriEncode(UriDecode(name_value.first)),
                            UriEncode(UriDecode(name_value.second)));
  }
  // Sorted by the encoded bytes: name first, then value for repeated names.
  std::sort(parameters.begin(), parameters.end());
  return absl::StrJoin(parameters, "&", absl::PairFormatter("="));
}

// Leading and trailing whitespace removed, inner runs replaced by one space.
std::string TrimAll(absl::string_view value) {
  return absl::StrJoin(absl::StrSplit(value, absl::ByAnyChar(" \t\r\n\v\f"), absl::SkipEmpty()),
                       " ");
}

struct Canonical {
  std::string request;
  std::string signed_headers;
};

Canonical Canonicalize(const HttpRequest& request, absl::string_view payload_hash, bool s3) {
  const UrlParts url = SplitUrl(request.url);

  // Lower-case name to the values joined in request order; the map keeps names sorted.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto [it, inserted] = headers.try_emplace(absl::AsciiStrToLower(name), TrimAll(value));
    if (!inserted) absl::StrAppend(&it->second, ",", TrimAll(value));
  }
  headers.try_emplace("host", HostOf(url));

  Canonical canonical;
  std::string header_lines;
  std::vector<absl::string_view> names;
  names.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&header_lines, name, ":", value, "\n");
    names.push_back(name);
  }
  canonical.signed_headers = absl::StrJoin(names, ";");
  canonical.request = absl::StrCat(request.method, "\n", CanonicalUri(url.path, s3), "\n",
                                   CanonicalQuery(url.query), "\n", header_lines, "\n",
                                   canonical.signed_headers, "\n", payload_hash);
  return canonical;
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(Bytes(data), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string CanonicalRequest(const HttpRequest& request, absl::string_view payload_hash, bool s3) {
  return Canonicalize(request, payload_hash, s3).request;
}

std::string StringToSign(absl::Time time, absl::string_view region, absl::string_view service,
                         absl::string_view canonical_request) {
  return absl::StrCat(kAlgorithm, "\n", AmzDate(time), "\n", CredentialScope(time, region, service),
                      "\n", Sha256Hex(canonical_request));
}

std::string Signature(absl::string_view secret_access_key, absl::Time time,
                      absl::string_view region, absl::string_view service,
                      absl::string_view string_to_sign) {
  std::string key = HmacSha256(absl::StrCat("AWS4", secret_access_key),
                               absl::FormatTime("%Y%m%d", time, absl::UTCTimeZone()));
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, kScopeTerminator);
  return absl::BytesToHexString(HmacSha256(key, string_to_sign));
}

void SignRequest(const AwsCredentials& credentials, absl::string_view region,
                 absl::string_view service, absl::Time time, bool s3, HttpRequest& request) {
  std::vector<std::pair<std::string, std::string>>& headers = request.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [s3](const std::pair<std::string, std::string>& header) {
                                 const absl::string_view name = header.first;
                                 return absl::EqualsIgnoreCase(name, kAuthorizationHeader) ||
                                        absl::EqualsIgnoreCase(name, kDateHeader) ||
                                        absl::EqualsIgnoreCase(name, kSecurityTokenHeader) ||
                                        (s3 && absl::EqualsIgnoreCase(name, kContentSha256Header));
                               }),
                headers.end());

  const std::string payload_hash = Sha256Hex(request.body);
  headers.emplace_back(kDateHeader, AmzDate(time));
  if (s3) headers.emplace_back(kContentSha256Header, payload_hash);
  if (!credentials.session_token.empty()) {
    headers.emplace_back(kSecurityTokenHeader, credentials.session_token);
  }

  const Canonical canonical = Canonicalize(request, payload_hash, s3);
  const std::string signature = Signature(credentials.secret_access_key, time, region, service,
                                          StringToSign(time, region, service, canonical.request));
  headers.emplace_back(kAuthorizationHeader,
                       absl::StrCat(kAlgorithm, " Credential=", credentials.access_key_id, "/",
                                    CredentialScope(time, region, service), ", SignedHeaders=",
                                    canonical.signed_headers, ", Signature=", signature));
}

}  // namespace engine_internal
}  // namespace webhooks
