#include "engine/delivery/oauth2_tokens.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/base/uri_encoding.h"
#include "engine/http/oauth2_token.h"

namespace webhooks {
namespace engine_internal {
namespace {

// HTTP Basic credentials of an OAuth2 client: RFC 6749 section 2.3.1 form-encodes the client id
// and secret before they are joined with ':' and base64-encoded, so a ':' or a non-ASCII byte
// in either reaches the server as the client registered it.
std::string ClientBasicCredentials(const v1::OAuth2Authentication& oauth) {
  return absl::StrCat("Basic ",
                      absl::Base64Escape(absl::StrCat(FormEncode(oauth.client_id()), ":",
                                                      FormEncode(oauth.client_secret()))));
}

}  // namespace

OAuth2Tokens::OAuth2Tokens(HttpTransport& transport, const Clock& clock, absl::Duration timeout,
                           std::string user_agent)
    : transport_(transport),
      clock_(clock),
      timeout_(timeout),
      user_agent_(std::move(user_agent)),
      // Renewed a little early so a token never expires on its way to the receiver.
      tokens_(clock, absl::Seconds(30)) {}

std::string OAuth2Tokens::KeyOf(const v1::OAuth2Authentication& oauth) {
  // Length-prefixed, so no URL and client id can be mistaken for another pair.
  return absl::StrCat(oauth.authorization_url().size(), ":", oauth.authorization_url(),
                      oauth.client_id());
}

void OAuth2Tokens::Refused(const v1::OAuth2Authentication& oauth, const std::string& access_token) {
  tokens_.Drop(KeyOf(oauth),
               [&access_token](const Kept& kept) { return kept.access_token == access_token; });
}

void OAuth2Tokens::Get(const v1::OAuth2Authentication& oauth, Callback done) {
  if (std::optional<Kept> kept = tokens_.Get(KeyOf(oauth));
      kept.has_value() && kept->client_secret == oauth.client_secret()) {
    done(std::move(kept->access_token));
    return;
  }
  HttpRequest request;
  request.url = oauth.authorization_url();
  request.timeout = timeout_;
  request.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
      {"User-Agent", user_agent_},
      {"Authorization", ClientBasicCredentials(oauth)},
  };
  request.body = "grant_type=client_credentials";
  // A URL for messages: no query (it may hold keys).
  const std::string url = oauth.authorization_url();
  const std::string where = absl::StrCat("OAuth2 token request to ", url.substr(0, url.find('?')));
  transport_.Send(std::move(request), [this, oauth, where, done = std::move(done)](
                                          absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      ++fetches_[false];
      done(RequestFailed(where, response.status()));
      return;
    }
    std::optional<AccessToken> token;
    if (response->status == 200) token = ParseAccessToken(response->body, absl::Hours(1));
    ++fetches_[token.has_value()];
    if (!token.has_value()) {
      done(absl::UnavailableError(
          absl::StrCat(where, " failed: HTTP ", response->status, " without an access_token")));
      return;
    }
    tokens_.Put(KeyOf(oauth), {oauth.client_secret(), token->value},
                clock_.Now() + token->lifetime);
    done(std::move(token->value));
  });
}

}  // namespace engine_internal
}  // namespace webhooks
