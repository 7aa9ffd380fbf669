#include "engine/http/oauth2_token.h"

#include "gtest/gtest.h"

namespace webhooks {
namespace {

TEST(ParseAccessTokenTest, ReadsTokenAndLifetime) {
  const std::optional<AccessToken> token = ParseAccessToken(
      R"({"access_token":"abc","token_type":"Bearer","expires_in":3599})", absl::Hours(1));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->value, "abc");
  EXPECT_EQ(token->lifetime, absl::Seconds(3599));
}

TEST(ParseAccessTokenTest, LifetimeDefaultsWhenAbsent) {
  const std::optional<AccessToken> token =
      ParseAccessToken(R"({"access_token":"abc"})", absl::Minutes(7));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->lifetime, absl::Minutes(7));
}

TEST(ParseAccessTokenTest, NoTokenIsNullopt) {
  for (const char* body : {"", "not json", "[]", R"({"access_token":""})", R"({"access_token":5})",
                           R"({"error":"invalid_client"})"}) {
    EXPECT_FALSE(ParseAccessToken(body, absl::Hours(1)).has_value()) << body;
  }
}

}  // namespace
}  // namespace webhooks
