#include "engine/base/uri_encoding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(UriEncodingTest, EncodesAllButUnreservedAndDecodesBack) {
  EXPECT_EQ(UriEncode("a b/c~d-e_f.g+h%"), "a%20b%2Fc~d-e_f.g%2Bh%25");
  EXPECT_EQ(UriDecode("a%20b%2Fc~d-e_f.g%2Bh%25"), "a b/c~d-e_f.g+h%");
}

TEST(UriEncodingTest, DecodingKeepsMalformedEscapesAndPlusUnlessAForm) {
  EXPECT_EQ(UriDecode("100%+%zz%4"), "100%+%zz%4");
  EXPECT_EQ(UriDecode("a+b%2b", /*plus_is_space=*/true), "a b+");
}

TEST(UriEncodingTest, FormEncodesAsRfc6749AppendixB) {
  EXPECT_EQ(FormEncode("a b:c/d*e-f.g_h~i+j%\xc3\xa9"), "a+b%3Ac%2Fd*e-f.g_h%7Ei%2Bj%25%C3%A9");
  EXPECT_EQ(UriDecode(FormEncode("x y:z&=%+"), /*plus_is_space=*/true), "x y:z&=%+");
}

TEST(UriEncodingTest, ParsesFormFieldsFirstOneWins) {
  EXPECT_THAT(ParseForm("Action=AssumeRole&RoleSessionName=a+b&&x&Action=Other&k%3D=v%3D"),
              ElementsAre(Pair("Action", "AssumeRole"), Pair("RoleSessionName", "a b"),
                          Pair("k=", "v="), Pair("x", "")));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
