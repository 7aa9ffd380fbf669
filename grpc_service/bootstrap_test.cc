#include "grpc_service/bootstrap.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc_service/authenticator.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::webhooks::testing::StatusIs;

TEST(BootstrapTest, DefaultPrincipalsGiveAClusterAdmin) {
  const std::string token = NewAdminToken();
  const v1::PrincipalsConfig config = DefaultPrincipalsConfig(TokenSha256Hex(token));
  ASSERT_OK(ValidatePrincipalsConfig(config));
  ASSERT_EQ(config.orgs_size(), 1);
  EXPECT_EQ(config.orgs(0).id(), "0");
  EXPECT_EQ(config.orgs(0).name(), "Primary");
  ASSERT_OK_AND_ASSIGN(auto authenticator, StaticAuthenticator::Create(config));
  ASSERT_OK_AND_ASSIGN(const Principal admin, authenticator->Authenticate(token));
  EXPECT_TRUE(admin.Has(v1::ADMINISTRATION));
  EXPECT_TRUE(admin.can_act_across_orgs);
}

TEST(BootstrapTest, DefaultChannelPreferenceIsClusterWebhook) {
  const v1::ConfigureChannelPreferencesRequest request = DefaultChannelPreferences();
  ASSERT_EQ(request.cluster_preferences_size(), 1);
  EXPECT_EQ(request.cluster_preferences(0).event_type(), v1::LIVEBOARD_SCHEDULE);
  ASSERT_EQ(request.cluster_preferences(0).channels_size(), 1);
  EXPECT_EQ(request.cluster_preferences(0).channels(0), v1::WEBHOOK);
  EXPECT_EQ(request.org_preferences_size(), 0);
}

TEST(BootstrapTest, AdminTokensAreRandomHex) {
  const std::string a = NewAdminToken();
  EXPECT_THAT(a, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_NE(a, NewAdminToken());
}

TEST(BootstrapTest, SecretFileIsPrivateAndNeverOverwritten) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/admin-token");
  ASSERT_OK(WriteSecretFile(path, "s3cret\n"));
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  std::stringstream contents;
  contents << std::ifstream(path).rdbuf();
  EXPECT_EQ(contents.str(), "s3cret\n");
  EXPECT_THAT(WriteSecretFile(path, "other"),
              StatusIs(absl::StatusCode::kAlreadyExists, Not(HasSubstr("other"))));
}

TEST(BootstrapTest, SecretFileAtRandomNameIsPrivateAndUnguessable) {
  const std::string prefix = absl::StrCat(::testing::TempDir(), "/webhookd-admin-token-");
  ASSERT_OK_AND_ASSIGN(const std::string first, WriteSecretFileAtRandomName(prefix, "a\n"));
  ASSERT_OK_AND_ASSIGN(const std::string second, WriteSecretFileAtRandomName(prefix, "b\n"));
  EXPECT_NE(first, second);
  EXPECT_EQ(first.substr(0, prefix.size()), prefix);
  EXPECT_THAT(first.substr(prefix.size()), MatchesRegex("[0-9a-f]{16}"));
  struct stat info;
  ASSERT_EQ(stat(first.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  std::stringstream contents;
  contents << std::ifstream(second).rdbuf();
  EXPECT_EQ(contents.str(), "b\n");
}

TEST(BootstrapTest, CredentialsFileMustBeOwnerOnly) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/principals.textproto");
  std::ofstream(path) << "orgs { id: \"0\" name: \"Primary\" }\n";
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_OK(CheckOwnerOnlyFile(path));
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_OK(CheckOwnerOnlyFile(path));
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(CheckOwnerOnlyFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat(path,
                                    " has mode 0644: it holds credentials, so its group and "
                                    "others must have no access (chmod 600 ",
                                    path, ")")));
  ASSERT_EQ(chmod(path.c_str(), 0620), 0);
  EXPECT_THAT(CheckOwnerOnlyFile(path),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("has mode 0620")));
  EXPECT_THAT(CheckOwnerOnlyFile(path + ".missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(".missing")));
}

}  // namespace
}  // namespace webhooks
