#include "engine/internal/secret_rotation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

constexpr int64_t kNow = 1700000000000;

v1::Webhook Signing(const std::string& secret) {
  v1::Webhook webhook;
  webhook.set_id("w1");
  webhook.mutable_signature_verification()->set_header("X-Webhook-Signature");
  webhook.mutable_signature_verification()->set_secret(secret);
  return webhook;
}

state::StateRecord Record(const state::SecretRotation& rotation) {
  state::StateRecord record;
  *record.mutable_secret_rotation() = rotation;
  return record;
}

// Plans the rotation from `from` to `to` at `now` with a one-hour overlap and applies it.
void Rotate(SecretRotations& rotations, const std::string& from, const std::string& to,
            int64_t now) {
  const std::optional<state::SecretRotation> rotation =
      SecretRotations::Plan(Signing(from), Signing(to), now, absl::Hours(1));
  ASSERT_TRUE(rotation.has_value());
  rotations.Apply(Record(*rotation));
}

TEST(SecretRotationsTest, PlanKeepsTheReplacedSecretForTheOverlap) {
  const std::optional<state::SecretRotation> rotation =
      SecretRotations::Plan(Signing("old"), Signing("new"), kNow, absl::Hours(24));
  ASSERT_TRUE(rotation.has_value());
  EXPECT_EQ(rotation->webhook_id(), "w1");
  EXPECT_EQ(rotation->previous_secret(), "old");
  EXPECT_EQ(rotation->previous_valid_until_millis(), kNow + 24 * 3600 * 1000);
}

TEST(SecretRotationsTest, PlanWithoutOverlapDropsAnyOldSecret) {
  const std::optional<state::SecretRotation> rotation =
      SecretRotations::Plan(Signing("old"), Signing("new"), kNow, absl::ZeroDuration());
  ASSERT_TRUE(rotation.has_value());
  EXPECT_EQ(rotation->webhook_id(), "w1");
  EXPECT_EQ(rotation->previous_secret(), "");
  EXPECT_EQ(rotation->previous_valid_until_millis(), 0);
}

TEST(SecretRotationsTest, NoRotationUnlessASigningSecretChanges) {
  v1::Webhook unsigned_webhook;
  unsigned_webhook.set_id("w1");
  const absl::Duration overlap = absl::Hours(1);
  EXPECT_FALSE(SecretRotations::Plan(Signing("same"), Signing("same"), kNow, overlap).has_value());
  EXPECT_FALSE(SecretRotations::Plan(unsigned_webhook, Signing("new"), kNow, overlap).has_value());
  EXPECT_FALSE(SecretRotations::Plan(Signing("old"), unsigned_webhook, kNow, overlap).has_value());
}

TEST(SecretRotationsTest, OldSecretIsValidUntilTheEndOfTheOverlapOnly) {
  SecretRotations rotations;
  Rotate(rotations, "old", "new", kNow);
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow), "old");
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow + 3600 * 1000 - 1), "old");
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow + 3600 * 1000), "");
  EXPECT_EQ(rotations.PreviousSecret("w2", kNow), "");
}

TEST(SecretRotationsTest, ASecondRotationKeepsOnlyTheSecretItReplaced) {
  SecretRotations rotations;
  Rotate(rotations, "first", "second", kNow);
  Rotate(rotations, "second", "third", kNow + 1000);
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow + 1000), "second");
  // Valid for the whole overlap of the second rotation.
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow + 1000 + 3600 * 1000 - 1), "second");
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow + 1000 + 3600 * 1000), "");
}

TEST(SecretRotationsTest, ARotationWithoutOverlapEndsTheOldSecretAtOnce) {
  SecretRotations rotations;
  Rotate(rotations, "first", "second", kNow);
  rotations.Apply(Record(
      *SecretRotations::Plan(Signing("second"), Signing("third"), kNow, absl::ZeroDuration())));
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow), "");
}

TEST(SecretRotationsTest, DeletingTheWebhookOrDroppingSigningDropsTheOldSecret) {
  SecretRotations rotations;
  Rotate(rotations, "old", "new", kNow);
  state::StateRecord put;
  *put.mutable_put_webhook() = Signing("new");
  rotations.Apply(put);  // Still signing: kept.
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow), "old");
  put.mutable_put_webhook()->clear_signature_verification();
  rotations.Apply(put);
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow), "");

  Rotate(rotations, "old", "new", kNow);
  state::StateRecord deleted;
  deleted.set_delete_webhook("w2");
  rotations.Apply(deleted);  // Another webhook's.
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow), "old");
  deleted.set_delete_webhook("w1");
  rotations.Apply(deleted);
  EXPECT_EQ(rotations.PreviousSecret("w1", kNow), "");
}

TEST(SecretRotationsTest, SnapshotHoldsTheSecretsStillValid) {
  SecretRotations rotations;
  Rotate(rotations, "old", "new", kNow);
  const std::optional<state::SecretRotation> later =
      SecretRotations::Plan(Signing("a"), Signing("b"), kNow, absl::Hours(2));
  state::SecretRotation other = *later;
  other.set_webhook_id("w2");
  rotations.Apply(Record(other));

  std::vector<state::StateRecord> records;
  const auto add = [&records]() { return &records.emplace_back(); };
  rotations.AddToSnapshot(add, kNow + 3600 * 1000);  // w1's has run out.
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].secret_rotation().webhook_id(), "w2");
  EXPECT_EQ(records[0].secret_rotation().previous_secret(), "a");
  EXPECT_EQ(records[0].secret_rotation().previous_valid_until_millis(), kNow + 2 * 3600 * 1000);

  // Replaying the snapshot restores it.
  SecretRotations restored;
  for (const state::StateRecord& record : records) restored.Apply(record);
  EXPECT_EQ(restored.PreviousSecret("w2", kNow), "a");
  EXPECT_EQ(restored.PreviousSecret("w1", kNow), "");
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
