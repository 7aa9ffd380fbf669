// gMock matchers for absl::Status and absl::StatusOr (Debian's Abseil ships none).
//
//   EXPECT_THAT(engine->CreateWebhook(caller, request),
//               StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("url")));
//   ASSERT_OK_AND_ASSIGN(v1::Webhook webhook, engine->CreateWebhook(caller, request));
#ifndef WEBHOOKS_TESTING_STATUS_MATCHERS_H_
#define WEBHOOKS_TESTING_STATUS_MATCHERS_H_

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

// Matches a Status or StatusOr whose code is `code` and whose message matches `message`.
MATCHER_P2(StatusIs, code, message,
           absl::StrCat("has status code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message, std::string(status.message()), result_listener);
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

}  // namespace testing
}  // namespace webhooks

#define WEBHOOKS_TESTING_CONCAT_INNER_(a, b) a##b
#define WEBHOOKS_TESTING_CONCAT_(a, b) WEBHOOKS_TESTING_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::webhooks::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::webhooks::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(WEBHOOKS_TESTING_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_OK(statusor.status());                         \
  lhs = *std::move(statusor)

#endif  // WEBHOOKS_TESTING_STATUS_MATCHERS_H_
