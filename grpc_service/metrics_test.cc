#include "grpc_service/metrics.h"

#include "grpc_service/webhook_service.h"
#include "gtest/gtest.h"
#include "testing/fake_clock.h"

namespace webhooks {
namespace {

TEST(MetricsTest, RendersCountersAndHistogramsInTheExpositionFormat) {
  testing::FakeClock clock;
  Metrics metrics(clock);
  EXPECT_EQ(metrics.Render(),
            "# HELP webhookd_grpc_requests_total gRPC calls handled (REST requests included, as "
            "the calls they make), by status code.\n"
            "# TYPE webhookd_grpc_requests_total counter\n"
            "# HELP webhookd_grpc_request_duration_seconds Time from a gRPC call's arrival to its "
            "status.\n"
            "# TYPE webhookd_grpc_request_duration_seconds histogram\n"
            "# HELP webhookd_http_responses_total REST responses from the gateway, by HTTP status "
            "code.\n"
            "# TYPE webhookd_http_responses_total counter\n");

  const google::protobuf::MethodDescriptor& create =
      *WebhookServiceDescriptor()->FindMethodByName("CreateWebhook");
  metrics.RecordCall(*SearchWebhooksMethod(), grpc::StatusCode::OK, absl::Milliseconds(3));
  metrics.RecordCall(create, grpc::StatusCode::OK,
                     absl::Milliseconds(1));  // On a bucket's bound: counted in it.
  metrics.RecordCall(create, grpc::StatusCode::INVALID_ARGUMENT, absl::Seconds(30));
  metrics.RecordHttpResponse(400);
  metrics.RecordHttpResponse(200);
  metrics.RecordHttpResponse(200);
  const std::string create_buckets =
      "webhookd_grpc_request_duration_seconds_bucket{service=\"webhooks.v1.WebhookService\","
      "method=\"CreateWebhook\",le=\"";
  const std::string search_buckets =
      "webhookd_grpc_request_duration_seconds_bucket{service=\"webhooks.v1.WebhookService\","
      "method=\"SearchWebhooks\",le=\"";
  std::string expected =
      "# HELP webhookd_grpc_requests_total gRPC calls handled (REST requests included, as the "
      "calls they make), by status code.\n"
      "# TYPE webhookd_grpc_requests_total counter\n"
      "webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
      "method=\"CreateWebhook\",code=\"INVALID_ARGUMENT\"} 1\n"
      "webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
      "method=\"CreateWebhook\",code=\"OK\"} 1\n"
      "webhookd_grpc_requests_total{service=\"webhooks.v1.WebhookService\","
      "method=\"SearchWebhooks\",code=\"OK\"} 1\n"
      "# HELP webhookd_grpc_request_duration_seconds Time from a gRPC call's arrival to its "
      "status.\n"
      "# TYPE webhookd_grpc_request_duration_seconds histogram\n";
  const char* bounds[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                          "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
  for (int i = 0; i < 14; ++i) {
    absl::StrAppend(&expected, create_buckets, bounds[i], "\"} ", i >= 1 ? 1 : 0, "\n");
  }
  absl::StrAppend(&expected, create_buckets, "+Inf\"} 2\n",
                  "webhookd_grpc_request_duration_seconds_sum{service=\"webhooks.v1."
                  "WebhookService\",method=\"CreateWebhook\"} 30.001\n",
                  "webhookd_grpc_request_duration_seconds_count{service=\"webhooks.v1."
                  "WebhookService\",method=\"CreateWebhook\"} 2\n");
  for (int i = 0; i < 14; ++i) {
    absl::StrAppend(&expected, search_buckets, bounds[i], "\"} ", i >= 3 ? 1 : 0, "\n");
  }
  absl::StrAppend(&expected, search_buckets, "+Inf\"} 1\n",
                  "webhookd_grpc_request_duration_seconds_sum{service=\"webhooks.v1."
                  "WebhookService\",method=\"SearchWebhooks\"} 0.003\n",
                  "webhookd_grpc_request_duration_seconds_count{service=\"webhooks.v1."
                  "WebhookService\",method=\"SearchWebhooks\"} 1\n",
                  "# HELP webhookd_http_responses_total REST responses from the gateway, by HTTP "
                  "status code.\n"
                  "# TYPE webhookd_http_responses_total counter\n"
                  "webhookd_http_responses_total{code=\"200\"} 2\n"
                  "webhookd_http_responses_total{code=\"400\"} 1\n");
  EXPECT_EQ(metrics.Render(), expected);
  const RestResponse scraped = metrics.Scrape();
  EXPECT_EQ(scraped.status, 200);
  EXPECT_EQ(scraped.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(scraped.body, expected);
}

TEST(MetricsTest, DeliveryFiguresAreAskedForAtEachRender) {
  testing::FakeClock clock;
  DeliveryStats stats;
  Metrics metrics(clock, [&stats] { return stats; });
  stats.pending = 7;
  stats.in_flight = 2;
  stats.attempts_succeeded = 40;
  stats.attempts_retried = 3;
  stats.attempts_failed = 1;
  stats.deferred_in_flight_limit = 12;
  stats.deferred_rate_limit = 5;
  stats.webhooks_disabled_by_breaker = 2;
  stats.oldest_pending_age = absl::Milliseconds(2500);
  stats.attempt_seconds_buckets[1] = 30;  // <= 10 ms
  stats.attempt_seconds_buckets[8] = 13;  // <= 2.5 s
  stats.attempt_seconds_sum = 20.25;
  stats.aws_s3_uploads = {9, 4};
  stats.gcp_gcs_uploads = {6, 1};
  stats.oauth2_fetches_succeeded = 8;
  stats.oauth2_fetches_failed = 3;
  const std::string rendered = metrics.Render();
  EXPECT_EQ(rendered.substr(rendered.find("# HELP webhookd_deliveries_pending")),
            "# HELP webhookd_deliveries_pending Deliveries not yet finished (PENDING or RETRY), "
            "waiting or in flight.\n"
            "# TYPE webhookd_deliveries_pending gauge\n"
            "webhookd_deliveries_pending 7\n"
            "# HELP webhookd_delivery_attempts_in_flight Delivery attempts under way.\n"
            "# TYPE webhookd_delivery_attempts_in_flight gauge\n"
            "webhookd_delivery_attempts_in_flight 2\n"
            "# HELP webhookd_delivery_attempts_total Delivery attempts since the start, by "
            "outcome: delivered, to be tried again, failed for good.\n"
            "# TYPE webhookd_delivery_attempts_total counter\n"
            "webhookd_delivery_attempts_total{outcome=\"success\"} 40\n"
            "webhookd_delivery_attempts_total{outcome=\"retry\"} 3\n"
            "webhookd_delivery_attempts_total{outcome=\"failed\"} 1\n"
            "# HELP webhookd_delivery_oldest_pending_age_seconds How long ago the oldest "
            "unfinished delivery was published; 0 when there is none.\n"
            "# TYPE webhookd_delivery_oldest_pending_age_seconds gauge\n"
            "webhookd_delivery_oldest_pending_age_seconds 2.5\n"
            "# HELP webhookd_delivery_attempt_duration_seconds Time from the start of a delivery "
            "attempt to its outcome.\n"
            "# TYPE webhookd_delivery_attempt_duration_seconds histogram\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.005\"} 0\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.01\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.025\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.05\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.1\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.25\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"0.5\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"1\"} 30\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"2.5\"} 43\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"5\"} 43\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"10\"} 43\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"30\"} 43\n"
            "webhookd_delivery_attempt_duration_seconds_bucket{le=\"+Inf\"} 44\n"
            "webhookd_delivery_attempt_duration_seconds_sum 20.25\n"
            "webhookd_delivery_attempt_duration_seconds_count 44\n"
            "# HELP webhookd_delivery_deferrals_total Due deliveries put off since the start, by "
            "the per-webhook limit that held them: attempts in flight, attempts per second.\n"
            "# TYPE webhookd_delivery_deferrals_total counter\n"
            "webhookd_delivery_deferrals_total{limit=\"in_flight\"} 12\n"
            "webhookd_delivery_deferrals_total{limit=\"rate\"} 5\n"
            "# HELP webhookd_webhooks_disabled_total Webhooks disabled since the start because "
            "every delivery to them failed for --disable_webhook_after_failing_for.\n"
            "# TYPE webhookd_webhooks_disabled_total counter\n"
            "webhookd_webhooks_disabled_total 2\n"
            "# HELP webhookd_storage_uploads_total Report files stored in webhooks' storage "
            "destinations since the start, by provider and outcome.\n"
            "# TYPE webhookd_storage_uploads_total counter\n"
            "webhookd_storage_uploads_total{provider=\"AWS_S3\",outcome=\"success\"} 9\n"
            "webhookd_storage_uploads_total{provider=\"AWS_S3\",outcome=\"failure\"} 4\n"
            "webhookd_storage_uploads_total{provider=\"GCP_GCS\",outcome=\"success\"} 6\n"
            "webhookd_storage_uploads_total{provider=\"GCP_GCS\",outcome=\"failure\"} 1\n"
            "# HELP webhookd_oauth2_token_fetches_total Requests to webhooks' OAuth2 token "
            "endpoints since the start (not tokens reused), by outcome.\n"
            "# TYPE webhookd_oauth2_token_fetches_total counter\n"
            "webhookd_oauth2_token_fetches_total{outcome=\"success\"} 8\n"
            "webhookd_oauth2_token_fetches_total{outcome=\"failure\"} 3\n");
  stats.pending = 0;
  EXPECT_NE(metrics.Render().find("webhookd_deliveries_pending 0\n"), std::string::npos);
}

TEST(MetricsTest, StoreFiguresAreAskedForAtEachRender) {
  testing::FakeClock clock;
  StoreStats stats;
  Metrics metrics(clock, nullptr, [&stats] { return stats; });
  stats.AddSync(absl::Microseconds(300));  // <= 0.5 ms
  stats.AddSync(absl::Milliseconds(4));    // <= 5 ms
  stats.AddSync(absl::Seconds(3));         // Over every bound: +Inf only.
  stats.AddSnapshot(1000);
  stats.AddSnapshot(4096);
  const std::string rendered = metrics.Render();
  std::string expected =
      "# HELP webhookd_store_sync_duration_seconds Time each durable sync of the state store "
      "took (a journal write and fdatasync, a PostgreSQL commit).\n"
      "# TYPE webhookd_store_sync_duration_seconds histogram\n";
  const char* bounds[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
                          "0.05",   "0.1",   "0.25",   "0.5",   "1",    "2.5"};
  for (int i = 0; i < 12; ++i) {
    absl::StrAppend(&expected, "webhookd_store_sync_duration_seconds_bucket{le=\"", bounds[i],
                    "\"} ", i >= 3 ? 2 : 1, "\n");
  }
  absl::StrAppend(&expected,
                  "webhookd_store_sync_duration_seconds_bucket{le=\"+Inf\"} 3\n"
                  "webhookd_store_sync_duration_seconds_sum 3.0043\n"
                  "webhookd_store_sync_duration_seconds_count 3\n"
                  "# HELP webhookd_store_snapshots_total Snapshots of the whole state written to "
                  "the state store since the start.\n"
                  "# TYPE webhookd_store_snapshots_total counter\n"
                  "webhookd_store_snapshots_total 2\n"
                  "# HELP webhookd_store_snapshot_bytes Size of the last snapshot written since "
                  "the start; 0 before the first.\n"
                  "# TYPE webhookd_store_snapshot_bytes gauge\n"
                  "webhookd_store_snapshot_bytes 4096\n");
  ASSERT_NE(rendered.find("# HELP webhookd_store_sync"), std::string::npos);
  EXPECT_EQ(rendered.substr(rendered.find("# HELP webhookd_store_sync")), expected);
  EXPECT_EQ(rendered.find("webhookd_deliveries_pending"), std::string::npos);  // None asked.
}

}  // namespace
}  // namespace webhooks
