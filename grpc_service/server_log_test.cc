#include "grpc_service/server_log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1796063462123);  // 2026-11-30T18:31:02.123Z.

LogContext Everything() {
  LogContext context;
  context.request_id = "r-1";
  context.method = "PublishEvent";
  context.org = "0";
  context.webhook_id = "w-1";
  context.job_id = "j-1";
  return context;
}

TEST(LogLineTest, JsonFieldsAfterTheMessageInAFixedOrderOnlyWhenKnown) {
  EXPECT_EQ(LogLine(LogFormat::kJson, kTime, "info", "ready", {}),
            R"({"time":"2026-11-30T18:31:02.123Z","level":"info","message":"ready"})");
  EXPECT_EQ(LogLine(LogFormat::kJson, kTime, "warning", "delivery attempt 1 failed", Everything()),
            R"({"time":"2026-11-30T18:31:02.123Z","level":"warning",)"
            R"("message":"delivery attempt 1 failed","request_id":"r-1","method":"PublishEvent",)"
            R"("org":"0","webhook_id":"w-1","job_id":"j-1"})");
  LogContext some;
  some.webhook_id = "w-\"2\"";
  some.job_id = "j-2";
  EXPECT_EQ(LogLine(LogFormat::kJson, kTime, "error", "a\nb", some),
            R"({"time":"2026-11-30T18:31:02.123Z","level":"error","message":"a\nb",)"
            R"("webhook_id":"w-\"2\"","job_id":"j-2"})");
}

TEST(LogLineTest, TextHasTheSameFieldsAsPairsQuotedWhenNeeded) {
  EXPECT_EQ(LogLine(LogFormat::kText, kTime, "info", "ready", {}), "webhookd: ready");
  EXPECT_EQ(LogLine(LogFormat::kText, kTime, "warning", "attempt failed", Everything()),
            "webhookd: attempt failed request_id=r-1 method=PublishEvent org=0 webhook_id=w-1 "
            "job_id=j-1");
  LogContext odd;
  odd.org = "an org";
  odd.webhook_id = "a=b";
  EXPECT_EQ(LogLine(LogFormat::kText, kTime, "error", "x", odd),
            R"(webhookd: x org="an org" webhook_id="a=b")");
}

TEST(RequestIdTest, UsableIdsAreKeptOthersReplaced) {
  EXPECT_EQ(RequestId("abc-123_x.y"), "abc-123_x.y");
  EXPECT_EQ(RequestId(std::string(64, 'a')), std::string(64, 'a'));
  for (const std::string& unusable : {std::string(), std::string(65, 'a'), std::string("a b"),
                                      std::string("a\nb"), std::string("caf\xc3\xa9")}) {
    EXPECT_THAT(RequestId(unusable), ::testing::MatchesRegex("[0-9a-f]{32}")) << unusable;
  }
  EXPECT_NE(RequestId(""), RequestId(""));
}

}  // namespace
}  // namespace webhooks
