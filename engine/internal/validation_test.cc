#include "engine/internal/validation.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace webhooks {
namespace engine_internal {
namespace {

using ::webhooks::testing::StatusIs;

v1::Webhook ValidWebhook() {
  v1::Webhook webhook;
  webhook.set_name("webhook-lb-event");
  webhook.set_url("https://example.com/hook");
  webhook.add_events(v1::LIVEBOARD_SCHEDULE);
  return webhook;
}

TEST(ValidateWebhookTest, AcceptsMinimalAndFullConfigurations) {
  EXPECT_OK(ValidateWebhook(ValidWebhook(), EngineLimits()));

  v1::Webhook full = ValidWebhook();
  full.set_url("http://[::1]:8080/path?x=1#frag");
  (*full.mutable_url_params())["version"] = "v1";
  full.mutable_authentication()->mutable_oauth2()->set_authorization_url(
      "https://auth.example.com/token");
  full.mutable_authentication()->mutable_oauth2()->set_client_id("client_123");
  full.mutable_authentication()->mutable_oauth2()->set_client_secret("s3cret");
  full.mutable_signature_verification()->set_type(v1::HMAC_SHA256);
  full.mutable_signature_verification()->set_algorithm(v1::SHA256);
  full.mutable_signature_verification()->set_header("X-Webhook-Signature");
  full.mutable_signature_verification()->set_secret("hmac-secret");
  v1::KeyValue* header = full.add_additional_headers();
  header->set_key("X-Team");
  header->set_value("analytics");
  auto* s3 = full.mutable_storage_destination()->mutable_storage_config()->mutable_aws_s3_config();
  full.mutable_storage_destination()->set_storage_type(v1::AWS_S3);
  s3->set_bucket_name("my-webhook-files");
  s3->set_region("us-west-2");
  s3->set_role_arn("arn:aws:iam::123456789012:role/WebhookDeliveryRole");
  full.set_status(v1::DISABLED);
  EXPECT_OK(ValidateWebhook(full, EngineLimits()));
}

struct Case {
  std::string name;
  std::function<void(v1::Webhook*)> mutate;
  std::string message;
};

class InvalidWebhookTest : public ::testing::TestWithParam<Case> {};

TEST_P(InvalidWebhookTest, NamesTheFieldAndTheRule) {
  v1::Webhook webhook = ValidWebhook();
  GetParam().mutate(&webhook);
  EXPECT_THAT(ValidateWebhook(webhook, EngineLimits()),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
}

v1::SignatureVerification Signature() {
  v1::SignatureVerification signature;
  signature.set_type(v1::HMAC_SHA256);
  signature.set_algorithm(v1::SHA256);
  signature.set_header("X-Sig");
  signature.set_secret("secret");
  return signature;
}

v1::StorageDestination S3() {
  v1::StorageDestination storage;
  storage.set_storage_type(v1::AWS_S3);
  auto* s3 = storage.mutable_storage_config()->mutable_aws_s3_config();
  s3->set_bucket_name("webhook-files");
  s3->set_region("us-east-1");
  s3->set_role_arn("arn:aws:iam::1:role/r");
  return storage;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, InvalidWebhookTest,
    ::testing::Values(
        Case{"NameMissing", [](v1::Webhook* w) { w->clear_name(); }, "name is required"},
        Case{"NameTooLong", [](v1::Webhook* w) { w->set_name(std::string(257, 'n')); },
             "name must be at most 256 characters"},
        Case{"NameControl", [](v1::Webhook* w) { w->set_name("a\nb"); },
             "name must not contain control characters"},
        Case{"DescriptionTooLong",
             [](v1::Webhook* w) { w->set_description(std::string(2049, 'd')); },
             "description must be at most 2048 characters"},
        Case{"UrlMissing", [](v1::Webhook* w) { w->clear_url(); }, "url is required"},
        Case{"UrlScheme", [](v1::Webhook* w) { w->set_url("ftp://example.com"); },
             "url must be an absolute http or https URL"},
        Case{"UrlRelative", [](v1::Webhook* w) { w->set_url("/hook"); },
             "url must be an absolute http or https URL"},
        Case{"UrlNoHost", [](v1::Webhook* w) { w->set_url("https:///hook"); },
             "url must name a host"},
        Case{"UrlCredentials", [](v1::Webhook* w) { w->set_url("https://u:p@example.com/"); },
             "url must not contain user credentials; use authentication instead"},
        Case{"UrlPort", [](v1::Webhook* w) { w->set_url("https://example.com:0/"); },
             "url must have a port from 1 to 65535"},
        Case{"UrlSpace", [](v1::Webhook* w) { w->set_url("https://example.com/a b"); },
             "url must not contain spaces"},
        Case{"UrlCrLf", [](v1::Webhook* w) { w->set_url("https://example.com/\r\nX: y"); },
             "url must not contain control characters"},
        Case{"UrlTooLong",
             [](v1::Webhook* w) { w->set_url("https://example.com/" + std::string(2048, 'a')); },
             "url must be at most 2048 characters"},
        Case{"UrlParamsTooMany",
             [](v1::Webhook* w) {
               for (int i = 0; i < 51; ++i) (*w->mutable_url_params())[std::to_string(i)] = "v";
             },
             "url_params may have at most 50 entries"},
        Case{"EventsEmpty", [](v1::Webhook* w) { w->clear_events(); },
             "At least one event type must be specified in the events field."},
        Case{"EventsUnspecified",
             [](v1::Webhook* w) { w->add_events(v1::EVENT_TYPE_UNSPECIFIED); },
             "events[1] must be LIVEBOARD_SCHEDULE"},
        Case{"EventsRepeated", [](v1::Webhook* w) { w->add_events(v1::LIVEBOARD_SCHEDULE); },
             "events[1] repeats an event type"},
        Case{"AuthenticationEmpty", [](v1::Webhook* w) { w->mutable_authentication(); },
             "authentication must set one of API_KEY, BASIC_AUTH, BEARER_TOKEN, OAUTH2"},
        Case{"ApiKeyNameInvalid",
             [](v1::Webhook* w) {
               auto* key = w->mutable_authentication()->mutable_api_key();
               key->set_key("X Api Key");
               key->set_value("v");
             },
             "authentication.API_KEY.key must be a valid HTTP header name (letters, digits and "
             "!#$%&'*+-.^_`|~)"},
        Case{"ApiKeyNameSetByTheDelivery",
             [](v1::Webhook* w) {
               auto* key = w->mutable_authentication()->mutable_api_key();
               key->set_key("content-type");
               key->set_value("v");
             },
             "authentication.API_KEY.key 'content-type' is set by the delivery itself"},
        Case{"ApiKeyNameIdempotencyKey",
             [](v1::Webhook* w) {
               auto* key = w->mutable_authentication()->mutable_api_key();
               key->set_key("Idempotency-Key");
               key->set_value("v");
             },
             "authentication.API_KEY.key 'Idempotency-Key' is set by the delivery itself"},
        Case{"ApiKeyValueMissing",
             [](v1::Webhook* w) { w->mutable_authentication()->mutable_api_key()->set_key("K"); },
             "authentication.API_KEY.value is required"},
        Case{"BasicPasswordMissing",
             [](v1::Webhook* w) {
               w->mutable_authentication()->mutable_basic_auth()->set_username("u");
             },
             "authentication.BASIC_AUTH.password is required"},
        Case{"BasicUsernameColon",
             [](v1::Webhook* w) {
               auto* basic = w->mutable_authentication()->mutable_basic_auth();
               basic->set_username("a:b");
               basic->set_password("p");
             },
             "authentication.BASIC_AUTH.username must not contain ':'"},
        Case{"BearerEmpty",
             [](v1::Webhook* w) { w->mutable_authentication()->set_bearer_token(""); },
             "authentication.BEARER_TOKEN is required"},
        Case{"BearerHeaderInjection",
             [](v1::Webhook* w) { w->mutable_authentication()->set_bearer_token("t\r\nX: 1"); },
             "authentication.BEARER_TOKEN must not contain control characters"},
        Case{"BearerPlaceholder",
             [](v1::Webhook* w) { w->mutable_authentication()->set_bearer_token("***"); },
             "authentication.BEARER_TOKEN must be the secret itself, not the redacted "
             "placeholder \"***\""},
        Case{"OAuthUrl",
             [](v1::Webhook* w) {
               auto* oauth = w->mutable_authentication()->mutable_oauth2();
               oauth->set_authorization_url("auth.example.com");
               oauth->set_client_id("c");
               oauth->set_client_secret("s");
             },
             "authentication.OAUTH2.authorization_url must be an absolute http or https URL"},
        Case{"OAuthSecretMissing",
             [](v1::Webhook* w) {
               auto* oauth = w->mutable_authentication()->mutable_oauth2();
               oauth->set_authorization_url("https://auth.example.com");
               oauth->set_client_id("c");
             },
             "authentication.OAUTH2.client_secret is required"},
        Case{"SignatureType",
             [](v1::Webhook* w) {
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->clear_type();
             },
             "signature_verification.type must be HMAC_SHA256"},
        Case{"SignatureAlgorithm",
             [](v1::Webhook* w) {
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->clear_algorithm();
             },
             "signature_verification.algorithm must be SHA256"},
        Case{"SignatureHeader",
             [](v1::Webhook* w) {
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->clear_header();
             },
             "signature_verification.header is required"},
        Case{"SignatureHeaderSetByTheDelivery",
             [](v1::Webhook* w) {
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->set_header("Webhook-Signature");
             },
             "signature_verification.header 'Webhook-Signature' is set by the delivery itself"},
        Case{"SignatureHeaderHost",
             [](v1::Webhook* w) {
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->set_header("Host");
             },
             "signature_verification.header 'Host' is set by the delivery itself"},
        Case{"SignatureHeaderAuthorizationWithBearer",
             [](v1::Webhook* w) {
               w->mutable_authentication()->set_bearer_token("t");
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->set_header("Authorization");
             },
             "signature_verification.header 'Authorization' is set by the delivery itself"},
        Case{"HeaderUserAgent",
             [](v1::Webhook* w) {
               auto* h = w->add_additional_headers();
               h->set_key("User-Agent");
               h->set_value("v");
             },
             "additional_headers[0].key 'User-Agent' is set by the delivery itself"},
        Case{"SignatureSecret",
             [](v1::Webhook* w) {
               *w->mutable_signature_verification() = Signature();
               w->mutable_signature_verification()->clear_secret();
             },
             "signature_verification.secret is required"},
        Case{"HeaderName",
             [](v1::Webhook* w) {
               auto* h = w->add_additional_headers();
               h->set_key("Bad:Name");
               h->set_value("v");
             },
             "additional_headers[0].key must be a valid HTTP header name (letters, digits and "
             "!#$%&'*+-.^_`|~)"},
        Case{"HeaderValueCrLf",
             [](v1::Webhook* w) {
               auto* h = w->add_additional_headers();
               h->set_key("X-A");
               h->set_value("v\r\nInjected: 1");
             },
             "additional_headers[0].value must not contain control characters"},
        Case{"HeaderReserved",
             [](v1::Webhook* w) {
               auto* h = w->add_additional_headers();
               h->set_key("Content-Length");
               h->set_value("1");
             },
             "additional_headers[0].key 'Content-Length' is set by the delivery itself"},
        Case{"HeaderRepeated",
             [](v1::Webhook* w) {
               for (const char* key : {"X-A", "x-a"}) {
                 auto* h = w->add_additional_headers();
                 h->set_key(key);
                 h->set_value("v");
               }
             },
             "additional_headers[1].key repeats the header 'x-a'"},
        Case{"HeadersTooMany",
             [](v1::Webhook* w) {
               for (int i = 0; i < 51; ++i) {
                 auto* h = w->add_additional_headers();
                 h->set_key("X-" + std::to_string(i));
                 h->set_value("v");
               }
             },
             "additional_headers may have at most 50 entries"},
        Case{"StorageType",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()->clear_storage_type();
             },
             "storage_destination.storage_type must be AWS_S3 or GCP_GCS"},
        Case{"StorageConfigMissing",
             [](v1::Webhook* w) {
               w->mutable_storage_destination()->set_storage_type(v1::AWS_S3);
             },
             "storage_destination.storage_config is required"},
        Case{"S3ConfigMissing",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()->set_storage_type(v1::GCP_GCS);
             },
             "storage_destination.storage_config.gcp_gcs_config is required when storage_type "
             "is GCP_GCS"},
        Case{"S3Bucket",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()
                   ->mutable_storage_config()
                   ->mutable_aws_s3_config()
                   ->clear_bucket_name();
             },
             "storage_destination.storage_config.aws_s3_config.bucket_name must be a bucket "
             "name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a "
             "letter or digit"},
        Case{"S3BucketNotAHostLabel",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()
                   ->mutable_storage_config()
                   ->mutable_aws_s3_config()
                   ->set_bucket_name("evil.example/x");
             },
             "storage_destination.storage_config.aws_s3_config.bucket_name must be a bucket "
             "name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a "
             "letter or digit"},
        Case{"S3Region",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()
                   ->mutable_storage_config()
                   ->mutable_aws_s3_config()
                   ->set_region("us-east-1.evil.example#");
             },
             "storage_destination.storage_config.aws_s3_config.region must be an AWS region "
             "name such as us-west-2 (lower-case letters, digits and '-', at most 32)"},
        Case{"S3PathPrefix",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()
                   ->mutable_storage_config()
                   ->mutable_aws_s3_config()
                   ->set_path_prefix("/reports");
             },
             "storage_destination.storage_config.aws_s3_config.path_prefix must not start with "
             "'/'"},
        Case{"S3RoleArn",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()
                   ->mutable_storage_config()
                   ->mutable_aws_s3_config()
                   ->set_role_arn("WebhookRole");
             },
             "storage_destination.storage_config.aws_s3_config.role_arn must be an IAM role "
             "ARN (arn:aws:iam::<account-id>:role/<name>)"},
        Case{"S3WithGcs",
             [](v1::Webhook* w) {
               *w->mutable_storage_destination() = S3();
               w->mutable_storage_destination()
                   ->mutable_storage_config()
                   ->mutable_gcp_gcs_config();
             },
             "storage_destination.storage_config.gcp_gcs_config must be absent when "
             "storage_type is AWS_S3"},
        Case{"Status",
             [](v1::Webhook* w) { w->set_status(v1::WEBHOOK_STATUS_UNSPECIFIED); },
             "status must be ENABLED or DISABLED"}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(ValidateWebhookTest, GcsDestinationNamesABucketAndAServiceAccount) {
  v1::Webhook webhook = ValidWebhook();
  v1::StorageDestination* storage = webhook.mutable_storage_destination();
  storage->set_storage_type(v1::GCP_GCS);
  v1::GcpGcsConfig* gcs = storage->mutable_storage_config()->mutable_gcp_gcs_config();
  gcs->set_bucket_name("team_reports");
  gcs->set_service_account_email("writer@project-1.iam.gserviceaccount.com");
  EXPECT_OK(ValidateWebhook(webhook, EngineLimits()));

  gcs->set_service_account_email("../../v1/projects/x@y");
  EXPECT_THAT(ValidateWebhook(webhook, EngineLimits()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "storage_destination.storage_config.gcp_gcs_config.service_account_email "
                       "must be a service account email such as "
                       "name@project.iam.gserviceaccount.com"));
  gcs->set_service_account_email("writer@project-1.iam.gserviceaccount.com");
  gcs->set_bucket_name("Reports");
  EXPECT_THAT(ValidateWebhook(webhook, EngineLimits()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "storage_destination.storage_config.gcp_gcs_config.bucket_name must be a "
                       "bucket name: 3 to 63 lower-case letters, digits, '.', '-' and '_', "
                       "starting and ending with a letter or digit"));
}

TEST(ValidateWebhookTest, AuthorizationIsFreeWhenTheDeliveryDoesNotSetIt) {
  // An API key may travel in Authorization, and so may a signature without authentication.
  v1::Webhook webhook = ValidWebhook();
  webhook.mutable_authentication()->mutable_api_key()->set_key("Authorization");
  webhook.mutable_authentication()->mutable_api_key()->set_value("ApiKey k");
  EXPECT_OK(ValidateWebhook(webhook, EngineLimits()));
  webhook = ValidWebhook();
  *webhook.mutable_signature_verification() = Signature();
  webhook.mutable_signature_verification()->set_header("Authorization");
  EXPECT_OK(ValidateWebhook(webhook, EngineLimits()));
}

TEST(IsHeaderNameTest, FollowsTheTokenGrammar) {
  EXPECT_TRUE(IsHeaderName("X-Webhook-Signature"));
  EXPECT_TRUE(IsHeaderName("x_custom.1~"));
  EXPECT_FALSE(IsHeaderName(""));
  EXPECT_FALSE(IsHeaderName("X Y"));
  EXPECT_FALSE(IsHeaderName("X:Y"));
  EXPECT_FALSE(IsHeaderName("Ü"));
}

}  // namespace
}  // namespace engine_internal
}  // namespace webhooks
