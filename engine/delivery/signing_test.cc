#include "engine/delivery/signing.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::StatusIs;
using Headers = std::vector<std::pair<std::string, std::string>>;

// The example of the Standard Webhooks spec (standardwebhooks.com, "Signature scheme").
constexpr char kSpecSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kSpecId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSpecTimestamp = 1614265330;
constexpr char kSpecBody[] = R"({"test": 2432232314})";
constexpr char kSpecSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(HmacSha256HexTest, Rfc4231TestCase1) {
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256HexTest, Rfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256HexTest, Rfc4231TestCase6KeyLongerThanBlock) {
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256HexTest, EmptyKeyAndData) {
  EXPECT_EQ(HmacSha256Hex("", ""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacSha256HexTest, BinaryBytesAreSignedVerbatim) {
  const std::string data("a\0b\xff", 4);
  EXPECT_NE(HmacSha256Hex("k", data), HmacSha256Hex("k", "a"));
  EXPECT_EQ(HmacSha256Hex("k", data), HmacSha256Hex("k", std::string("a\0b\xff", 4)));
}

TEST(StandardWebhooksSignatureTest, SpecExample) {
  EXPECT_EQ(StandardWebhooksSignature(kSpecSecret, kSpecId, kSpecTimestamp, kSpecBody),
            kSpecSignature);
}

TEST(StandardWebhooksSignatureTest, SecretWithoutPrefixIsRawKey) {
  // base64(HMAC-SHA256(key "raw-secret", "msg_1.1700000000.hello")).
  EXPECT_EQ(StandardWebhooksSignature("raw-secret", "msg_1", 1700000000, "hello"),
            "v1,3tUJt3UO/CmmooQPwyqC7dlU5WT7as77t8XACBI3Too=");
}

TEST(StandardWebhooksSignatureTest, PrefixWithInvalidBase64FallsBackToRawSecret) {
  // base64(HMAC-SHA256(key "whsec_!!not base64!!", "msg_1.1700000000.hello")).
  EXPECT_EQ(StandardWebhooksSignature("whsec_!!not base64!!", "msg_1", 1700000000, "hello"),
            "v1,LrMz8ZPoNnX75a8Vi/PflGaKbz4LjMcbX3PtXSMb+BA=");
}

class VerifySignatureTest : public ::testing::Test {
 protected:
  static constexpr char kSecret[] = "hmac-secret";
  static constexpr char kBody[] = R"({"eventType":"LIVEBOARD_SCHEDULE"})";
  static constexpr int64_t kSentAt = 1773824614;

  VerifySignatureTest() {
    options_.secrets = {kSecret};
    options_.signature_header = "X-Webhook-Signature";
  }

  Headers SignedHeaders(absl::string_view body = kBody, int64_t sent_at = kSentAt) const {
    return {
        {"Content-Type", "application/json"},
        {"X-Webhook-Signature", HmacSha256Hex(kSecret, body)},
        {"webhook-id", "msg_1"},
        {"webhook-timestamp", std::to_string(sent_at)},
        {"webhook-signature", StandardWebhooksSignature(kSecret, "msg_1", sent_at, body)},
    };
  }

  static void Set(Headers& headers, absl::string_view name, std::string value) {
    for (auto& [key, existing] : headers) {
      if (key == name) existing = std::move(value);
    }
  }

  static void Remove(Headers& headers, absl::string_view name) {
    Headers kept;
    for (auto& header : headers) {
      if (header.first != name) kept.push_back(header);
    }
    headers = std::move(kept);
  }

  VerifyOptions options_;
  absl::Time now_ = absl::FromUnixSeconds(kSentAt);
};

TEST_F(VerifySignatureTest, AcceptsWhatTheSenderProduces) {
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_));
}

TEST_F(VerifySignatureTest, AcceptsTheSpecExample) {
  options_.secrets = {kSpecSecret};
  options_.signature_header.clear();
  const Headers headers = {{"webhook-id", kSpecId},
                           {"webhook-timestamp", std::to_string(kSpecTimestamp)},
                           {"webhook-signature", kSpecSignature}};
  EXPECT_OK(VerifySignature(options_, headers, kSpecBody, absl::FromUnixSeconds(kSpecTimestamp)));
}

TEST_F(VerifySignatureTest, HeaderNamesMatchInAnyCaseAndHexInAnyCase) {
  Headers headers = SignedHeaders();
  for (auto& [name, value] : headers) name = absl::AsciiStrToUpper(name);
  headers[1].second = absl::AsciiStrToUpper(headers[1].second);
  EXPECT_OK(VerifySignature(options_, headers, kBody, now_));
}

TEST_F(VerifySignatureTest, AnyOfSeveralSignaturesMayMatch) {
  Headers headers = SignedHeaders();
  Set(headers, "webhook-signature",
      "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v1a,ignored-other-scheme "
      "garbage " +
          StandardWebhooksSignature(kSecret, "msg_1", kSentAt, kBody));
  EXPECT_OK(VerifySignature(options_, headers, kBody, now_));
}

TEST_F(VerifySignatureTest, SkipsHexCheckWhenNoHeaderConfigured) {
  options_.signature_header.clear();
  Headers headers = SignedHeaders();
  Remove(headers, "X-Webhook-Signature");
  EXPECT_OK(VerifySignature(options_, headers, kBody, now_));
}

TEST_F(VerifySignatureTest, RejectsTamperedBody) {
  EXPECT_THAT(
      VerifySignature(options_, SignedHeaders(), R"({"eventType":"OTHER"})", now_),
      StatusIs(absl::StatusCode::kUnauthenticated, "X-Webhook-Signature does not match the body"));
}

TEST_F(VerifySignatureTest, RejectsTamperedBodyWithoutHexHeader) {
  options_.signature_header.clear();
  EXPECT_THAT(VerifySignature(options_, SignedHeaders(), R"({"eventType":"OTHER"})", now_),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "webhook-signature has no v1 signature that matches the body"));
}

TEST_F(VerifySignatureTest, RejectsWrongSecret) {
  options_.secrets = {"another-secret"};
  const absl::Status status = VerifySignature(options_, SignedHeaders(), kBody, now_);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated,
                               "X-Webhook-Signature does not match the body"));
  // Never the expected signature, nor the secret.
  EXPECT_THAT(std::string(status.message()),
              Not(HasSubstr(HmacSha256Hex("another-secret", kBody))));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("another-secret")));
}

TEST_F(VerifySignatureTest, RejectsTamperedId) {
  Headers headers = SignedHeaders();
  Set(headers, "webhook-id", "msg_2");
  EXPECT_THAT(VerifySignature(options_, headers, kBody, now_),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "webhook-signature has no v1 signature that matches the body"));
}

TEST_F(VerifySignatureTest, RejectsTimestampMovedWithinTolerance) {
  // A replay that rewrites the timestamp to look fresh no longer matches the signature.
  Headers headers = SignedHeaders();
  Set(headers, "webhook-timestamp", std::to_string(kSentAt + 60));
  EXPECT_THAT(VerifySignature(options_, headers, kBody, now_ + absl::Seconds(60)),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "webhook-signature has no v1 signature that matches the body"));
}

TEST_F(VerifySignatureTest, RejectsTruncatedSignature) {
  Headers headers = SignedHeaders();
  Set(headers, "X-Webhook-Signature", HmacSha256Hex(kSecret, kBody).substr(0, 63));
  EXPECT_THAT(
      VerifySignature(options_, headers, kBody, now_),
      StatusIs(absl::StatusCode::kUnauthenticated, "X-Webhook-Signature does not match the body"));
}

TEST_F(VerifySignatureTest, ToleranceBoundariesBothWays) {
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_ + absl::Minutes(5)));
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_ - absl::Minutes(5)));
  EXPECT_THAT(
      VerifySignature(options_, SignedHeaders(), kBody, now_ + absl::Minutes(5) + absl::Seconds(1)),
      StatusIs(absl::StatusCode::kUnauthenticated, "webhook-timestamp is too old"));
  EXPECT_THAT(
      VerifySignature(options_, SignedHeaders(), kBody, now_ - absl::Minutes(5) - absl::Seconds(1)),
      StatusIs(absl::StatusCode::kUnauthenticated, "webhook-timestamp is too new (in the future)"));
}

TEST_F(VerifySignatureTest, ReplayedRequestIsRejectedOnceTooOld) {
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_));
  EXPECT_THAT(VerifySignature(options_, SignedHeaders(), kBody, now_ + absl::Hours(1)),
              StatusIs(absl::StatusCode::kUnauthenticated, "webhook-timestamp is too old"));
}

TEST_F(VerifySignatureTest, CustomTolerance) {
  options_.tolerance = absl::Seconds(10);
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_ + absl::Seconds(10)));
  EXPECT_THAT(VerifySignature(options_, SignedHeaders(), kBody, now_ + absl::Seconds(11)),
              StatusIs(absl::StatusCode::kUnauthenticated, "webhook-timestamp is too old"));
}

TEST_F(VerifySignatureTest, RejectsNonNumericTimestamp) {
  Headers headers = SignedHeaders();
  Set(headers, "webhook-timestamp", "2026-03-18T09:03:34Z");
  EXPECT_THAT(VerifySignature(options_, headers, kBody, now_),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "webhook-timestamp is not an integer number of seconds"));
}

TEST_F(VerifySignatureTest, NamesEachMissingHeader) {
  for (const char* name :
       {"X-Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}) {
    SCOPED_TRACE(name);
    Headers headers = SignedHeaders();
    Remove(headers, name);
    EXPECT_THAT(
        VerifySignature(options_, headers, kBody, now_),
        StatusIs(absl::StatusCode::kUnauthenticated, absl::StrCat("missing ", name, " header")));
  }
}

TEST_F(VerifySignatureTest, RejectsSignatureListWithoutV1Entries) {
  Headers headers = SignedHeaders();
  Set(headers, "webhook-signature", "v2,abc  ");
  EXPECT_THAT(VerifySignature(options_, headers, kBody, now_),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "webhook-signature has no v1 signature that matches the body"));
}

TEST_F(VerifySignatureTest, NoSecretIsInvalidArgument) {
  options_.secrets.clear();
  EXPECT_THAT(
      VerifySignature(options_, SignedHeaders(), kBody, now_),
      StatusIs(absl::StatusCode::kInvalidArgument, "VerifyOptions.secrets must not be empty"));
}

TEST_F(VerifySignatureTest, EmptySecretIsInvalidArgument) {
  options_.secrets = {kSecret, ""};
  EXPECT_THAT(VerifySignature(options_, SignedHeaders(), kBody, now_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "VerifyOptions.secrets must not hold an empty secret"));
}

// A receiver rotating its secret lists both: a sender still on the old one (or a delivery
// signed before the rotation) passes, as does one signed with the new one.
TEST_F(VerifySignatureTest, TwoSecretsAcceptASignatureMadeWithTheOldOneOnly) {
  options_.secrets = {"new-secret", kSecret};
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_));
  options_.secrets = {kSecret, "new-secret"};
  EXPECT_OK(VerifySignature(options_, SignedHeaders(), kBody, now_));
}

TEST_F(VerifySignatureTest, TwoSecretsAcceptWhatARotatingSenderProduces) {
  // During an overlap the sender signs the hex header with the new secret only and
  // webhook-signature with both, new first.
  Headers headers = SignedHeaders();
  Set(headers, "X-Webhook-Signature", HmacSha256Hex("new-secret", kBody));
  Set(headers, "webhook-signature",
      StandardWebhooksSignature("new-secret", "msg_1", kSentAt, kBody) + " " +
          StandardWebhooksSignature(kSecret, "msg_1", kSentAt, kBody));
  options_.secrets = {"new-secret", kSecret};
  EXPECT_OK(VerifySignature(options_, headers, kBody, now_));
  // A receiver that already dropped the old secret still accepts it, through the new entry.
  options_.secrets = {"new-secret"};
  EXPECT_OK(VerifySignature(options_, headers, kBody, now_));
  // One that knows only the old secret fails on the hex header, signed with the new one.
  options_.secrets = {kSecret};
  EXPECT_THAT(
      VerifySignature(options_, headers, kBody, now_),
      StatusIs(absl::StatusCode::kUnauthenticated, "X-Webhook-Signature does not match the body"));
}

TEST_F(VerifySignatureTest, TwoSecretsNeitherOfWhichSignedFail) {
  options_.secrets = {"new-secret", "older-secret"};
  EXPECT_THAT(
      VerifySignature(options_, SignedHeaders(), kBody, now_),
      StatusIs(absl::StatusCode::kUnauthenticated, "X-Webhook-Signature does not match the body"));
  options_.signature_header.clear();
  EXPECT_THAT(VerifySignature(options_, SignedHeaders(), kBody, now_),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "webhook-signature has no v1 signature that matches the body"));
}

}  // namespace
}  // namespace webhooks
