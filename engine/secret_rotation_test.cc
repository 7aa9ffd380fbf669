// Rotating a webhook's signing secret through the engine: an update that changes
// signature_verification.secret keeps the old secret valid for
// DeliveryOptions::secret_rotation_overlap, during which every delivery (and validation)
// carries a Standard Webhooks signature with each secret, new first, and the hex header with
// the new one only. On a fake clock, with a receiver that answers 200 at once.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/delivery/signing.h"
#include "engine/http/http_transport.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::webhooks::testing::kFakeClockStart;
using ::webhooks::testing::MakeOrg;

constexpr char kHeader[] = "X-Webhook-Signature";

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<missing " + name + ">";
}

class SecretRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.transport().SetResponder([](const HttpRequest&) {
      HttpResponse response;
      response.status = 200;
      return response;
    });
    harness_.options().delivery.secret_rotation_overlap = absl::Hours(2);
  }

  // Starts the engine, with webhook "a" of org Sales signing with "first-secret" unless the state
  // already has it.
  void Start() {
    ASSERT_OK(harness_.StartEngine());
    v1::CreateWebhookRequest request;
    ASSERT_OK(FromJson(R"({"name":"a","url":"https://a.example/hook",
        "events":["LIVEBOARD_SCHEDULE"],
        "signature_verification":{"type":"HMAC_SHA256","header":"X-Webhook-Signature",
                                  "algorithm":"SHA256","secret":"first-secret"}})",
                       &request));
    const absl::StatusOr<v1::Webhook> created =
        harness_.engine().CreateWebhook(harness_.AdminOf("Sales"), request);
    if (!created.ok()) {
      ASSERT_EQ(created.status().code(), absl::StatusCode::kAlreadyExists);
    }
  }

  // Sets the clock to `minutes` after the start.
  void At(int minutes) { harness_.SetClockTo(absl::Minutes(minutes)); }

  void SetSecret(const std::string& secret) {
    v1::UpdateWebhookRequest request;
    request.set_webhook_identifier("a");
    v1::SignatureVerification* signature = request.mutable_signature_verification();
    signature->set_type(v1::HMAC_SHA256);
    signature->set_algorithm(v1::SHA256);
    signature->set_header(kHeader);
    signature->set_secret(secret);
    ASSERT_OK(harness_.engine().UpdateWebhook(harness_.AdminOf("Sales"), request));
  }

  // Publishes an event, delivers it now, and returns the request sent.
  HttpRequest Deliver() {
    EXPECT_OK(harness_.PublishDailyRun("Sales").status());
    const size_t sent = harness_.transport().request_count();
    harness_.engine().RunDueDeliveries();
    EXPECT_EQ(harness_.transport().request_count(), sent + 1);
    return harness_.transport().requests().back();
  }

  // The webhook-signature `request` should carry if signed with `secrets`, in that order.
  static std::string Expected(const HttpRequest& request,
                              std::initializer_list<const char*> secrets) {
    const std::string id = HeaderOf(request, kWebhookIdHeader);
    int64_t seconds = 0;
    EXPECT_TRUE(absl::SimpleAtoi(HeaderOf(request, kWebhookTimestampHeader), &seconds));
    std::string expected;
    for (const char* secret : secrets) {
      absl::StrAppend(&expected, expected.empty() ? "" : " ",
                      StandardWebhooksSignature(secret, id, seconds, request.body));
    }
    return expected;
  }

  // Keeps the state in a journal from now on; each call after the first is a restart.
  void UseJournal() { ASSERT_OK(harness_.UseJournal("rotation")); }

  testing::EngineHarness harness_{{MakeOrg("0", "Primary"), MakeOrg("7", "Sales")}};
};

TEST_F(SecretRotationTest, TwentyFourHoursByDefault) {
  EXPECT_EQ(DeliveryOptions().secret_rotation_overlap, absl::Hours(24));
}

TEST_F(SecretRotationTest, BothSecretsSignUntilTheOverlapEnds) {
  Start();
  const HttpRequest before = Deliver();
  EXPECT_EQ(HeaderOf(before, kWebhookSignatureHeader), Expected(before, {"first-secret"}));

  At(10);
  SetSecret("second-secret");
  const HttpRequest during = Deliver();
  const std::string both = HeaderOf(during, kWebhookSignatureHeader);
  EXPECT_EQ(both, Expected(during, {"second-secret", "first-secret"}));
  EXPECT_EQ(both.find(' '), both.rfind(' '));  // Exactly two entries.
  EXPECT_EQ(HeaderOf(during, kHeader), HmacSha256Hex("second-secret", during.body));
  EXPECT_EQ(HeaderOf(during, kWebhookTimestampHeader),
            absl::StrCat(absl::ToUnixSeconds(kFakeClockStart + absl::Minutes(10))));

  At(129);  // The last minute of the overlap.
  const HttpRequest last = Deliver();
  EXPECT_EQ(HeaderOf(last, kWebhookSignatureHeader),
            Expected(last, {"second-secret", "first-secret"}));

  At(130);
  const HttpRequest after = Deliver();
  EXPECT_EQ(HeaderOf(after, kWebhookSignatureHeader), Expected(after, {"second-secret"}));
  EXPECT_EQ(HeaderOf(after, kHeader), HmacSha256Hex("second-secret", after.body));
}

TEST_F(SecretRotationTest, ValidationSignsWithBothSecrets) {
  Start();
  SetSecret("second-secret");
  v1::ValidateCommunicationChannelRequest request;
  request.set_channel_type(v1::WEBHOOK);
  request.set_channel_identifier("a");
  request.set_event_type(v1::LIVEBOARD_SCHEDULE);
  ASSERT_OK_AND_ASSIGN(
      const v1::ValidateCommunicationChannelResponse response,
      harness_.engine().ValidateCommunicationChannel(harness_.AdminOf("Sales"), request));
  EXPECT_EQ(response.result_code(), v1::ValidateCommunicationChannelResponse::SUCCESS);
  const HttpRequest sent = harness_.transport().requests().back();
  EXPECT_EQ(HeaderOf(sent, kWebhookSignatureHeader),
            Expected(sent, {"second-secret", "first-secret"}));
  EXPECT_EQ(HeaderOf(sent, kHeader), HmacSha256Hex("second-secret", sent.body));
}

TEST_F(SecretRotationTest, ASecondRotationKeepsOnlyTheSecretItReplaced) {
  Start();
  SetSecret("second-secret");
  At(60);
  SetSecret("third-secret");
  const HttpRequest during = Deliver();
  EXPECT_EQ(HeaderOf(during, kWebhookSignatureHeader),
            Expected(during, {"third-secret", "second-secret"}));
  At(179);  // Two hours from the second rotation.
  const HttpRequest last = Deliver();
  EXPECT_EQ(HeaderOf(last, kWebhookSignatureHeader),
            Expected(last, {"third-secret", "second-secret"}));
  At(180);
  const HttpRequest after = Deliver();
  EXPECT_EQ(HeaderOf(after, kWebhookSignatureHeader), Expected(after, {"third-secret"}));
}

TEST_F(SecretRotationTest, AnUnchangedOrMaskedSecretIsNoRotation) {
  Start();
  SetSecret("first-secret");
  SetSecret("***");  // Keeps the stored secret.
  const HttpRequest sent = Deliver();
  EXPECT_EQ(HeaderOf(sent, kWebhookSignatureHeader), Expected(sent, {"first-secret"}));
}

TEST_F(SecretRotationTest, ResettingSignatureVerificationDropsTheOldSecret) {
  Start();
  SetSecret("second-secret");
  v1::UpdateWebhookRequest reset;
  reset.set_webhook_identifier("a");
  reset.add_reset_options(v1::SIGNATURE_VERIFICATION);
  ASSERT_OK(harness_.engine().UpdateWebhook(harness_.AdminOf("Sales"), reset));
  EXPECT_EQ(HeaderOf(Deliver(), kWebhookSignatureHeader), "<missing webhook-signature>");
  SetSecret("third-secret");  // Signing again, with nothing to rotate from.
  const HttpRequest sent = Deliver();
  EXPECT_EQ(HeaderOf(sent, kWebhookSignatureHeader), Expected(sent, {"third-secret"}));
}

TEST_F(SecretRotationTest, NoOverlapEndsTheOldSecretAtOnce) {
  harness_.options().delivery.secret_rotation_overlap = absl::ZeroDuration();
  Start();
  SetSecret("second-secret");
  const HttpRequest sent = Deliver();
  EXPECT_EQ(HeaderOf(sent, kWebhookSignatureHeader), Expected(sent, {"second-secret"}));
}

TEST_F(SecretRotationTest, TheOldSecretIsInNoResponse) {
  Start();
  SetSecret("second-secret");
  v1::SearchWebhooksRequest search;
  ASSERT_OK_AND_ASSIGN(const v1::SearchWebhooksResponse found,
                       harness_.engine().SearchWebhooks(harness_.Admin(), search));
  ASSERT_EQ(found.webhooks_size(), 1);
  EXPECT_EQ(found.webhooks(0).signature_verification().secret(), "***");
  const std::string json = ToJson(found);
  EXPECT_THAT(json, Not(HasSubstr("first-secret")));
  EXPECT_THAT(json, Not(HasSubstr("second-secret")));
}

TEST_F(SecretRotationTest, TheOverlapSurvivesRestarts) {
  UseJournal();
  Start();
  At(10);
  SetSecret("second-secret");
  UseJournal();  // Replays the journal, then snapshots.
  Start();
  At(20);
  const HttpRequest replayed = Deliver();
  EXPECT_EQ(HeaderOf(replayed, kWebhookSignatureHeader),
            Expected(replayed, {"second-secret", "first-secret"}));
  UseJournal();  // From the snapshot.
  Start();
  At(129);
  const HttpRequest snapshotted = Deliver();
  EXPECT_EQ(HeaderOf(snapshotted, kWebhookSignatureHeader),
            Expected(snapshotted, {"second-secret", "first-secret"}));
  At(130);
  const HttpRequest after = Deliver();
  EXPECT_EQ(HeaderOf(after, kWebhookSignatureHeader), Expected(after, {"second-secret"}));
  UseJournal();  // Restarted after the overlap: the replayed old secret is no longer valid.
  Start();
  const HttpRequest restarted = Deliver();
  EXPECT_EQ(HeaderOf(restarted, kWebhookSignatureHeader), Expected(restarted, {"second-secret"}));
}

}  // namespace
}  // namespace webhooks
