#include "grpc_service/metrics.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace webhooks {
namespace {

// A label value as the exposition format quotes it.
std::string Quoted(absl::string_view value) {
  return absl::StrCat(
      "\"", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}), "\"");
}

std::string Number(double value) { return absl::StrFormat("%.9g", value); }

void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// The series of histogram `name` without labels: `buckets` holds a count per bound of `bounds`
// (not cumulative); `count` counts the observations above the last bound too.
template <size_t kBounds>
void AppendHistogram(std::string* out, absl::string_view name, const double (&bounds)[kBounds],
                     const uint64_t (&buckets)[kBounds], uint64_t count, double sum) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds; ++i) {
    cumulative += buckets[i];
    absl::StrAppend(out, name, "_bucket{le=", Quoted(Number(bounds[i])), "} ", cumulative, "\n");
  }
  absl::StrAppend(out, name, "_bucket{le=\"+Inf\"} ", count, "\n", name, "_sum ", Number(sum), "\n",
                  name, "_count ", count, "\n");
}

// The status codes in the order of their names, as the calls' series are sorted.
std::vector<grpc::StatusCode> CodesByName() {
  std::vector<grpc::StatusCode> codes;
  for (int code = 0; code < Metrics::kStatusCodes; ++code) {
    codes.push_back(static_cast<grpc::StatusCode>(code));
  }
  std::sort(codes.begin(), codes.end(), [](grpc::StatusCode a, grpc::StatusCode b) {
    return absl::StatusCodeToString(static_cast<absl::StatusCode>(a)) <
           absl::StatusCodeToString(static_cast<absl::StatusCode>(b));
  });
  return codes;
}

}  // namespace

void Metrics::RecordCall(const google::protobuf::MethodDescriptor& method, grpc::StatusCode code,
                         absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  const size_t code_index = code >= 0 && code < kStatusCodes ? code : grpc::StatusCode::UNKNOWN;
  absl::MutexLock lock(&mu_);
  CallStats& stats = calls_[&method];
  ++stats.by_code[code_index];
  size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  if (bucket < kLatencyBuckets.size()) ++stats.latency.buckets[bucket];
  ++stats.latency.count;
  stats.latency.sum += seconds;
}

void Metrics::RecordHttpResponse(int status) {
  absl::MutexLock lock(&mu_);
  ++http_responses_[status];
}

std::string Metrics::Render() const {
  // Asked before taking the lock: the engine takes locks of its own.
  const std::optional<DeliveryStats> deliveries =
      deliveries_ != nullptr ? std::make_optional(deliveries_()) : std::nullopt;
  const std::optional<StoreStats> store =
      store_ != nullptr ? std::make_optional(store_()) : std::nullopt;
  absl::MutexLock lock(&mu_);
  std::string out;
  // Series sorted by service, then method, then code name.
  std::vector<std::pair<const google::protobuf::MethodDescriptor*, const CallStats*>> calls;
  for (const auto& [method, stats] : calls_) calls.emplace_back(method, &stats);
  std::sort(calls.begin(), calls.end(), [](const auto& a, const auto& b) {
    return std::forward_as_tuple(a.first->service()->full_name(), a.first->name()) <
           std::forward_as_tuple(b.first->service()->full_name(), b.first->name());
  });
  const auto labels = [](const google::protobuf::MethodDescriptor& method) {
    return absl::StrCat("service=", Quoted(method.service()->full_name()),
                        ",method=", Quoted(method.name()));
  };
  Family(&out, "webhookd_grpc_requests_total", "counter",
         "gRPC calls handled (REST requests included, as the calls they make), by status code.");
  static const std::vector<grpc::StatusCode>* const codes_by_name =
      new std::vector<grpc::StatusCode>(CodesByName());
  for (const auto& [method, stats] : calls) {
    for (const grpc::StatusCode code : *codes_by_name) {
      if (stats->by_code[code] == 0) continue;
      absl::StrAppend(&out, "webhookd_grpc_requests_total{", labels(*method), ",code=",
                      Quoted(absl::StatusCodeToString(static_cast<absl::StatusCode>(code))), "} ",
                      stats->by_code[code], "\n");
    }
  }
  Family(&out, "webhookd_grpc_request_duration_seconds", "histogram",
         "Time from a gRPC call's arrival to its status.");
  for (const auto& [method, stats] : calls) {
    const std::string series = labels(*method);
    const Histogram& histogram = stats->latency;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      absl::StrAppend(&out, "webhookd_grpc_request_duration_seconds_bucket{", series,
                      ",le=", Quoted(Number(kLatencyBuckets[i])), "} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "webhookd_grpc_request_duration_seconds_bucket{", series,
                    ",le=\"+Inf\"} ", histogram.count, "\n",
                    "webhookd_grpc_request_duration_seconds_sum{", series, "} ",
                    Number(histogram.sum), "\n", "webhookd_grpc_request_duration_seconds_count{",
                    series, "} ", histogram.count, "\n");
  }
  Family(&out, "webhookd_http_responses_total", "counter",
         "REST responses from the gateway, by HTTP status code.");
  for (const auto& [status, count] : http_responses_) {
    absl::StrAppend(&out, "webhookd_http_responses_total{code=\"", status, "\"} ", count, "\n");
  }
  if (deliveries.has_value()) {
    Family(&out, "webhookd_deliveries_pending", "gauge",
           "Deliveries not yet finished (PENDING or RETRY), waiting or in flight.");
    absl::StrAppend(&out, "webhookd_deliveries_pending ", deliveries->pending, "\n");
    Family(&out, "webhookd_delivery_attempts_in_flight", "gauge", "Delivery attempts under way.");
    absl::StrAppend(&out, "webhookd_delivery_attempts_in_flight ", deliveries->in_flight, "\n");
    Family(&out, "webhookd_delivery_attempts_total", "counter",
           "Delivery attempts since the start, by outcome: delivered, to be tried again, failed "
           "for good.");
    absl::StrAppend(
        &out, "webhookd_delivery_attempts_total{outcome=\"success\"} ",
        deliveries->attempts_succeeded, "\n",
        "webhookd_delivery_attempts_total{outcome=\"retry\"} ", deliveries->attempts_retried, "\n",
        "webhookd_delivery_attempts_total{outcome=\"failed\"} ", deliveries->attempts_failed, "\n");
    Family(&out, "webhookd_delivery_oldest_pending_age_seconds", "gauge",
           "How long ago the oldest unfinished delivery was published; 0 when there is none.");
    absl::StrAppend(&out, "webhookd_delivery_oldest_pending_age_seconds ",
                    Number(absl::ToDoubleSeconds(deliveries->oldest_pending_age)), "\n");
    Family(&out, "webhookd_delivery_attempt_duration_seconds", "histogram",
           "Time from the start of a delivery attempt to its outcome.");
    AppendHistogram(
        &out, "webhookd_delivery_attempt_duration_seconds", DeliveryStats::kAttemptSecondsBounds,
        deliveries->attempt_seconds_buckets,
        deliveries->attempts_succeeded + deliveries->attempts_retried + deliveries->attempts_failed,
        deliveries->attempt_seconds_sum);
    Family(&out, "webhookd_delivery_deferrals_total", "counter",
           "Due deliveries put off since the start, by the per-webhook limit that held them: "
           "attempts in flight, attempts per second.");
    absl::StrAppend(&out, "webhookd_delivery_deferrals_total{limit=\"in_flight\"} ",
                    deliveries->deferred_in_flight_limit, "\n",
                    "webhookd_delivery_deferrals_total{limit=\"rate\"} ",
                    deliveries->deferred_rate_limit, "\n");
    Family(&out, "webhookd_webhooks_disabled_total", "counter",
           "Webhooks disabled since the start because every delivery to them failed for "
           "--disable_webhook_after_failing_for.");
    absl::StrAppend(&out, "webhookd_webhooks_disabled_total ",
                    deliveries->webhooks_disabled_by_breaker, "\n");
    Family(&out, "webhookd_storage_uploads_total", "counter",
           "Report files stored in webhooks' storage destinations since the start, by provider "
           "and outcome.");
    for (const auto& [provider, uploads] : {std::pair<const char*, const DeliveryStats::Uploads*>{
                                                "AWS_S3", &deliveries->aws_s3_uploads},
                                            {"GCP_GCS", &deliveries->gcp_gcs_uploads}}) {
      absl::StrAppend(&out, "webhookd_storage_uploads_total{provider=\"", provider,
                      "\",outcome=\"success\"} ", uploads->succeeded, "\n",
                      "webhookd_storage_uploads_total{provider=\"", provider,
                      "\",outcome=\"failure\"} ", uploads->failed, "\n");
    }
    Family(&out, "webhookd_oauth2_token_fetches_total", "counter",
           "Requests to webhooks' OAuth2 token endpoints since the start (not tokens reused), by "
           "outcome.");
    absl::StrAppend(&out, "webhookd_oauth2_token_fetches_total{outcome=\"success\"} ",
                    deliveries->oauth2_fetches_succeeded, "\n",
                    "webhookd_oauth2_token_fetches_total{outcome=\"failure\"} ",
                    deliveries->oauth2_fetches_failed, "\n");
  }
  if (store.has_value()) {
    Family(&out, "webhookd_store_sync_duration_seconds", "histogram",
           "Time each durable sync of the state store took (a journal write and fdatasync, a "
           "PostgreSQL commit).");
    AppendHistogram(&out, "webhookd_store_sync_duration_seconds", StoreStats::kSyncSecondsBounds,
                    store->sync_seconds_buckets, store->syncs, store->sync_seconds_sum);
    Family(&out, "webhookd_store_snapshots_total", "counter",
           "Snapshots of the whole state written to the state store since the start.");
    absl::StrAppend(&out, "webhookd_store_snapshots_total ", store->snapshots, "\n");
    Family(&out, "webhookd_store_snapshot_bytes", "gauge",
           "Size of the last snapshot written since the start; 0 before the first.");
    absl::StrAppend(&out, "webhookd_store_snapshot_bytes ", store->last_snapshot_bytes, "\n");
  }
  return out;
}

RestResponse Metrics::Scrape() const {
  RestResponse response;
  response.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
  response.body = Render();
  return response;
}

}  // namespace webhooks
