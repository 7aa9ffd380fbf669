#include "engine/delivery/oauth2_tokens.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::webhooks::testing::StatusIs;

class OAuth2TokensTest : public ::testing::Test {
 protected:
  OAuth2TokensTest() : tokens_(transport_, clock_, absl::Seconds(5), "webhookd-test") {
    oauth_.set_authorization_url("https://auth.example.com/token?tenant=secret");
    oauth_.set_client_id("client");
    oauth_.set_client_secret("s3cret");
    transport_.SetResponder([this](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
      HttpResponse response;
      response.status = 200;
      response.body =
          absl::StrCat(R"({"access_token":"token-)", ++issued_, R"(","expires_in":3600})");
      return response;
    });
  }

  absl::StatusOr<std::string> Get(const v1::OAuth2Authentication& oauth) {
    std::optional<absl::StatusOr<std::string>> token;
    tokens_.Get(oauth, [&](absl::StatusOr<std::string> result) { token = result; });
    EXPECT_TRUE(token.has_value());  // The fake transport answers at once.
    return *token;
  }

  webhooks::testing::FakeClock clock_;
  webhooks::testing::FakeTransport transport_;
  OAuth2Tokens tokens_;
  v1::OAuth2Authentication oauth_;
  int issued_ = 0;
};

TEST_F(OAuth2TokensTest, FetchesWithClientCredentialsAndKeepsTheToken) {
  EXPECT_EQ(*Get(oauth_), "token-1");
  ASSERT_EQ(transport_.request_count(), 1);
  const HttpRequest request = transport_.requests()[0];
  EXPECT_EQ(request.url, "https://auth.example.com/token?tenant=secret");
  EXPECT_EQ(request.body, "grant_type=client_credentials");
  EXPECT_THAT(request.headers,
              ::testing::Contains(std::make_pair(std::string("Authorization"),
                                                 std::string("Basic Y2xpZW50OnMzY3JldA=="))));
  EXPECT_EQ(*Get(oauth_), "token-1");
  clock_.Advance(absl::Minutes(59) + absl::Seconds(31));  // 29 s before it expires: renew.
  EXPECT_EQ(*Get(oauth_), "token-2");
  EXPECT_EQ(transport_.request_count(), 2);
  EXPECT_EQ(tokens_.Fetches(/*succeeded=*/true), 2u);  // The kept token's reuse is no fetch.
  EXPECT_EQ(tokens_.Fetches(/*succeeded=*/false), 0u);
}

TEST_F(OAuth2TokensTest, ClientCredentialsAreFormEncodedBeforeBasic) {
  // RFC 6749 section 2.3.1: "client:id" / "p@ss word+/" are form-encoded, then joined and
  // base64-encoded: base64("client%3Aid:p%40ss+word%2B%2F").
  oauth_.set_client_id("client:id");
  oauth_.set_client_secret("p@ss word+/");
  EXPECT_EQ(*Get(oauth_), "token-1");
  ASSERT_EQ(transport_.request_count(), 1);
  EXPECT_THAT(transport_.requests()[0].headers,
              ::testing::Contains(
                  std::make_pair(std::string("Authorization"),
                                 std::string("Basic Y2xpZW50JTNBaWQ6cCU0MHNzK3dvcmQlMkIlMkY="))));
}

TEST_F(OAuth2TokensTest, ANewClientOrARefusalFetchesAgain) {
  EXPECT_EQ(*Get(oauth_), "token-1");
  oauth_.set_client_secret("rotated");
  EXPECT_EQ(*Get(oauth_), "token-2");
  tokens_.Refused(oauth_, "token-1");  // An older token: the kept one stays.
  EXPECT_EQ(*Get(oauth_), "token-2");
  tokens_.Refused(oauth_, "token-2");
  EXPECT_EQ(*Get(oauth_), "token-3");
}

TEST_F(OAuth2TokensTest, TokensAreKeptByTokenUrlAndClientId) {
  EXPECT_EQ(*Get(oauth_), "token-1");
  // Another token endpoint with the same client id and secret never gets the kept token.
  v1::OAuth2Authentication elsewhere = oauth_;
  elsewhere.set_authorization_url("https://evil.example.com/token");
  EXPECT_EQ(*Get(elsewhere), "token-2");
  EXPECT_EQ(transport_.requests()[1].url, "https://evil.example.com/token");
  // Nor another client of the same endpoint.
  v1::OAuth2Authentication other_client = oauth_;
  other_client.set_client_id("client-2");
  EXPECT_EQ(*Get(other_client), "token-3");
  // The same endpoint, client and secret is the same token, whichever webhook asks.
  EXPECT_EQ(*Get(oauth_), "token-1");
  EXPECT_EQ(*Get(elsewhere), "token-2");
  EXPECT_EQ(transport_.request_count(), 3);
}

TEST_F(OAuth2TokensTest, ErrorsNameTheUrlWithoutItsQuery) {
  transport_.SetResponder([](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse response;
    response.status = 401;
    response.body = R"({"error":"invalid_client"})";
    return response;
  });
  EXPECT_THAT(Get(oauth_), StatusIs(absl::StatusCode::kUnavailable,
                                    "OAuth2 token request to https://auth.example.com/token "
                                    "failed: HTTP 401 without an access_token"));
  transport_.SetResponder([](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    return absl::DeadlineExceededError("timed out");
  });
  EXPECT_THAT(Get(oauth_),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "OAuth2 token request to https://auth.example.com/token failed: timed out"));
  EXPECT_EQ(tokens_.Fetches(/*succeeded=*/true), 0u);
  EXPECT_EQ(tokens_.Fetches(/*succeeded=*/false), 2u);  // A refusal and a timeout.
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
