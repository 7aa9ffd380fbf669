// ThoughtSpot's request types over REST, against the exact JSON of its spec: the nullable keys
// of `authentication`, API_KEY's `key`, the free-form `url_params` and fractional epoch millis.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc_service/rest_types.h"
#include "grpc_service/test_environment.h"
#include "gtest/gtest.h"
#include "testing/fake_transport.h"

namespace webhooks {
namespace {

using ::testing::HasSubstr;
using ::webhooks::testing::kUserATestOrg1Token;
using ::webhooks::testing::NormalizeUuids;
using ::webhooks::testing::RestPost;
using ::webhooks::testing::TestEnvironment;

constexpr char kCreate[] = "/api/rest/2.0/webhooks/create";
constexpr char kSearch[] = "/api/rest/2.0/webhooks/search";

// ThoughtSpot's error body with `debug`, the UUIDs normalized.
std::string ErrorBody(absl::string_view debug) {
  return absl::StrCat(R"({"error":{"message":{"code":10002,"incident_id_guid":"<uuid>",)",
                      R"("trace_id_guid":"<uuid>","debug":")", debug, R"("}}})");
}

class RequestTypesTest : public ::testing::Test {
 protected:
  RequestTypesTest()
      : transport_([](const HttpRequest&) {
          HttpResponse ok;
          ok.status = 200;
          return absl::StatusOr<HttpResponse>(ok);
        }),
        env_(TestEnvironment::kInProcess, {}, nullptr, &transport_) {}

  RestResponse Post(absl::string_view path, absl::string_view body) {
    return env_.server().gateway().Handle(RestPost(path, body, kUserATestOrg1Token));
  }

  // Creates webhook "hook" with `fields` (JSON members after name, url and events).
  RestResponse Create(absl::string_view fields) {
    return Post(kCreate, absl::StrCat(R"({"name":"hook","url":"https://r.example/hook",)",
                                      R"("events":["LIVEBOARD_SCHEDULE"])",
                                      fields.empty() ? "" : ",", fields, "}"));
  }

  // The `"authentication":...` member of the search answer for "hook".
  std::string SearchedAuthentication() {
    const std::string body = Post(kSearch, "{}").body;
    const size_t start = body.find(R"("authentication":)");
    const size_t end = body.find(R"(,"signature_verification")");
    if (start == std::string::npos || end == std::string::npos) return body;
    return body.substr(start, end - start);
  }

  testing::FakeTransport transport_;
  TestEnvironment env_;
};

TEST_F(RequestTypesTest, SeveralAuthenticationKindsAre400) {
  const RestResponse both =
      Create(R"("authentication":{"BEARER_TOKEN":"t","API_KEY":{"key":"X-API-Key","value":"k"}})");
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(NormalizeUuids(both.body),
            ErrorBody("authentication must give only one of API_KEY, BASIC_AUTH, BEARER_TOKEN, "
                      "OAUTH2 that is not null: API_KEY is a second one"));
  EXPECT_THAT(both.body, ::testing::Not(HasSubstr("\"k\"")));  // No secret in the answer.
  // Null keys beside one kind are no second kind.
  const RestResponse one = Create(
      R"("authentication":{"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":"t","OAUTH2":null})");
  EXPECT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(SearchedAuthentication(),
            R"("authentication":{"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":"***",)"
            R"("OAUTH2":null})");
}

TEST_F(RequestTypesTest, AuthenticationWithEveryKeyNullIsNone) {
  const RestResponse created = Create(R"("authentication":{"BEARER_TOKEN":null})");
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_THAT(created.body, HasSubstr(R"("authentication":null,)"));

  // On update it removes the authentication, as a search answer of a webhook without one
  // (every key null) sent back would.
  ASSERT_EQ(Post("/api/rest/2.0/webhooks/hook/update", R"({"authentication":{"BEARER_TOKEN":"t"}})")
                .status,
            204);
  EXPECT_EQ(SearchedAuthentication(),
            R"("authentication":{"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":"***",)"
            R"("OAUTH2":null})");
  const RestResponse updated =
      Post("/api/rest/2.0/webhooks/hook/update",
           R"({"authentication":{"API_KEY":null,"BASIC_AUTH":null,"BEARER_TOKEN":null,)"
           R"("OAUTH2":null}})");
  EXPECT_EQ(updated.status, 204) << updated.body;
  EXPECT_EQ(SearchedAuthentication(), R"("authentication":null)");
}

TEST_F(RequestTypesTest, ApiKeyIsAlwaysAHeader) {
  const RestResponse query =
      Create(R"("authentication":{"API_KEY":{"key":"?api_key","value":"secret-key"}})");
  EXPECT_EQ(query.status, 400);
  EXPECT_EQ(NormalizeUuids(query.body),
            ErrorBody("authentication.API_KEY.key must be a header name: the API key is always "
                      "sent as a request header, never as a query parameter"));
  // A placement is no field of ThoughtSpot's API_KEY.
  const RestResponse placement =
      Create(R"("authentication":{"API_KEY":{"key":"api_key","value":"secret-key","in":"query"}})");
  EXPECT_EQ(placement.status, 400);
  EXPECT_EQ(NormalizeUuids(placement.body),
            ErrorBody("invalid JSON body: (authentication.API_KEY) in: Cannot find field."));
  EXPECT_THAT(placement.body, ::testing::Not(HasSubstr("secret-key")));
}

TEST_F(RequestTypesTest, UrlParamsAreAFreeFormObjectOnCreateAndUpdate) {
  const RestResponse created =
      Create(R"("url_params":{"team":"a b","version":2,"ratio":0.5,"debug":true})");
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_THAT(created.body, HasSubstr(R"("url_params":{"debug":"true","ratio":"0.5","team":"a b",)"
                                      R"("version":"2"},)"));
  ASSERT_EQ(
      Post("/api/rest/2.0/webhooks/hook/update", R"({"url_params":{"v":3,"on":false}})").status,
      204);
  EXPECT_THAT(Post(kSearch, "{}").body, HasSubstr(R"("url_params":{"on":"false","v":"3"},)"));

  // Each value goes to the query as that text.
  ASSERT_EQ(Post("/api/rest/2.0/system/communication-channels/validate",
                 R"({"channel_type":"WEBHOOK","channel_identifier":"hook",)"
                 R"("event_type":"LIVEBOARD_SCHEDULE"})")
                .status,
            200);
  ASSERT_EQ(transport_.request_count(), 1u);
  EXPECT_EQ(transport_.requests()[0].url, "https://r.example/hook?on=false&v=3");

  const RestResponse nested =
      Post("/api/rest/2.0/webhooks/hook/update", R"({"url_params":{"v":{"major":3}}})");
  EXPECT_EQ(nested.status, 400);
  EXPECT_EQ(NormalizeUuids(nested.body),
            ErrorBody("url_params.v must be a string, a number or a boolean, not an object"));
}

TEST_F(RequestTypesTest, EpochMillisMayCarryAFraction) {
  ASSERT_EQ(Create("").status, 200);
  ASSERT_EQ(Post("/api/rest/2.0/system/communication-channels/validate",
                 R"({"channel_type":"WEBHOOK","channel_identifier":"hook",)"
                 R"("event_type":"LIVEBOARD_SCHEDULE"})")
                .status,
            200);  // A job created at 1773824614455, the fake clock's start.
  const std::string job =
      R"({"jobs":[{"id":"n.validation-<uuid>","status":"SUCCESS",)"
      R"("creation_time_in_millis":1773824614455,"event":{"type":"LIVEBOARD_SCHEDULE",)"
      R"("id":"validation-<uuid>","name":null,"run_id":null},"recipients":null,"detail":"",)"
      R"("try_count":1}]})";
  auto search = [&](absl::string_view window) {
    return Post("/api/rest/2.0/jobs/history/communication-channels/search",
                absl::StrCat(R"({"channel_type":"WEBHOOK","channel_identifiers":["hook"],)",
                             R"("events":[{"type":"LIVEBOARD_SCHEDULE"}],)", window, "}"));
  };
  RestResponse found = search(R"("start_epoch_time_in_millis":1773824614454.5)");
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(NormalizeUuids(found.body), job);
  EXPECT_EQ(search(R"("start_epoch_time_in_millis":1773824614455.25)").body, R"({"jobs":[]})");
  EXPECT_EQ(NormalizeUuids(search(R"("end_epoch_time_in_millis":1.7738246144555e12)").body), job);
  EXPECT_EQ(search(R"("end_epoch_time_in_millis":1773824614455.0)").body, R"({"jobs":[]})");

  found = search(R"("start_epoch_time_in_millis":"NaN")");
  EXPECT_EQ(found.status, 400);
  EXPECT_EQ(NormalizeUuids(found.body),
            ErrorBody("start_epoch_time_in_millis must be a finite number"));
}

}  // namespace
}  // namespace webhooks
