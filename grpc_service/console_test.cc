#include "grpc_service/console.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "grpc_service/rest_types.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::optional<RestResponse> Get(const std::string& target, const std::string& method = "GET") {
  RestRequest request;
  request.method = method;
  request.target = target;
  return ServeConsole(request);
}

TEST(ConsoleTest, ServesTheAppWithItsSecurityHeaders) {
  const std::optional<RestResponse> page = Get("/console");
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->Header("Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  EXPECT_EQ(page->Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->Header("Cache-Control"), "no-cache");
  EXPECT_EQ(page->Header("Set-Cookie"), "");
  EXPECT_THAT(page->body, StartsWith("<!doctype html>"));
  EXPECT_THAT(page->body, HasSubstr("<script type=\"module\" src=\"/console/app.js\"></script>"));
}

TEST(ConsoleTest, SlashAndQueryServeTheSamePage) {
  const std::string body = Get("/console")->body;
  EXPECT_EQ(Get("/console/")->body, body);
  EXPECT_EQ(Get("/console?x=1")->body, body);
  EXPECT_EQ(Get("/console/index.html")->body, body);
}

TEST(ConsoleTest, ServesScriptsAndStylesWithTheirTypes) {
  const std::optional<RestResponse> script = Get("/console/app.js");
  ASSERT_TRUE(script.has_value());
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->Header("Content-Type"), "application/javascript; charset=utf-8");
  EXPECT_EQ(script->Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(script->Header("Set-Cookie"), "");
  EXPECT_THAT(script->body, HasSubstr("import "));

  const std::optional<RestResponse> style = Get("/console/style.css");
  ASSERT_TRUE(style.has_value());
  EXPECT_EQ(style->status, 200);
  EXPECT_EQ(style->Header("Content-Type"), "text/css; charset=utf-8");
}

TEST(ConsoleTest, UnknownFileIsNotFound) {
  for (const char* target :
       {"/console/xyz", "/console/../BUILD.bazel", "/console/app.js/", "/console//app.js"}) {
    const std::optional<RestResponse> response = Get(target);
    ASSERT_TRUE(response.has_value()) << target;
    EXPECT_EQ(response->status, 404) << target;
    EXPECT_EQ(response->Header("Content-Type"), "text/plain; charset=utf-8") << target;
    EXPECT_EQ(response->Header("X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(response->Header("Set-Cookie"), "") << target;
  }
}

TEST(ConsoleTest, OtherMethodsAreNotAllowed) {
  const std::optional<RestResponse> response = Get("/console", "POST");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->Header("Allow"), "GET");
}

TEST(ConsoleTest, OtherPathsAreLeftToTheCaller) {
  EXPECT_FALSE(Get("/consoles").has_value());
  EXPECT_FALSE(Get("/metrics").has_value());
  EXPECT_FALSE(Get("/api/rest/2.0/webhooks/search", "POST").has_value());
}

}  // namespace
}  // namespace webhooks
