#include "grpc_service/authenticator.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::StatusIs;

// SHA-256 of "admin-secret" and "dev-secret".
const std::string kAdminHash = TokenSha256Hex("admin-secret");
const std::string kDevHash = TokenSha256Hex("dev-secret");

std::string GoodFile() {
  return absl::StrCat(
      "rbac_enabled: true\n"
      "orgs { id: \"0\" name: \"Primary\" }\n"
      "orgs { id: \"1532970882\" name: \"testOrg\" }\n"
      "users { id: \"u1\" name: \"admin@example.com\" privileges: ADMINISTRATION "
      "org_ids: \"0\" org_ids: \"1532970882\" }\n"
      "users { id: \"u2\" name: \"dev@example.com\" privileges: CAN_MANAGE_WEBHOOKS "
      "org_ids: \"1532970882\" }\n"
      "tokens { sha256: \"",
      kAdminHash,
      "\" user_id: \"u1\" org_id: \"0\" }\n"
      "tokens { sha256: \"",
      kDevHash, "\" user_id: \"u2\" org_id: \"1532970882\" }\n");
}

TEST(TokenSha256HexTest, IsLowerCaseHexOfSha256) {
  EXPECT_EQ(TokenSha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ParsePrincipalsConfigTest, AcceptsTheDesignExample) {
  absl::StatusOr<v1::PrincipalsConfig> config = ParsePrincipalsConfig(GoodFile(), "p.textproto");
  ASSERT_OK(config);
  EXPECT_TRUE(config->rbac_enabled());
  EXPECT_EQ(config->orgs_size(), 2);
  EXPECT_EQ(config->users_size(), 2);
  EXPECT_EQ(config->tokens_size(), 2);
}

TEST(ParsePrincipalsConfigTest, UnknownFieldNamesFileAndLine) {
  EXPECT_THAT(ParsePrincipalsConfig("rbac_enabled: true\norgs { id: \"0\" nam: \"Primary\" }\n",
                                    "p.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p.textproto:2:19: Message type \"webhooks.v1.Org\" has no "
                                 "field named \"nam\"")));
}

TEST(ParsePrincipalsConfigTest, SyntaxErrorNamesLine) {
  EXPECT_THAT(ParsePrincipalsConfig("orgs { id: \"0\"\n", "p.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.textproto:2:")));
}

TEST(ParsePrincipalsConfigTest, UnknownUserNamesTheTokensLine) {
  const std::string text = absl::StrCat(
      "orgs { id: \"0\" name: \"Primary\" }\n"
      "users { id: \"u1\" name: \"a\" privileges: ADMINISTRATION org_ids: \"0\" }\n"
      "tokens {\n"
      "  sha256: \"",
      kAdminHash,
      "\"\n"
      "  user_id: \"nobody\"\n"
      "  org_id: \"0\"\n"
      "}\n");
  EXPECT_THAT(ParsePrincipalsConfig(text, "p.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "p.textproto:5:3: token names unknown user \"nobody\""));
}

TEST(ParsePrincipalsConfigTest, UnknownOrgOfUserNamesTheLine) {
  EXPECT_THAT(ParsePrincipalsConfig("orgs { id: \"0\" name: \"Primary\" }\n"
                                    "users { id: \"u1\" org_ids: \"0\" org_ids: \"7\" }\n",
                                    "p.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "p.textproto:2:31: user \"u1\" names unknown org \"7\""));
}

TEST(ParsePrincipalsConfigTest, UnknownOrgOfTokenNamesTheLine) {
  const std::string text = absl::StrCat(
      "orgs { id: \"0\" name: \"Primary\" }\n"
      "users { id: \"u1\" org_ids: \"0\" }\n"
      "tokens { sha256: \"",
      kAdminHash, "\" user_id: \"u1\" org_id: \"9\" }\n");
  EXPECT_THAT(ParsePrincipalsConfig(text, "p.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.textproto:3:")));
  EXPECT_THAT(
      ParsePrincipalsConfig(text, "p.textproto"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token names unknown org \"9\"")));
}

TEST(ParsePrincipalsConfigTest, TokenOrgMustBeOneOfTheUsersOrgs) {
  const std::string text = absl::StrCat(
      "orgs { id: \"0\" name: \"Primary\" }\n"
      "orgs { id: \"1\" name: \"other\" }\n"
      "users { id: \"u1\" org_ids: \"0\" }\n"
      "tokens { sha256: \"",
      kAdminHash, "\" user_id: \"u1\" org_id: \"1\" }\n");
  EXPECT_THAT(ParsePrincipalsConfig(text, "p.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not one of user \"u1\"'s org_ids")));
}

TEST(ParsePrincipalsConfigTest, RejectsBadAndDuplicateEntries) {
  EXPECT_THAT(
      ParsePrincipalsConfig("orgs { id: \"0\" name: \"a\" } orgs { id: \"0\" name: \"b\" }", "f"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate org id \"0\"")));
  EXPECT_THAT(ParsePrincipalsConfig("users { id: \"u\" } users { id: \"u\" }", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate user id")));
  EXPECT_THAT(ParsePrincipalsConfig("orgs { id: \"0\" name: \"a\" }\n"
                                    "users { id: \"u\" org_ids: \"0\" }\n"
                                    "tokens { sha256: \"plaintext\" user_id: \"u\" org_id: \"0\" }",
                                    "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "f:3:10: token sha256 must be the 64 hex digits of the token's SHA-256"));
  EXPECT_THAT(ParsePrincipalsConfig("users { id: \"u\" privileges: PRIVILEGE_UNSPECIFIED }", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown privilege")));
}

TEST(LoadPrincipalsFileTest, ReadsAFileAndReportsAMissingOne) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/principals.textproto");
  std::ofstream(path) << GoodFile();
  ASSERT_OK(LoadPrincipalsFile(path));
  EXPECT_THAT(LoadPrincipalsFile(path + ".missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("principals.textproto.missing")));
}

class StaticAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<v1::PrincipalsConfig> config = ParsePrincipalsConfig(GoodFile(), "p");
    ASSERT_OK(config);
    auto authenticator = StaticAuthenticator::Create(*config);
    ASSERT_OK(authenticator);
    authenticator_ = *std::move(authenticator);
  }

  std::unique_ptr<StaticAuthenticator> authenticator_;
};

TEST_F(StaticAuthenticatorTest, AdminInPrimaryMayActAcrossOrgs) {
  ASSERT_OK_AND_ASSIGN(const Principal admin, authenticator_->Authenticate("admin-secret"));
  EXPECT_EQ(admin.user_id, "u1");
  EXPECT_EQ(admin.user_name, "admin@example.com");
  EXPECT_EQ(admin.org.id(), "0");
  EXPECT_EQ(admin.org.name(), "Primary");
  EXPECT_TRUE(admin.Has(v1::ADMINISTRATION));
  EXPECT_TRUE(admin.rbac_enabled);
  EXPECT_TRUE(admin.can_act_across_orgs);
}

TEST_F(StaticAuthenticatorTest, OtherUsersSeeOnlyTheirTokensOrg) {
  ASSERT_OK_AND_ASSIGN(const Principal dev, authenticator_->Authenticate("dev-secret"));
  EXPECT_EQ(dev.user_id, "u2");
  EXPECT_EQ(dev.org.id(), "1532970882");
  EXPECT_EQ(dev.org.name(), "testOrg");
  EXPECT_TRUE(dev.Has(v1::CAN_MANAGE_WEBHOOKS));
  EXPECT_FALSE(dev.Has(v1::ADMINISTRATION));
  EXPECT_FALSE(dev.can_act_across_orgs);
}

TEST_F(StaticAuthenticatorTest, AdminInAnotherOrgMayNotActAcrossOrgs) {
  const std::string text = absl::StrCat(
      "orgs { id: \"0\" name: \"Primary\" } orgs { id: \"5\" name: \"five\" }\n"
      "users { id: \"u1\" privileges: ADMINISTRATION org_ids: \"0\" org_ids: \"5\" }\n"
      "tokens { sha256: \"",
      kAdminHash, "\" user_id: \"u1\" org_id: \"5\" }\n");
  ASSERT_OK_AND_ASSIGN(const v1::PrincipalsConfig config, ParsePrincipalsConfig(text, "p"));
  ASSERT_OK_AND_ASSIGN(auto authenticator, StaticAuthenticator::Create(config));
  ASSERT_OK_AND_ASSIGN(const Principal admin, authenticator->Authenticate("admin-secret"));
  EXPECT_EQ(admin.org.id(), "5");
  EXPECT_FALSE(admin.can_act_across_orgs);
}

TEST_F(StaticAuthenticatorTest, UnknownAndEmptyTokensAreUnauthenticated) {
  EXPECT_THAT(authenticator_->Authenticate("wrong-secret"),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("wrong-secret"))));
  EXPECT_THAT(authenticator_->Authenticate(""),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("missing")));
  // The stored form is not itself a token.
  EXPECT_THAT(authenticator_->Authenticate(kAdminHash),
              StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
}

TEST_F(StaticAuthenticatorTest, UpperCaseHashesAreAccepted) {
  std::string upper = kAdminHash;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  const std::string text = absl::StrCat(
      "orgs { id: \"0\" name: \"Primary\" }\n"
      "users { id: \"u1\" org_ids: \"0\" }\n"
      "tokens { sha256: \"",
      upper, "\" user_id: \"u1\" org_id: \"0\" }\n");
  ASSERT_OK_AND_ASSIGN(const v1::PrincipalsConfig config, ParsePrincipalsConfig(text, "p"));
  ASSERT_OK_AND_ASSIGN(auto authenticator, StaticAuthenticator::Create(config));
  EXPECT_OK(authenticator->Authenticate("admin-secret"));
}

TEST(StaticAuthenticatorCreateTest, ValidatesAConfigBuiltInCode) {
  v1::PrincipalsConfig config;
  config.add_orgs()->set_id("0");
  config.mutable_orgs(0)->set_name("Primary");
  v1::PrincipalToken* token = config.add_tokens();
  token->set_sha256(kAdminHash);
  token->set_user_id("ghost");
  token->set_org_id("0");
  EXPECT_THAT(StaticAuthenticator::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tokens[0]: token names unknown user \"ghost\"")));
}

}  // namespace
}  // namespace webhooks
