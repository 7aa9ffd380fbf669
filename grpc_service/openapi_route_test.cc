#include "grpc_service/openapi_route.h"

#include <curl/curl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc_service/test_environment.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace {

struct HttpResult {
  long status = 0;
  std::string content_type;
  std::string body;
};

size_t Append(char* data, size_t size, size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

// One request with libcurl, no Authorization header.
HttpResult Fetch(int port, const std::string& method, const std::string& path) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  const std::string url = absl::StrCat("http://127.0.0.1:", port, path);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  const CURLcode code = curl_easy_perform(curl);
  EXPECT_EQ(code, CURLE_OK) << curl_easy_strerror(code);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) result.content_type = type;
  curl_easy_cleanup(curl);
  return result;
}

TEST(OpenApiRouteTest, ServesTheDocumentWithoutAToken) {
  testing::TestEnvironment env(testing::TestEnvironment::kListen);
  const HttpResult result =
      Fetch(env.server().http_port(), "GET", "/api/rest/2.0/webhooks/openapi.json");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.content_type, "application/json");
  EXPECT_EQ(result.body, OpenApiJson());
  google::protobuf::Struct document;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(result.body, &document).ok());
  EXPECT_EQ(document.fields().at("openapi").string_value(), "3.0.3");
  EXPECT_EQ(document.fields()
                .at("paths")
                .struct_value()
                .fields()
                .at("/api/rest/2.0/webhooks/{webhook_identifier}/update")
                .struct_value()
                .fields()
                .count("post"),
            1);
}

TEST(OpenApiRouteTest, OtherMethodsAre405) {
  testing::TestEnvironment env(testing::TestEnvironment::kListen);
  const HttpResult result =
      Fetch(env.server().http_port(), "POST", "/api/rest/2.0/webhooks/openapi.json");
  EXPECT_EQ(result.status, 405);
  EXPECT_EQ(result.content_type, "application/json");
  EXPECT_EQ(testing::NormalizeUuids(result.body),
            "{\"error\":{\"message\":{\"code\":10002,\"incident_id_guid\":\"<uuid>\","
            "\"trace_id_guid\":\"<uuid>\",\"debug\":\"Method POST is not allowed at path "
            "/api/rest/2.0/webhooks/openapi.json; use GET.\"}}}");
}

TEST(OpenApiRouteTest, LeavesOtherPathsToTheGateway) {
  RestRequest request;
  request.method = "GET";
  request.target = "/api/rest/2.0/webhooks/storage-config";
  EXPECT_FALSE(ServeOpenApi(request).has_value());
  request.target = "/api/rest/2.0/webhooks/openapi.json?pretty=1";
  ASSERT_TRUE(ServeOpenApi(request).has_value());
  EXPECT_EQ(ServeOpenApi(request)->status, 200);
}

}  // namespace
}  // namespace webhooks
