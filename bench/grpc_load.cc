// grpc_load: a closed-loop gRPC load generator for bench/run.sh (callback API). `--streams`
// calls are kept in flight over `--channels` connections for `--duration` after a `--warmup`;
// then it prints one line "qps=Q p50_us=A p99_us=B calls=N errors=E ..." and exits.
//
//   --mode=search   webhooks.v1.WebhookService/SearchWebhooks, the first page of every org's
//                   webhooks (the caller is a cluster administrator); also prints the request
//                   and response sizes. With --echo_target, search and echo (with the
//                   same sizes) take turns, --rounds slices each; the echo line follows,
//                   prefixed "echo ".
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
#include "bench/echo.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "proto/webhook_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address (loopback only)");
ABSL_FLAG(std::string, mode, "search", "search, echo, publish or fill");
ABSL_FLAG(int, streams, 16, "calls kept in flight");
ABSL_FLAG(int, channels, 2, "connections the calls are spread over");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "time before measuring");
ABSL_FLAG(std::string, echo_target, "",
          "search: an echo server to measure in turn with the search, with the page's sizes");
ABSL_FLAG(int, rounds, 5, "search with --echo_target: slices of search, then echo, each");
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

// Calls one method with one request and keeps each reply as the bytes that came, unparsed, so
// that the search and echo clients do the same work per reply: the ratio compares the servers,
// not the clients that share their cores. The last reply is kept to be checked once, at the end.
template <typename Request>
class BytesCaller : public Caller {
 public:
  BytesCaller(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string token,
              std::string method, Request request)
      : token_(std::move(token)), method_(std::move(method)), request_(std::move(request)) {
    for (const auto& channel : channels) stubs_.push_back(std::make_unique<Stub>(channel));
  }
  void Start(int stream, std::function<void(const grpc::Status&)> done) override {
    auto* call = new Call<Request, grpc::ByteBuffer>();
    call->context.AddMetadata("authorization", token_);
    call->request = request_;
    stubs_[stream % stubs_.size()]->UnaryCall(
        &call->context, method_, {}, &call->request, &call->response,
        [this, call, done = std::move(done)](grpc::Status status) {
          if (status.ok()) {
            absl::MutexLock lock(&mu_);
            last_reply_.Swap(&call->response);
          }
          delete call;
          done(status);
        });
  }
  // The last reply's bytes; empty if no call succeeded.
  std::string LastReply() {
    absl::MutexLock lock(&mu_);
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (last_reply_.Valid() && last_reply_.Dump(&slices).ok()) {
      for (const grpc::Slice& slice : slices) {
        bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
      }
    }
    return bytes;
  }

 private:
  using Stub = grpc::TemplatedGenericStub<Request, grpc::ByteBuffer>;
  const std::string token_;
  const std::string method_;
  const Request request_;
  std::vector<std::unique_ptr<Stub>> stubs_;
  absl::Mutex mu_;
  grpc::ByteBuffer last_reply_ ABSL_GUARDED_BY(mu_);
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

// What a run measured: the latency of each call counted, and the calls that failed.
struct Samples {
  std::vector<int64_t> nanos;
  int64_t errors = 0;
  std::string first_error;
  absl::Duration measured;

  void Add(Samples other) {
    nanos.insert(nanos.end(), other.nanos.begin(), other.nanos.end());
    errors += other.errors;
    if (first_error.empty()) first_error = std::move(other.first_error);
    measured += other.measured;
  }
};

struct Result {
  double qps = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::string first_error;
};

Result Summarize(Samples samples) {
  std::sort(samples.nanos.begin(), samples.nanos.end());
  const std::vector<int64_t>& all = samples.nanos;
  Result result;
  result.calls = static_cast<int64_t>(all.size());
  result.errors = samples.errors;
  result.first_error = std::move(samples.first_error);
  result.qps = result.calls / absl::ToDoubleSeconds(samples.measured);
  if (!all.empty()) {
    result.p50_us = all[all.size() / 2] / 1e3;
    result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)] / 1e3;
  }
  return result;
}

// Keeps `streams` calls in flight; counts calls that start after the warm-up and end before
// the deadline.
Samples RunClosedLoop(Caller& caller, int streams, absl::Duration warmup, absl::Duration duration) {
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

  Samples samples;
  for (const auto& stream : latencies) {
    samples.nanos.insert(samples.nanos.end(), stream.begin(), stream.end());
  }
  samples.errors = errors.load();
  samples.first_error = std::move(first_error);
  samples.measured = duration;
  return samples;
}

// Starts one call every 1/`rate` seconds for `duration`, however many are in flight, then waits
// for the last to end. Latencies as RunClosedLoop's.
Samples RunAtRate(Caller& caller, double rate, absl::Duration duration) {
  const Clock::time_point begin = Clock::now();
  const Clock::time_point stop_at = begin + absl::ToChronoNanoseconds(duration);
  const auto period = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate));
  absl::Mutex mu;
  int64_t in_flight = 0;  // Guarded by mu, as is samples.
  Samples samples;
  samples.measured = duration;
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
        if (samples.errors++ == 0) {
          samples.first_error = absl::StrCat(status.error_code(), " ", status.error_message());
        }
        return;
      }
      samples.nanos.push_back(nanos);
    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int64_t* count) { return *count == 0; }, &in_flight));
  return samples;
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

// An echo request whose serialized size is about `request_bytes` and whose reply is
// `response_bytes` long.
webhooks::bench::EchoRequest EchoRequest(size_t request_bytes, size_t response_bytes) {
  webhooks::bench::EchoRequest request;
  request.set_payload(std::string(request_bytes, 'r'));
  request.set_response_bytes(static_cast<int>(response_bytes));
  return request;
}

// " request_bytes=R response_bytes=B page_webhooks=W" for the last page `search` received
// (W is -1 if it does not parse).
std::string PageSizes(BytesCaller<webhooks::v1::SearchWebhooksRequest>& search) {
  const std::string page = search.LastReply();
  webhooks::v1::SearchWebhooksResponse parsed;
  return absl::StrCat(" request_bytes=", webhooks::v1::SearchWebhooksRequest().ByteSizeLong(),
                      " response_bytes=", page.size(), " page_webhooks=",
                      parsed.ParseFromString(page) ? parsed.webhooks_size() : -1);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  for (const std::string& address : {target, absl::GetFlag(FLAGS_echo_target)}) {
    if (!address.empty() && !absl::StartsWith(address, "127.0.0.1:") &&
        !absl::StartsWith(address, "localhost:")) {
      std::fprintf(stderr, "grpc_load: --target and --echo_target must be on 127.0.0.1\n");
      return 2;
    }
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
    BytesCaller<webhooks::v1::SearchWebhooksRequest> search(
        channels, token, "/webhooks.v1.WebhookService/SearchWebhooks", {});
    const std::string echo_target = absl::GetFlag(FLAGS_echo_target);
    if (echo_target.empty()) {
      const Result result = Summarize(RunClosedLoop(search, streams, warmup, duration));
      Print(result, PageSizes(search));
      return result.errors == 0 ? 0 : 1;
    }
    // Slices of search and echo in turn, so that both meet the machine in the same state.
    const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
    const absl::Duration slice = duration / rounds;
    Samples searched = RunClosedLoop(search, streams, warmup, slice);
    const auto echo_channels = Channels(echo_target, std::max(1, absl::GetFlag(FLAGS_channels)));
    BytesCaller<webhooks::bench::EchoRequest> echo(
        echo_channels, token, "/webhooks.bench.Echo/Echo",
        EchoRequest(webhooks::v1::SearchWebhooksRequest().ByteSizeLong(),
                    search.LastReply().size()));
    Samples echoed = RunClosedLoop(echo, streams, warmup, slice);
    for (int round = 1; round < rounds; ++round) {
      searched.Add(RunClosedLoop(search, streams, absl::ZeroDuration(), slice));
      echoed.Add(RunClosedLoop(echo, streams, absl::ZeroDuration(), slice));
    }
    const Result search_result = Summarize(std::move(searched));
    Print(search_result, PageSizes(search));
    const Result echo_result = Summarize(std::move(echoed));
    std::printf("echo ");
    Print(echo_result, absl::StrCat(" response_bytes=", echo.LastReply().size()));
    return search_result.errors == 0 && echo_result.errors == 0 ? 0 : 1;
  }
  if (mode == "echo") {
    BytesCaller<webhooks::bench::EchoRequest> caller(
        channels, token, "/webhooks.bench.Echo/Echo",
        EchoRequest(absl::GetFlag(FLAGS_request_bytes), absl::GetFlag(FLAGS_response_bytes)));
    const Result result = Summarize(RunClosedLoop(caller, streams, warmup, duration));
    Print(result, absl::StrCat(" response_bytes=", caller.LastReply().size()));
    return result.errors == 0 ? 0 : 1;
  }
  if (mode == "publish") {
    PublishCaller caller(channels, token);
    const double rate = absl::GetFlag(FLAGS_rate);
    const Result result =
        Summarize(rate > 0 ? RunAtRate(caller, rate, duration)
                           : RunClosedLoop(caller, streams, absl::ZeroDuration(), duration));
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
