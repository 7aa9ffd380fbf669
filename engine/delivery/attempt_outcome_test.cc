#include "engine/delivery/attempt_outcome.h"

#include <string>

#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

using HistoryJob = v1::ChannelHistoryJob;

HttpResponse Answer(int status, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

TEST(ClassifyAttemptTest, SuccessOn2xx) {
  const AttemptOutcome outcome = ClassifyAttempt(Answer(204), 1, DeliveryOptions(), 0);
  EXPECT_EQ(outcome.status, HistoryJob::SUCCESS);
  EXPECT_EQ(outcome.detail, "");
}

TEST(ClassifyAttemptTest, RetriesOnTheScheduleWithJitter) {
  DeliveryOptions options;
  AttemptOutcome outcome = ClassifyAttempt(Answer(500, "oops"), 2, options, 0.5);
  EXPECT_EQ(outcome.status, HistoryJob::RETRY);
  EXPECT_EQ(outcome.detail, "HTTP 500: oops");
  EXPECT_EQ(outcome.retry_in, absl::Minutes(5) * 1.1);  // The second delay, +0.5 * 20 %.
  outcome = ClassifyAttempt(absl::DeadlineExceededError("timed out"), 1, options, -1);
  EXPECT_EQ(outcome.status, HistoryJob::RETRY);
  EXPECT_EQ(outcome.detail, "timed out");
  EXPECT_EQ(outcome.retry_in, absl::Minutes(1) * 0.8);
}

TEST(ClassifyAttemptTest, RetryAfterWaitsAsAskedUpToTheBound) {
  DeliveryOptions options;
  AttemptOutcome outcome =
      ClassifyAttempt(Answer(429, "", {{"retry-after", "120"}}), 1, options, 0);
  EXPECT_EQ(outcome.status, HistoryJob::RETRY);
  EXPECT_EQ(outcome.retry_in, absl::Seconds(120));
  outcome = ClassifyAttempt(Answer(503, "", {{"retry-after", "999999"}}), 1, options, 0);
  EXPECT_EQ(outcome.retry_in, options.max_retry_after);
  outcome = ClassifyAttempt(Answer(500, "", {{"retry-after", "120"}}), 1, options, 0);
  EXPECT_EQ(outcome.retry_in, absl::Minutes(1));  // Only 429 and 503 are heeded.
}

TEST(ClassifyAttemptTest, FailsOnGoneRefusalsAndTheLastAttempt) {
  DeliveryOptions options;
  EXPECT_EQ(ClassifyAttempt(Answer(410), 1, options, 0).status, HistoryJob::FAILED);
  EXPECT_EQ(ClassifyAttempt(absl::PermissionDeniedError("refused address"), 1, options, 0).status,
            HistoryJob::FAILED);
  const int last = static_cast<int>(options.retry_delays.size()) + 1;
  const AttemptOutcome outcome = ClassifyAttempt(Answer(500), last, options, 0);
  EXPECT_EQ(outcome.status, HistoryJob::FAILED);
  EXPECT_EQ(outcome.detail, "HTTP 500");
}

TEST(HttpDetailTest, RepliesThatAreNotUtf8AreMadeValid) {
  // A Latin-1 reply, and one whose 512th byte starts a euro sign: protobuf would write either
  // into the history's string field and then refuse to read it back.
  EXPECT_EQ(HttpDetail(Answer(500, "caf\xE9 ferm\xE9")),
            "HTTP 500: caf\xEF\xBF\xBD ferm\xEF\xBF\xBD");
  EXPECT_EQ(HttpDetail(Answer(500, std::string(510, 'x') + "\xE2\x82\xAC tail")),
            "HTTP 500: " + std::string(510, 'x'));
}

TEST(ClassifyAttemptTest, ErrorMessagesAreMadeValidUtf8) {
  const AttemptOutcome outcome =
      ClassifyAttempt(absl::UnavailableError("POST https://receiver failed: bad header \xFF\xFE"),
                      1, DeliveryOptions(), 0);
  EXPECT_EQ(outcome.detail, "POST https://receiver failed: bad header \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(HttpDetailTest, RedirectsAreNotFollowedAndBodiesAreCut) {
  EXPECT_EQ(HttpDetail(Answer(302, "see other")), "HTTP 302: redirects are not followed");
  EXPECT_EQ(HttpDetail(Answer(400, std::string(600, 'x'))), "HTTP 400: " + std::string(512, 'x'));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
