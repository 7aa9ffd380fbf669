// Redelivering failed deliveries through the engine (RedeliverJob, ReplayFailedJobs): exactly
// one more attempt of the same request, noted in the history, all or nothing, with the failed
// content kept within its budget and across restarts. On a fake clock, with a receiver that
// answers every attempt at once.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/base/json_codec.h"
#include "engine/webhook_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/engine_fixtures.h"
#include "testing/engine_harness.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace {

using ::testing::ElementsAre;
using ::webhooks::testing::kFakeClockStart;
using ::webhooks::testing::MakeOrg;
using ::webhooks::testing::StatusIs;
using HistoryJob = v1::ChannelHistoryJob;

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<none>";
}

const std::string kNote = absl::StrCat("redelivery requested by ", testing::kTestUserName);

class RedeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.transport().SetResponder([this](const HttpRequest&) {
      HttpResponse response;
      response.status = status_.load();
      response.body = response.status == 200 ? "" : "no";
      return response;
    });
  }

  // Starts the engine with webhook "a" of org Sales.
  void Start() {
    ASSERT_OK(harness_.StartEngine());
    v1::CreateWebhookRequest request;
    ASSERT_OK(FromJson(R"({"name":"a","url":"https://a.example/hook",
                           "events":["LIVEBOARD_SCHEDULE"],
                           "signature_verification":{"type":"HMAC_SHA256","header":"X-Sig",
                                                     "algorithm":"SHA256","secret":"s3"}})",
                       &request));
    ASSERT_OK(harness_.engine().CreateWebhook(harness_.AdminOf("Sales"), request).status());
  }

  // Sets the clock to `minutes` after the start and runs the deliveries due then.
  void At(int minutes) {
    harness_.SetClockTo(absl::Minutes(minutes));
    harness_.engine().RunDueDeliveries();
  }

  // Publishes an event of org Sales, attempts it at once, and returns its job id.
  std::string PublishAndAttempt() {
    absl::StatusOr<v1::PublishEventResponse> response = harness_.PublishDailyRun("Sales");
    EXPECT_OK(response.status());
    harness_.engine().RunDueDeliveries();
    return response.ok() ? response->job_id() : "";
  }

  HistoryJob Job(const std::string& job_id) { return harness_.HistoryJob(job_id); }

  absl::StatusOr<HistoryJob> Redeliver(const std::string& job_id) {
    v1::RedeliverJobRequest request;
    request.set_job_id(job_id);
    return harness_.engine().RedeliverJob(harness_.AdminOf("Sales"), request);
  }

  absl::StatusOr<v1::ReplayFailedJobsResponse> Replay(const std::string& json) {
    v1::ReplayFailedJobsRequest request;
    EXPECT_OK(FromJson(json, &request));
    return harness_.engine().ReplayFailedJobs(harness_.AdminOf("Sales"), request);
  }

  static std::vector<std::string> Ids(const v1::ReplayFailedJobsResponse& response) {
    std::vector<std::string> ids;
    for (const HistoryJob& job : response.jobs()) ids.push_back(job.id());
    return ids;
  }

  // Keeps the state in a journal from now on; each call after the first is a restart.
  void UseJournal() { ASSERT_OK(harness_.UseJournal("redelivery")); }

  std::atomic<int> status_{410};  // Fails a job at its first attempt.
  testing::EngineHarness harness_{{MakeOrg("0", "Primary"), MakeOrg("7", "Sales")}};
};

TEST_F(RedeliveryTest, SendsTheSameRequestOnceMoreAndNotesItInTheHistory) {
  Start();
  const std::string job_id = PublishAndAttempt();
  ASSERT_EQ(Job(job_id).status(), HistoryJob::FAILED);
  ASSERT_EQ(Job(job_id).detail(), "HTTP 410: no");

  At(30);
  ASSERT_OK_AND_ASSIGN(const HistoryJob queued, Redeliver(job_id));
  EXPECT_EQ(queued.id(), job_id);
  EXPECT_EQ(queued.status(), HistoryJob::PENDING);
  EXPECT_EQ(queued.try_count(), 1);
  EXPECT_EQ(queued.detail(), kNote);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().pending, 1);

  status_ = 200;
  harness_.engine().RunDueDeliveries();
  const std::vector<HttpRequest> sent = harness_.transport().requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].body, sent[0].body);
  EXPECT_EQ(HeaderOf(sent[1], "Idempotency-Key"), job_id);
  EXPECT_EQ(HeaderOf(sent[1], "webhook-id"), HeaderOf(sent[0], "webhook-id"));
  EXPECT_EQ(HeaderOf(sent[1], "webhook-timestamp"),
            absl::StrCat(absl::ToUnixSeconds(kFakeClockStart + absl::Minutes(30))));
  const HistoryJob delivered = Job(job_id);
  EXPECT_EQ(delivered.status(), HistoryJob::SUCCESS);
  EXPECT_EQ(delivered.try_count(), 2);
  EXPECT_EQ(delivered.detail(), kNote);
  EXPECT_EQ(delivered.creation_time_in_millis(), absl::ToUnixMillis(kFakeClockStart));

  // Delivered now: there is nothing left to redeliver.
  EXPECT_THAT(Redeliver(job_id),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("job '", job_id,
                                    "' is SUCCESS; only a FAILED delivery can be redelivered")));
}

TEST_F(RedeliveryTest, AFailedRedeliveryIsNotRetried) {
  Start();
  const std::string job_id = PublishAndAttempt();
  status_ = 500;
  ASSERT_OK(Redeliver(job_id).status());
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(job_id).status(), HistoryJob::FAILED);
  EXPECT_EQ(Job(job_id).try_count(), 2);
  EXPECT_EQ(Job(job_id).detail(), absl::StrCat("HTTP 500: no; ", kNote));
  At(24 * 60);
  EXPECT_EQ(harness_.transport().request_count(), 2u);
  // It can be redelivered again.
  ASSERT_OK(Redeliver(job_id).status());
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(job_id).try_count(), 3);
}

TEST_F(RedeliveryTest, RefusesWhatItCannotRedeliver) {
  Start();
  EXPECT_THAT(Redeliver(""), StatusIs(absl::StatusCode::kInvalidArgument, "job_id is required"));
  EXPECT_THAT(Redeliver("n.nope"),
              StatusIs(absl::StatusCode::kNotFound, "job 'n.nope' was not found"));
  const std::string job_id = PublishAndAttempt();
  // Another org's administrator does not see it.
  v1::RedeliverJobRequest request;
  request.set_job_id(job_id);
  EXPECT_THAT(
      harness_.engine().RedeliverJob(harness_.AdminOf("Primary"), request),
      StatusIs(absl::StatusCode::kNotFound, absl::StrCat("job '", job_id, "' was not found")));
  // A user without the webhook privileges may not.
  EXPECT_THAT(
      harness_.engine().RedeliverJob(
          testing::MakePrincipal(MakeOrg("7", "Sales"), {v1::APPLICATION_ADMINISTRATION}), request),
      StatusIs(absl::StatusCode::kPermissionDenied,
               "Insufficient privileges to redeliver the deliveries of webhook "
               "configurations: requires ADMINISTRATION or DEVELOPER, or "
               "CAN_MANAGE_WEBHOOKS when RBAC is enabled."));

  // Queued again and not yet attempted.
  ASSERT_OK(Redeliver(job_id).status());
  EXPECT_THAT(Redeliver(job_id),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("job '", job_id,
                                    "' is PENDING; only a FAILED delivery can be redelivered")));
  harness_.engine().RunDueDeliveries();

  // A validation has no content to send again.
  v1::ValidateCommunicationChannelRequest validate;
  validate.set_channel_type(v1::WEBHOOK);
  validate.set_channel_identifier("a");
  validate.set_event_type(v1::LIVEBOARD_SCHEDULE);
  ASSERT_OK_AND_ASSIGN(const v1::ValidateCommunicationChannelResponse validation,
                       harness_.engine().ValidateCommunicationChannel(harness_.Admin(), validate));
  EXPECT_THAT(Redeliver(validation.job_id()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("job '", validation.job_id(),
                                    "' has no content to send again: it is a validation, or a "
                                    "failed delivery whose content was dropped for newer ones "
                                    "(DeliveryOptions::max_failed_content_bytes)")));

  // Nor while its webhook is disabled.
  v1::UpdateWebhookRequest disable;
  disable.set_webhook_identifier("a");
  disable.set_status(v1::DISABLED);
  ASSERT_OK(harness_.engine().UpdateWebhook(harness_.Admin(), disable));
  EXPECT_THAT(Redeliver(job_id),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "webhook 'a' is DISABLED; enable it before redelivering"));
  EXPECT_EQ(Job(job_id).status(), HistoryJob::FAILED);
  EXPECT_EQ(harness_.transport().request_count(), 3u);  // Two attempts and the validation.
}

TEST_F(RedeliveryTest, ReplaysTheFailedJobsOfAWindowNewestFirst) {
  Start();
  const std::string at0 = PublishAndAttempt();
  At(10);
  const std::string at10 = PublishAndAttempt();
  At(20);
  const std::string at20 = PublishAndAttempt();
  status_ = 200;
  At(25);
  const std::string delivered = PublishAndAttempt();
  At(30);
  const std::string at30 = [&] {
    status_ = 410;
    return PublishAndAttempt();
  }();

  const int64_t start = absl::ToUnixMillis(kFakeClockStart + absl::Minutes(10));
  const int64_t end = absl::ToUnixMillis(kFakeClockStart + absl::Minutes(30));
  ASSERT_OK_AND_ASSIGN(
      const v1::ReplayFailedJobsResponse replayed,
      Replay(absl::StrCat(R"({"webhook_identifier":"a","start_epoch_time_in_millis":)", start,
                          R"(,"end_epoch_time_in_millis":)", end, "}")));
  EXPECT_THAT(Ids(replayed), ElementsAre(at20, at10));
  for (const HistoryJob& job : replayed.jobs()) {
    EXPECT_EQ(job.status(), HistoryJob::PENDING);
    EXPECT_EQ(job.detail(), kNote);
  }
  EXPECT_EQ(Job(at0).status(), HistoryJob::FAILED);
  EXPECT_EQ(Job(at30).status(), HistoryJob::FAILED);
  EXPECT_EQ(Job(delivered).status(), HistoryJob::SUCCESS);

  status_ = 200;
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(at10).status(), HistoryJob::SUCCESS);
  EXPECT_EQ(Job(at20).status(), HistoryJob::SUCCESS);
  EXPECT_EQ(harness_.transport().request_count(), 7u);

  // Nothing failed is left in the window; the whole history still has two.
  ASSERT_OK_AND_ASSIGN(
      const v1::ReplayFailedJobsResponse again,
      Replay(absl::StrCat(R"({"webhook_identifier":"a","start_epoch_time_in_millis":)", start,
                          R"(,"end_epoch_time_in_millis":)", end, "}")));
  EXPECT_EQ(again.jobs_size(), 0);
  ASSERT_OK_AND_ASSIGN(const v1::ReplayFailedJobsResponse all,
                       Replay(R"({"webhook_identifier":"a"})"));
  EXPECT_THAT(Ids(all), ElementsAre(at30, at0));
}

TEST_F(RedeliveryTest, ReplayIsAllOrNothingAndChecksItsRequest) {
  harness_.options().delivery.max_pending_jobs = 2;
  Start();
  const std::string first = PublishAndAttempt();
  PublishAndAttempt();
  PublishAndAttempt();
  EXPECT_THAT(Replay(R"({"webhook_identifier":"a"})"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "the delivery queue has no room for 3 more (0 of 2 deliveries pending); "
                       "try again later"));
  EXPECT_EQ(Job(first).status(), HistoryJob::FAILED);
  EXPECT_EQ(harness_.engine().GetDeliveryStats().pending, 0);
  // Bounds far beyond any time are no bounds: the same 3.
  EXPECT_THAT(
      Replay(R"({"webhook_identifier":"a","start_epoch_time_in_millis":-1e300,
                         "end_epoch_time_in_millis":1e300})"),
      StatusIs(absl::StatusCode::kResourceExhausted, ::testing::HasSubstr("no room for 3 more")));

  EXPECT_THAT(Replay(R"({})"),
              StatusIs(absl::StatusCode::kInvalidArgument, "webhook_identifier is required"));
  EXPECT_THAT(Replay(R"({"webhook_identifier":"b"})"),
              StatusIs(absl::StatusCode::kNotFound,
                       "Webhook with the specified identifier 'b' was not found."));
  EXPECT_THAT(Replay(R"({"webhook_identifier":"a","start_epoch_time_in_millis":5,
                         "end_epoch_time_in_millis":5})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "start_epoch_time_in_millis must be before end_epoch_time_in_millis"));
  EXPECT_THAT(Replay(R"({"webhook_identifier":"a","end_epoch_time_in_millis":"NaN"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "end_epoch_time_in_millis must be a finite number"));
}

TEST_F(RedeliveryTest, KeepsTheNewestFailedContentWithinItsBudget) {
  // Room for one body, not two.
  harness_.options().delivery.max_failed_content_bytes = 1500;
  Start();
  const std::string older = PublishAndAttempt();
  At(1);
  const std::string newer = PublishAndAttempt();
  const size_t body_bytes = harness_.transport().requests()[0].body.size();
  ASSERT_GT(body_bytes, 750u);
  ASSERT_LE(body_bytes, 1500u);
  EXPECT_THAT(Redeliver(older), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         ::testing::HasSubstr("has no content to send again")));
  EXPECT_OK(Redeliver(newer).status());
}

TEST_F(RedeliveryTest, FailedContentAndRedeliveriesSurviveARestart) {
  UseJournal();
  Start();
  const std::string failed = PublishAndAttempt();
  const std::string redelivered = PublishAndAttempt();
  ASSERT_OK(Redeliver(redelivered).status());

  UseJournal();  // Restarted before the redelivery's attempt (and snapshotted at start).
  ASSERT_OK(harness_.StartEngine());
  EXPECT_EQ(Job(redelivered).status(), HistoryJob::PENDING);
  EXPECT_EQ(Job(redelivered).detail(), kNote);
  status_ = 500;
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(redelivered).detail(), absl::StrCat("HTTP 500: no; ", kNote));
  EXPECT_EQ(Job(redelivered).status(), HistoryJob::FAILED);

  UseJournal();
  ASSERT_OK(harness_.StartEngine());
  status_ = 200;
  ASSERT_OK(Redeliver(failed).status());
  harness_.engine().RunDueDeliveries();
  EXPECT_EQ(Job(failed).status(), HistoryJob::SUCCESS);
  const std::vector<HttpRequest> sent = harness_.transport().requests();
  EXPECT_EQ(sent.back().body, sent[0].body);
}

}  // namespace
}  // namespace webhooks
