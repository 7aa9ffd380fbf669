// grpc_load: a closed-loop gRPC load generator for bench/run.sh (callback API). `--streams`
// calls are kept in flight over `--channels` connections for `--duration` after a `--warmup`;
// then it prints one line "qps=Q p50_us=A p99_us=B calls=N errors=E ..." and exits.
//
//   --mode=search   webhooks.v1.WebhookService/SearchWebhooks, the first page of every org's
//                   webhooks (the caller is a cluster administrator); also prints the request
//                   and response sizes, for --mode=echo.
//   --mode=echo     webhooks.bench.Echo/Echo with --request_bytes and --response_bytes.
//   --mode=publish  PublishEvent to the caller's org as fast as it is accepted, or, with
//                   --rate, that many a second (an open loop: each call starts on time
//                   whatever the others do); writes "JOB_ID SEND_TIME_SECONDS" per queued
//                   event to --publish_log (wall clock, to match nginx's $msec).
//                   RESOURCE_EXHAUSTED (queue full) is retried in the closed loop.
//   --mode=fill     turns the cluster WEBHOOK channel on and creates one webhook (to --url)
//                   in each of --orgs orgs, as the token "<--token_prefix><org>"; no timing.
//
// The token is $WEBHOOKD_TOKEN. Only loopback targets are accepted.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bench/echo.grpc.pb.h"
#include "bench/search_page.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "proto/webhook_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address (loopback only)");
ABSL_FLAG(std::string, mode, "search", "search, echo, publish or fill");
ABSL_FLAG(int, streams, 16, "calls kept in flight");
ABSL_FLAG(int, channels, 2, "connections the calls are spread over");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time before measuring");
ABSL_FLAG(int, request_bytes, 0, "echo: request payload bytes");
ABSL_FLAG(int, response_bytes, 0, "echo: response payload bytes");
ABSL_FLAG(std::string, publish_log, "", "publish: where to write job ids and send times");
ABSL_FLAG(double, rate, 0, "publish: calls started per second (0: as fast as accepted)");
ABSL_FLAG(int, orgs, 1, "fill: orgs (org ids 0 .. orgs-1)");
ABSL_FLAG(std::string, token_prefix, "bench-token-", "fill: token of org i is prefix + i");
ABSL_FLAG(std::string, url, "https://example.com/hook", "fill: the webhooks' URL");

namespace {

using Clock = std::chrono::steady_clock;
using webhooks::v1::WebhookService;

double WallSeconds() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // One connection per channel.
    args.SetInt("bench.channel", i);
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// What a call of a mode sends and how it completes. Start() issues one call and runs `done`
// with its status when it completes (on a gRPC thread).
class Caller {
 public:
  virtual ~Caller() = default;
  virtual void Start(int stream, std::function<void(const grpc::Status&)> done) = 0;
};

template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

// Reads each reply as webhooks.bench.SearchWebhooksPage (the same bytes as a
// SearchWebhooksResponse, its webhooks left serialized) so that the client parses a page about
// as cheaply as the echo client parses its reply: the ratio compares the servers, not the
// clients that share their cores. The last page is parsed whole once, as a check.
class SearchCaller : public Caller {
 public:
  using Page = webhooks::bench::SearchWebhooksPage;
  using Stub = grpc::TemplatedGenericStub<webhooks::v1::SearchWebhooksRequest, Page>;

  SearchCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string token)
      : token_(std::move(token)) {
    for (const auto& channel : channels) stubs_.push_back(std::make_unique<Stub>(channel));
  }
  void Start(int stream, std::function<void(const grpc::Status&)> done) override {
    auto* call = new Call<webhooks::v1::SearchWebhooksRequest, Page>();
    call->context.AddMetadata("authorization", token_);
    stubs_[stream % stubs_.size()]->UnaryCall(
        &call->context, "/webhooks.v1.WebhookService/SearchWebhooks", {}, &call->request,
        &call->response, [this, call, done = std::move(done)](grpc::Status status) {
          if (status.ok()) {
            absl::MutexLock lock(&mu_);
            last_page_.Swap(&call->response);
          }
          delete call;
          done(status);
        });
  }
  // The last page's size in bytes and its webhooks, parsed as a SearchWebhooksResponse; -1
  // webhooks if it does not parse.
  std::pair<size_t, int> LastPage() {
    absl::MutexLock lock(&mu_);
    webhooks::v1::SearchWebhooksResponse parsed;
    const std::string bytes = last_page_.SerializeAsString();
    return {bytes.size(), parsed.ParseFromString(bytes) ? parsed.webhooks_size() : -1};
  }

 private:
  std::string token_;
  std::vector<std::unique_ptr<Stub>> stubs_;
  absl::Mutex mu_;
  Page last_page_ ABSL_GUARDED_BY(mu_);
};

class EchoCaller : public Caller {
 public:
  EchoCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string token,
             int request_bytes, int response_bytes)
      : token_(std::move(token)) {
    for (const auto& channel : channels) stubs_.push_back(webhooks::bench::Echo::NewStub(channel));
    request_.set_payload(std::string(static_cast<size_t>(request_bytes), 'r'));
    request_.set_response_bytes(response_bytes);
  }
  void Start(int stream, std::function<void(const grpc::Status&)> done) override {
    auto* call = new Call<webhooks::bench::EchoRequest, webhooks::bench::EchoResponse>();
    call->context.AddMetadata("authorization", token_);
    call->request = request_;
    stubs_[stream % stubs_.size()]->async()->Echo(
        &call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) {
          delete call;
          done(status);
        });
  }

 private:
  std::string token_;
  webhooks::bench::EchoRequest request_;
  std::vector<std::unique_ptr<webhooks::bench::Echo::Stub>> stubs_;
};

class PublishCaller : public Caller {
 public:
  PublishCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string token)
      : token_(std::move(token)) {
    for (const auto& channel : channels) stubs_.push_back(WebhookService::NewStub(channel));
    request_.mutable_run()->mutable_schedule()->set_scheduleid("schedule-1");
    request_.mutable_run()->mutable_schedule()->set_name("Daily report");
    request_.mutable_run()->set_liveboard_id("liveboard-1");
    request_.mutable_run()->set_liveboard_name("Sales");
  }
  void Start(int stream, std::function<void(const grpc::Status&)> done) override {
    auto* call = new Call<webhooks::v1::PublishEventRequest, webhooks::v1::PublishEventResponse>();
    call->context.AddMetadata("authorization", token_);
    call->request = request_;
    const double sent = WallSeconds();
    stubs_[stream % stubs_.size()]->async()->PublishEvent(
        &call->context, &call->request, &call->response,
        [this, call, sent, done = std::move(done)](grpc::Status status) {
          if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
            rejected_.fetch_add(1, std::memory_order_relaxed);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // The queue is full.
          } else if (status.ok() && call->response.has_job_id()) {
            absl::MutexLock lock(&mu_);
            log_.push_back({call->response.job_id(), sent});
          }
          delete call;
          done(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ? grpc::Status::OK
                                                                           : status);
        });
  }
  bool Write(const std::string& path) {
    absl::MutexLock lock(&mu_);
    std::ofstream out(path);
    for (const auto& [job, sent] : log_) out << job << " " << absl::StrFormat("%.6f", sent) << "\n";
    return static_cast<bool>(out);
  }
  size_t queued() {
    absl::MutexLock lock(&mu_);
    return log_.size();
  }
  std::atomic<int64_t> rejected_{0};

 private:
  std::string token_;
  webhooks::v1::PublishEventRequest request_;
  std::vector<std::unique_ptr<WebhookService::Stub>> stubs_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, double>> log_ ABSL_GUARDED_BY(mu_);
};

struct Result {
  double qps = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::string first_error;
};

// Keeps `streams` calls in flight; counts calls that start after the warm-up and end before
// the deadline.
Result RunClosedLoop(Caller& caller, int streams, absl::Duration warmup, absl::Duration duration) {
  const Clock::time_point measure_from = Clock::now() + absl::ToChronoNanoseconds(warmup);
  const Clock::time_point stop_at = measure_from + absl::ToChronoNanoseconds(duration);
  std::vector<std::vector<int64_t>> latencies(streams);
  std::atomic<int64_t> errors{0};
  std::atomic<int> running{streams};
  absl::Mutex error_mu;
  std::string first_error;
  absl::Notification all_done;

  std::function<void(int)> issue = [&](int stream) {
    const Clock::time_point start = Clock::now();
    caller.Start(stream, [&, stream, start](const grpc::Status& status) {
      const Clock::time_point end = Clock::now();
      if (!status.ok()) {
        errors.fetch_add(1);
        absl::MutexLock lock(&error_mu);
        if (first_error.empty()) {
          first_error = absl::StrCat(status.error_code(), " ", status.error_message());
        }
      } else if (start >= measure_from && end <= stop_at) {
        latencies[stream].push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
      }
      if (end < stop_at) {
        issue(stream);
      } else if (running.fetch_sub(1) == 1) {
        all_done.Notify();
      }
    });
  };
  for (int s = 0; s < streams; ++s) issue(s);
  all_done.WaitForNotification();

  std::vector<int64_t> all;
  for (const auto& stream : latencies) all.insert(all.end(), stream.begin(), stream.end());
  std::sort(all.begin(), all.end());
  Result result;
  result.calls = static_cast<int64_t>(all.size());
  result.errors = errors.load();
  result.first_error = first_error;
  result.qps = result.calls / absl::ToDoubleSeconds(duration);
  if (!all.empty()) {
    result.p50_us = all[all.size() / 2] / 1e3;
    result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)] / 1e3;
  }
  return result;
}

// Starts one call every 1/`rate` seconds for `duration`, however many are in flight, then waits
// for the last to end. Latencies as RunClosedLoop's.
Result RunAtRate(Caller& caller, double rate, absl::Duration duration) {
  const Clock::time_point begin = Clock::now();
  const Clock::time_point stop_at = begin + absl::ToChronoNanoseconds(duration);
  const auto period = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate));
  absl::Mutex mu;
  int64_t in_flight = 0;  // Guarded by mu, as are all and result.
  std::vector<int64_t> all;
  Result result;
  for (int64_t n = 0;; ++n) {
    const Clock::time_point slot = begin + n * period;
    if (slot >= stop_at) break;
    std::this_thread::sleep_until(slot);
    {
      absl::MutexLock lock(&mu);
      ++in_flight;
    }
    const Clock::time_point start = Clock::now();
    caller.Start(static_cast<int>(n), [&, start](const grpc::Status& status) {
      const int64_t nanos =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
      absl::MutexLock lock(&mu);
      --in_flight;
      if (!status.ok()) {
        if (result.errors++ == 0) {
          result.first_error = absl::StrCat(status.error_code(), " ", status.error_message());
        }
        return;
      }
      all.push_back(nanos);
    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int64_t* count) { return *count == 0; }, &in_flight));
  std::sort(all.begin(), all.end());
  result.calls = static_cast<int64_t>(all.size());
  result.qps = result.calls / absl::ToDoubleSeconds(duration);
  if (!all.empty()) {
    result.p50_us = all[all.size() / 2] / 1e3;
    result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)] / 1e3;
  }
  return result;
}

void Print(const Result& result, const std::string& extra) {
  std::printf("qps=%.1f p50_us=%.1f p99_us=%.1f calls=%lld errors=%lld%s\n", result.qps,
              result.p50_us, result.p99_us, static_cast<long long>(result.calls),
              static_cast<long long>(result.errors), extra.c_str());
  if (!result.first_error.empty()) {
    std::fprintf(stderr, "grpc_load: first error: %s\n", result.first_error.c_str());
  }
}

// Creates one webhook per org, `streams` at a time. Returns the number that failed.
int Fill(const std::vector<std::shared_ptr<grpc::Channel>>& channels, int orgs, int streams) {
  auto stub = WebhookService::NewStub(channels[0]);
  const std::string prefix = absl::GetFlag(FLAGS_token_prefix);
  {
    webhooks::v1::ConfigureChannelPreferencesRequest preferences;
    auto* cluster = preferences.add_cluster_preferences();
    cluster->set_event_type(webhooks::v1::LIVEBOARD_SCHEDULE);
    cluster->add_channels(webhooks::v1::WEBHOOK);
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", prefix, 0));
    google::protobuf::Empty empty;
    const grpc::Status status = stub->ConfigureChannelPreferences(&context, preferences, &empty);
    if (!status.ok()) {
      std::fprintf(stderr, "grpc_load: preferences: %s\n", status.error_message().c_str());
      return orgs;
    }
  }
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::atomic<int> running{streams};
  absl::Notification all_done;
  std::function<void()> issue = [&]() {
    const int org = next.fetch_add(1);
    if (org >= orgs) {
      if (running.fetch_sub(1) == 1) all_done.Notify();
      return;
    }
    auto* call = new Call<webhooks::v1::CreateWebhookRequest, webhooks::v1::Webhook>();
    call->context.AddMetadata("authorization", absl::StrCat("Bearer ", prefix, org));
    call->request.set_name(absl::StrCat("webhook-", (static_cast<int64_t>(org) * 7919) % orgs));
    call->request.set_description("Webhook for Liveboard schedule");
    call->request.set_url(absl::GetFlag(FLAGS_url));
    call->request.add_events(webhooks::v1::LIVEBOARD_SCHEDULE);
    webhooks::v1::SignatureVerification* signing =
        call->request.mutable_signature_verification();  // Redacted in every search page.
    signing->set_type(webhooks::v1::HMAC_SHA256);
    signing->set_header("X-Webhook-Signature");
    signing->set_algorithm(webhooks::v1::SHA256);
    signing->set_secret(absl::StrCat("signing-secret-of-org-", org));
    stub->async()->CreateWebhook(
        &call->context, &call->request, &call->response, [&, call](grpc::Status status) {
          if (!status.ok() && failed.fetch_add(1) == 0) {
            std::fprintf(stderr, "grpc_load: create: %s\n", status.error_message().c_str());
          }
          delete call;
          issue();
        });
  };
  for (int s = 0; s < streams; ++s) issue();
  all_done.WaitForNotification();
  return failed.load();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  if (!absl::StartsWith(target, "127.0.0.1:") && !absl::StartsWith(target, "localhost:")) {
    std::fprintf(stderr, "grpc_load: --target must be on 127.0.0.1\n");
    return 2;
  }
  const char* env_token = std::getenv("WEBHOOKD_TOKEN");
  const std::string token = absl::StrCat("Bearer ", env_token != nullptr ? env_token : "");
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int streams = std::max(1, absl::GetFlag(FLAGS_streams));
  const auto channels = Channels(target, std::max(1, absl::GetFlag(FLAGS_channels)));
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "grpc_load: cannot connect to %s\n", target.c_str());
      return 1;
    }
  }
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);

  if (mode == "fill") {
    const auto start = Clock::now();
    const int failed = Fill(channels, absl::GetFlag(FLAGS_orgs), streams);
    std::printf("created=%d failed=%d seconds=%.1f\n", absl::GetFlag(FLAGS_orgs) - failed, failed,
                std::chrono::duration<double>(Clock::now() - start).count());
    return failed == 0 ? 0 : 1;
  }
  if (mode == "search") {
    SearchCaller caller(channels, token);
    const Result result = RunClosedLoop(caller, streams, warmup, duration);
    const auto [response_bytes, page_webhooks] = caller.LastPage();
    Print(result,
          absl::StrCat(" request_bytes=", webhooks::v1::SearchWebhooksRequest().ByteSizeLong(),
                       " response_bytes=", response_bytes, " page_webhooks=", page_webhooks));
    return result.errors == 0 ? 0 : 1;
  }
  if (mode == "echo") {
    EchoCaller caller(channels, token, absl::GetFlag(FLAGS_request_bytes),
                      absl::GetFlag(FLAGS_response_bytes));
    const Result result = RunClosedLoop(caller, streams, warmup, duration);
    Print(result, "");
    return result.errors == 0 ? 0 : 1;
  }
  if (mode == "publish") {
    PublishCaller caller(channels, token);
    const double rate = absl::GetFlag(FLAGS_rate);
    const Result result = rate > 0 ? RunAtRate(caller, rate, duration)
                                   : RunClosedLoop(caller, streams, absl::ZeroDuration(), duration);
    Print(result, absl::StrCat(" queued=", caller.queued(), " rejected=", caller.rejected_.load()));
    if (!absl::GetFlag(FLAGS_publish_log).empty() &&
        !caller.Write(absl::GetFlag(FLAGS_publish_log))) {
      std::fprintf(stderr, "grpc_load: cannot write %s\n",
                   absl::GetFlag(FLAGS_publish_log).c_str());
      return 1;
    }
    return result.errors == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "grpc_load: unknown --mode=%s\n", mode.c_str());
  return 2;
}
