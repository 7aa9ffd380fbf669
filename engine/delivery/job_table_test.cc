#include "engine/delivery/job_table.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace engine_internal {
namespace {

using HistoryJob = v1::ChannelHistoryJob;
using ::testing::ElementsAre;

const absl::Time kStart = absl::FromUnixSeconds(1773824614);

Job NewJob(const std::string& id, absl::Time created) {
  Job job;
  job.record.set_id(id);
  job.record.set_status(HistoryJob::PENDING);
  job.record.set_creation_time_in_millis(absl::ToUnixMillis(created));
  job.owner = {"0", "w1", "hook"};
  job.body = std::make_shared<const std::string>("body");
  job.next_attempt = created;
  return job;
}

state::JobUpdate Update(const std::string& id, HistoryJob::Status status, absl::Time next) {
  state::JobUpdate update;
  update.set_id(id);
  update.set_status(status);
  update.set_try_count(1);
  update.set_detail(status == HistoryJob::SUCCESS ? "" : "HTTP 500");
  update.set_next_attempt_millis(absl::ToUnixMillis(next));
  return update;
}

std::vector<std::string> Ids(const std::vector<HistoryJob>& jobs) {
  std::vector<std::string> ids;
  for (const HistoryJob& job : jobs) ids.push_back(job.id());
  return ids;
}

TEST(JobTableTest, SchedulesUnfinishedJobsInOrder) {
  JobTable table;
  table.Insert(NewJob("b", kStart + absl::Seconds(2)));
  table.Insert(NewJob("a", kStart + absl::Seconds(1)));
  EXPECT_EQ(table.pending(), 2);
  EXPECT_EQ(table.NextDue(), kStart + absl::Seconds(1));
  EXPECT_EQ(table.PopDue(kStart), nullptr);
  EXPECT_EQ(table.PopDue(kStart + absl::Seconds(5))->record.id(), "a");
  EXPECT_EQ(table.PopDue(kStart + absl::Seconds(5))->record.id(), "b");
  EXPECT_EQ(table.PopDue(kStart + absl::Seconds(5)), nullptr);
  EXPECT_EQ(table.pending(), 2);  // Popped jobs are in flight, still unfinished.

  table.ApplyUpdate(Update("a", HistoryJob::RETRY, kStart + absl::Minutes(1)));
  EXPECT_EQ(table.NextDue(), kStart + absl::Minutes(1));
  table.ApplyUpdate(Update("b", HistoryJob::SUCCESS, kStart));
  EXPECT_EQ(table.pending(), 1);
  EXPECT_EQ(table.Find("b")->body, nullptr);  // A finished job drops its body.
  EXPECT_EQ(table.Find("b")->record.status(), HistoryJob::SUCCESS);
}

TEST(JobTableTest, ParkedJobsWaitForUnparkInOrder) {
  JobTable table;
  table.Insert(NewJob("a", kStart));
  table.Insert(NewJob("b", kStart + absl::Seconds(1)));
  table.Insert(NewJob("c", kStart + absl::Seconds(2)));
  const absl::Time now = kStart + absl::Seconds(5);
  for (int i = 0; i < 3; ++i) table.Park(table.PopDue(now)->record.id());
  EXPECT_EQ(table.parked(), 3u);
  EXPECT_EQ(table.PopDue(now), nullptr);
  EXPECT_EQ(table.NextDue(), std::nullopt);
  EXPECT_EQ(table.pending(), 3);
  EXPECT_EQ(table.Unpark("other-webhook", 1), 0);
  EXPECT_EQ(table.Unpark("w1", 2), 2);  // The earliest, at their own next attempt.
  EXPECT_EQ(table.NextDue(), kStart);
  EXPECT_EQ(table.PopDue(now)->record.id(), "a");
  EXPECT_EQ(table.PopDue(now)->record.id(), "b");
  EXPECT_EQ(table.PopDue(now), nullptr);
  // A record applied to a parked job takes it out of the parked jobs.
  table.ApplyUpdate(Update("c", HistoryJob::SUCCESS, kStart));
  EXPECT_EQ(table.parked(), 0u);
  EXPECT_EQ(table.Unpark("w1", 1), 0);
  EXPECT_EQ(table.pending(), 2);
}

TEST(JobTableTest, CountsUnfinishedJobsPerOrg) {
  JobTable table;
  Job other = NewJob("c", kStart);
  other.owner.org_id = "1";
  table.Insert(NewJob("a", kStart));
  table.Insert(NewJob("b", kStart));
  table.Insert(std::move(other));
  EXPECT_EQ(table.pending(), 3);
  EXPECT_EQ(table.pending_of_org("0"), 2);
  EXPECT_EQ(table.pending_of_org("1"), 1);
  EXPECT_EQ(table.pending_of_org("2"), 0);
  table.ApplyUpdate(Update("a", HistoryJob::FAILED, kStart));
  table.ApplyUpdate(Update("c", HistoryJob::SUCCESS, kStart));
  EXPECT_EQ(table.pending_of_org("0"), 1);
  EXPECT_EQ(table.pending_of_org("1"), 0);
  table.Insert(NewJob("b", kStart));  // Replaced by a later record: counted once.
  EXPECT_EQ(table.pending_of_org("0"), 1);
  EXPECT_EQ(table.pending(), 1);
}

TEST(JobTableTest, ReplayedRecordsRebuildTheSameTable) {
  JobTable table;
  Job job = NewJob("a", kStart);
  job.upload = std::make_shared<const state::PendingUpload>();
  job.body.reset();
  state::StateRecord put;
  *put.mutable_put_job() = job.ToStored();
  table.Apply(put);
  state::StateRecord uploaded;
  uploaded.mutable_uploaded_job()->set_id("a");
  uploaded.mutable_uploaded_job()->set_boundary("xyz");
  uploaded.mutable_uploaded_job()->set_body("posted");
  table.Apply(uploaded);
  EXPECT_EQ(table.Find("a")->upload, nullptr);
  EXPECT_EQ(*table.Find("a")->body, "posted");
  // The same job recorded again (in a snapshot and after it): the later record wins, once.
  table.Apply(put);
  EXPECT_EQ(table.pending(), 1);
  EXPECT_NE(table.Find("a")->upload, nullptr);
  state::StateRecord update;
  *update.mutable_update_job() = Update("a", HistoryJob::FAILED, kStart);
  table.Apply(update);
  EXPECT_EQ(table.pending(), 0);
  EXPECT_EQ(table.NextDue(), std::nullopt);
  update.mutable_update_job()->set_id("unknown");
  table.Apply(update);  // Ignored.
}

TEST(JobTableTest, HistoryIsNewestFirstAndPruneKeepsUnfinishedJobs) {
  JobTable table;
  table.Insert(NewJob("old", kStart));
  table.Insert(NewJob("old-pending", kStart + absl::Seconds(1)));
  table.Insert(NewJob("new", kStart + absl::Hours(80)));
  table.ApplyUpdate(Update("old", HistoryJob::SUCCESS, kStart));
  const auto all = [](const JobOwner&, const HistoryJob&) { return true; };
  EXPECT_THAT(Ids(table.History(all)), ElementsAre("new", "old-pending", "old"));
  table.Prune(kStart + absl::Hours(8));
  EXPECT_THAT(Ids(table.History(all)), ElementsAre("new", "old-pending"));
  EXPECT_THAT(
      Ids(table.History([](const JobOwner&, const HistoryJob& job) { return job.id() == "new"; })),
      ElementsAre("new"));
}

TEST(JobTableTest, HistoryKeepsTheNewestMaxJobs) {
  JobTable table;
  table.Insert(NewJob("first", kStart));
  table.Insert(NewJob("second", kStart + absl::Seconds(1)));
  table.Insert(NewJob("third", kStart + absl::Seconds(2)));
  const auto all = [](const JobOwner&, const HistoryJob&) { return true; };
  EXPECT_THAT(Ids(table.History(all, 2)), ElementsAre("third", "second"));
  const auto not_third = [](const JobOwner&, const HistoryJob& job) { return job.id() != "third"; };
  EXPECT_THAT(Ids(table.History(not_third, 1)), ElementsAre("second"));
}

TEST(JobTableTest, PruneKeepsAtMostTheLimitOfFinishedJobsPerOrg) {
  JobTable table(/*max_finished_per_org=*/2);
  const auto all = [](const JobOwner&, const HistoryJob&) { return true; };
  // Org 0 finishes four jobs (one recorded finished, as a replay brings it), and has one pending.
  for (int i = 1; i <= 4; ++i) {
    table.Insert(NewJob(absl::StrCat("a", i), kStart + absl::Seconds(i)));
  }
  table.Insert(NewJob("a-pending", kStart));
  for (const char* id : {"a2", "a1", "a4"}) {
    table.ApplyUpdate(Update(id, HistoryJob::SUCCESS, kStart));
  }
  table.ApplyUpdate(Update("a3", HistoryJob::FAILED, kStart));
  table.ApplyUpdate(Update("a3", HistoryJob::FAILED, kStart));  // Recorded twice: counted once.
  // Org 1 has one finished job.
  Job other = NewJob("b1", kStart);
  other.owner.org_id = "1";
  other.record.set_status(HistoryJob::SUCCESS);
  table.Insert(std::move(other));
  EXPECT_THAT(Ids(table.History(all)), ElementsAre("a4", "a3", "a2", "a1", "b1", "a-pending"));

  // Org 0 keeps its newest two finished jobs, and every unfinished one; org 1 is untouched.
  table.Prune(kStart - absl::Hours(1));
  EXPECT_THAT(Ids(table.History(all)), ElementsAre("a4", "a3", "b1", "a-pending"));
  EXPECT_EQ(table.pending_of_org("0"), 1);

  // A job replaced by a later finished record, and one forgotten at the retention, count once.
  Job replaced = NewJob("a4", kStart + absl::Seconds(4));
  replaced.record.set_status(HistoryJob::SUCCESS);
  table.Insert(std::move(replaced));
  table.Prune(kStart + absl::Seconds(4));  // Forgets a3 (created at +3 s) and b1.
  table.ApplyUpdate(Update("a-pending", HistoryJob::SUCCESS, kStart));
  table.Insert(NewJob("a5", kStart + absl::Seconds(5)));
  table.ApplyUpdate(Update("a5", HistoryJob::SUCCESS, kStart));
  table.Prune(kStart - absl::Hours(1));  // a-pending, now the oldest finished, goes.
  EXPECT_THAT(Ids(table.History(all)), ElementsAre("a5", "a4"));
}

// Each body is "body", 4 bytes.
TEST(JobTableTest, KeepsFailedContentWithinItsBudgetAndRedeliversOnlyFailedJobs) {
  JobTable table(SIZE_MAX, /*max_failed_content_bytes=*/8);
  for (const char* id : {"a", "b", "c", "d"}) table.Insert(NewJob(id, kStart));
  table.ApplyUpdate(Update("a", HistoryJob::FAILED, kStart));
  table.ApplyUpdate(Update("b", HistoryJob::SUCCESS, kStart));
  table.ApplyUpdate(Update("c", HistoryJob::FAILED, kStart + absl::Seconds(1)));
  EXPECT_TRUE(table.Find("a")->has_content());
  EXPECT_FALSE(table.Find("b")->has_content());  // Delivered: nothing to send again.
  EXPECT_TRUE(table.Find("c")->has_content());

  // A third failed body is over the budget: the oldest failed job loses its content.
  table.Insert(NewJob("e", kStart + absl::Seconds(2)));
  table.ApplyUpdate(Update("e", HistoryJob::FAILED, kStart + absl::Seconds(2)));
  EXPECT_FALSE(table.Find("a")->has_content());
  EXPECT_TRUE(table.Find("c")->has_content());
  EXPECT_TRUE(table.Find("e")->has_content());

  // Only a FAILED job with content goes back on the schedule.
  state::JobRedelivery redelivery;
  redelivery.set_requested_by("ops");
  redelivery.set_next_attempt_millis(absl::ToUnixMillis(kStart + absl::Seconds(3)));
  for (const char* id : {"a", "b", "d", "e"}) {
    redelivery.set_id(id);
    table.ApplyRedelivery(redelivery);
  }
  EXPECT_EQ(table.Find("a")->record.status(), HistoryJob::FAILED);
  EXPECT_EQ(table.Find("b")->record.status(), HistoryJob::SUCCESS);
  EXPECT_EQ(table.Find("e")->record.status(), HistoryJob::PENDING);
  EXPECT_EQ(table.Find("e")->record.detail(), "redelivery requested by ops");
  EXPECT_EQ(table.Find("e")->redelivered_by, "ops");
  EXPECT_EQ(table.pending(), 2);  // d (never attempted) and e.
  EXPECT_EQ(table.PopDue(kStart + absl::Seconds(3))->record.id(), "d");
  EXPECT_EQ(table.PopDue(kStart + absl::Seconds(3))->record.id(), "e");

  // e's content left the budget while it is unfinished: a new failure fits beside c's.
  table.Insert(NewJob("f", kStart + absl::Seconds(4)));
  table.ApplyUpdate(Update("f", HistoryJob::FAILED, kStart + absl::Seconds(4)));
  EXPECT_TRUE(table.Find("c")->has_content());
  EXPECT_TRUE(table.Find("f")->has_content());
  table.ApplyUpdate(Update("e", HistoryJob::FAILED, kStart + absl::Seconds(4)));
  EXPECT_EQ(table.Find("e")->redelivered_by, "");
  EXPECT_FALSE(table.Find("c")->has_content());  // The oldest again.
  EXPECT_TRUE(table.Find("e")->has_content());
  EXPECT_TRUE(table.Find("f")->has_content());
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
