// Metrics: what webhookd counts, for Prometheus to scrape at GET /metrics on the REST listener,
// in the text exposition format 0.0.4.
//
//   webhookd_grpc_requests_total{service,method,code}          counter
//   webhookd_grpc_request_duration_seconds{service,method}     histogram
//   webhookd_http_responses_total{code}                        counter
//   webhookd_deliveries_pending                                gauge
//   webhookd_delivery_attempts_in_flight                       gauge
//   webhookd_delivery_attempts_total{outcome}                  counter (success, retry, failed)
//   ... and the other delivery figures of DeliveryStats, among them
//   webhookd_storage_uploads_total{provider,outcome}           counter (AWS_S3, GCP_GCS;
//                                                                        success, failure)
//   webhookd_oauth2_token_fetches_total{outcome}               counter (success, failure)
//   webhookd_store_sync_duration_seconds                       histogram (StoreStats)
//   webhookd_store_snapshots_total                             counter
//   webhookd_store_snapshot_bytes                              gauge
//
// GrpcService records each call of webhookd's two services, and WebhookServer each REST request
// that reaches a method, under that method (gRPC's health checks are not counted). Labels take
// their values from fixed sets (the server's methods, status codes), never from request data: no
// secret, org or webhook name reaches the metrics, and their number stays bounded.
//
//   Metrics metrics(*SystemClock());
//   ... metrics.RecordCall(*method, status.error_code(), clock.Now() - start) ...
//   ... metrics.RecordHttpResponse(response.status) ...
//   RestResponse scraped = metrics.Scrape();
//
// Thread-safe.
#ifndef WEBHOOKS_GRPC_SERVICE_METRICS_H_
#define WEBHOOKS_GRPC_SERVICE_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"
#include "engine/delivery/delivery_options.h"
#include "engine/persistence/state_store.h"
#include "google/protobuf/descriptor.h"
#include "grpc_service/rest_types.h"
#include "grpcpp/support/status.h"

namespace webhooks {

class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds (then +Inf).
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // `clock` times the calls; not owned, must outlive this object. `deliveries` and `store`, if
  // set, are asked for the delivery and state store figures at each Render.
  explicit Metrics(const Clock& clock, std::function<DeliveryStats()> deliveries = nullptr,
                   std::function<StoreStats()> store = nullptr)
      : clock_(clock), deliveries_(std::move(deliveries)), store_(std::move(store)) {}

  // Status codes 0 (OK) to 16 (UNAUTHENTICATED); RecordCall counts any other as UNKNOWN.
  static constexpr int kStatusCodes = 17;

  // One call of `method` (which must outlive this object, as generated descriptors do) that
  // ended with `code` after `latency`. Allocates nothing once the method has been seen.
  void RecordCall(const google::protobuf::MethodDescriptor& method, grpc::StatusCode code,
                  absl::Duration latency);
  // One REST response with HTTP status `status`.
  void RecordHttpResponse(int status);

  // The exposition text, families in a fixed order and series sorted by their labels.
  std::string Render() const;
  // GET /metrics's answer: 200 with Render() as text/plain; version=0.0.4.
  RestResponse Scrape() const;

  const Clock& clock() const { return clock_; }

 private:
  struct Histogram {
    std::array<uint64_t, kLatencyBuckets.size()> buckets = {};  // Not cumulative.
    uint64_t count = 0;
    double sum = 0;
  };
  struct CallStats {
    std::array<uint64_t, kStatusCodes> by_code = {};
    Histogram latency;
  };

  const Clock& clock_;
  const std::function<DeliveryStats()> deliveries_;
  const std::function<StoreStats()> store_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<const google::protobuf::MethodDescriptor*, CallStats> calls_
      ABSL_GUARDED_BY(mu_);
  std::map<int, uint64_t> http_responses_ ABSL_GUARDED_BY(mu_);
};

}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_METRICS_H_
