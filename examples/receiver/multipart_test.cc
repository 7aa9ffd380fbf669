#include "examples/receiver/multipart.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace receiver {
namespace {

using ::webhooks::testing::StatusIs;

TEST(MultipartTest, ReadsPayloadAndFiles) {
  const std::string body =
      "--B\r\nContent-Disposition: form-data; name=\"payload\"\r\n"
      "Content-Type: application/json\r\n\r\n{\"a\":1}\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.pdf\"\r\n"
      "Content-Type: application/pdf\r\n\r\n%PDF\r\n--Bx\r\n"
      "--B--\r\n";
  ASSERT_OK_AND_ASSIGN(std::vector<FormPart> parts, ParseMultipart(body, "B"));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].name, "payload");
  EXPECT_EQ(parts[0].content_type, "application/json");
  EXPECT_EQ(parts[0].content, "{\"a\":1}");
  EXPECT_EQ(parts[1].filename, "r.pdf");
  EXPECT_EQ(parts[1].content, "%PDF\r\n--Bx");  // A near-boundary inside content stays.
}

TEST(MultipartTest, RefusesMalformedBodies) {
  EXPECT_THAT(ParseMultipart("junk", "B"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                    "body does not start with the boundary"));
  EXPECT_THAT(ParseMultipart("--B\r\nContent-Type: x\r\n\r\nnever ends", "B"),
              StatusIs(absl::StatusCode::kInvalidArgument, "part is not terminated by a boundary"));
  EXPECT_THAT(BoundaryOf("application/json"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                       "Content-Type is not multipart/form-data"));
  ASSERT_OK_AND_ASSIGN(std::string boundary, BoundaryOf("multipart/form-data; boundary=abc"));
  EXPECT_EQ(boundary, "abc");
}

}  // namespace
}  // namespace receiver
}  // namespace webhooks
