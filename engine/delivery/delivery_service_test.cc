#include "engine/delivery/delivery_service.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"
#include "testing/sequential_ids.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

// A snapshot holds the delivery lock only to copy the jobs' small records: the report files
// in their bodies are shared, and copied (Job::ToStored) by the engine after the lock is gone,
// so attempts that finish meanwhile are not held up.
TEST(DeliveryServiceTest, CollectingJobsForASnapshotCopiesNoBody) {
  testing::FakeClock clock;
  testing::SequentialIds ids;
  testing::FakeTransport transport;
  NullStateStore store;
  DeliveryOptions options;
  options.transport = &transport;
  options.run_dispatcher = false;
  DeliveryService service(
      options, clock, ids, store,
      [](const std::string&) -> absl::StatusOr<v1::Webhook> {
        return absl::NotFoundError("no webhook");
      },
      [](const std::string&, absl::Time) { return std::string(); },
      [](const std::string& org_id) { return "id-of-" + org_id; },
      [](const std::string&) { return absl::OkStatus(); });
  v1::Webhook webhook;
  webhook.set_id("w1");
  webhook.set_name("hook");
  webhook.mutable_org()->set_id("0");
  webhook.set_url("https://receiver.example/hook");
  v1::LiveboardScheduleRun run;
  run.mutable_schedule()->set_scheduleid("s1");
  google::protobuf::RepeatedPtrField<v1::EventFile> files;
  v1::EventFile* file = files.Add();
  file->set_name("report.pdf");
  file->set_content(std::string(1 << 20, 'r'));
  ASSERT_OK_AND_ASSIGN(const std::string id, service.Enqueue(webhook, run, files, /*org_share=*/1));

  int started = 0;
  const std::vector<Job> first = service.CollectForSnapshot([&] { ++started; });
  const std::vector<Job> second = service.CollectForSnapshot([&] { ++started; });
  EXPECT_EQ(started, 2);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0].record.id(), id);
  ASSERT_NE(first[0].body, nullptr);
  EXPECT_EQ(first[0].body.get(), second[0].body.get());  // Shared with the table, not copied.
  EXPECT_EQ(first[0].ToStored().body(), *first[0].body);
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
