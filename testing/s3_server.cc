#include "testing/s3_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

extern char** environ;

namespace webhooks {
namespace testing {
namespace {

// s3rver names every file of an object "<last key segment>._S3rver_<what>"
// (lib/stores/filesystem.js, S3RVER_SUFFIX).
constexpr char kFileInfix[] = "._S3rver_";
constexpr char kObjectSuffix[] = "._S3rver_object";
// What bin/s3rver.js prints once the buckets exist and the socket listens.
constexpr char kListeningLine[] = "S3rver listening on 127.0.0.1:";

constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(5);

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

bool IsValidBucketName(absl::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto letter_or_digit = [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); };
  if (!letter_or_digit(name.front()) || !letter_or_digit(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter_or_digit(c) || c == '.' || c == '-'; });
}

// The node binary: the first on PATH, else Debian's or a local install's. Bazel gives tests a
// minimal PATH, hence the fallbacks.
std::string FindNode() {
  std::vector<std::string> candidates;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "", ':')) {
    if (!dir.empty()) candidates.push_back(absl::StrCat(dir, "/node"));
  }
  candidates.push_back("/usr/bin/node");
  candidates.push_back("/usr/local/bin/node");
  for (const std::string& candidate : candidates) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The port in `log`'s listening line, or 0 until that line is complete.
int ListeningPort(const std::string& log) {
  const size_t start = log.find(kListeningLine);
  if (start == std::string::npos) return 0;
  const size_t digits = start + sizeof(kListeningLine) - 1;
  const size_t end = log.find('\n', digits);
  int port = 0;
  if (end == std::string::npos || !absl::SimpleAtoi(log.substr(digits, end - digits), &port)) {
    return 0;
  }
  return port;
}

}  // namespace

S3Server::S3Server(const std::vector<std::string>& buckets) {
  for (const std::string& bucket : buckets) {
    if (!IsValidBucketName(bucket)) {
      ABSL_RAW_LOG(FATAL, "S3Server: '%s' is not a valid S3 bucket name", bucket.c_str());
    }
  }
  const std::string node = FindNode();
  if (node.empty()) {
    ABSL_RAW_LOG(FATAL,
                 "S3Server: node is not installed (not on PATH, /usr/bin or "
                 "/usr/local/bin): run tools/setup.sh");
  }
  const std::string script = absl::StrCat(kInstallDir, "/node_modules/s3rver/bin/s3rver.js");
  const std::string version = std::string(
      absl::StripAsciiWhitespace(ReadFile(absl::StrCat(kInstallDir, "/VERSION")).value_or("")));
  if (version != kVersion || access(script.c_str(), R_OK) != 0) {
    ABSL_RAW_LOG(FATAL,
                 "S3Server: s3rver %s is not installed in %s (found version '%s'): run "
                 "tools/setup.sh",
                 kVersion, kInstallDir, version.c_str());
  }

  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(
      test_tmpdir != nullptr && *test_tmpdir != '\0' ? test_tmpdir : "/tmp", "/s3rver.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    ABSL_RAW_LOG(FATAL, "S3Server: cannot create %s (errno %d)", pattern.c_str(), errno);
  }
  directory_ = pattern;
  data_directory_ = absl::StrCat(directory_, "/data");

  // Neither --silent (its log tells which request failed and why) nor
  // --allow-mismatched-signatures (keep what checking s3rver does). Port 0: the kernel picks
  // one, which s3rver prints.
  std::vector<std::string> args = {node, script,      "-d", data_directory_,
                                   "-a", "127.0.0.1", "-p", "0"};
  for (const std::string& bucket : buckets) {
    args.push_back("--configure-bucket");
    args.push_back(bucket);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int output[2];
  if (pipe2(output, O_CLOEXEC) != 0) ABSL_RAW_LOG(FATAL, "S3Server: pipe2 failed");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) ABSL_RAW_LOG(FATAL, "S3Server: fork failed (errno %d)", errno);
  if (pid_ == 0) {
    // The child of a threaded process: async-signal-safe calls only until execve. Dying with
    // the parent keeps a crashed or killed test from leaving s3rver running.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (dup2(output[1], STDOUT_FILENO) < 0 || dup2(output[1], STDERR_FILENO) < 0) _exit(127);
    execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  close(output[1]);
  output_fd_ = output[0];
  reader_ = std::thread([this] { ReadOutput(); });

  std::string log;
  {
    absl::MutexLock lock(&mu_);
    auto started = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return output_closed_ || ListeningPort(log_) != 0;
    };
    mu_.AwaitWithTimeout(absl::Condition(&started), kStartTimeout);
    port_ = ListeningPort(log_);
    log = log_;
  }
  if (port_ == 0) {
    // The log may be longer than a raw log line can hold.
    std::fprintf(stderr, "S3Server: s3rver's output:\n%s\n", log.c_str());
    ABSL_RAW_LOG(FATAL, "S3Server: %s %s did not start listening within %s (output above)",
                 node.c_str(), script.c_str(), absl::FormatDuration(kStartTimeout).c_str());
  }
}

S3Server::~S3Server() {
  kill(pid_, SIGTERM);
  bool exited;
  {
    // The pipe closes when s3rver exits (it starts no processes of its own).
    absl::MutexLock lock(&mu_);
    exited = mu_.AwaitWithTimeout(absl::Condition(&output_closed_), kStopTimeout);
  }
  if (!exited) kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  reader_.join();
  close(output_fd_);
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

void S3Server::ReadOutput() {
  char chunk[4096];
  while (true) {
    const ssize_t n = read(output_fd_, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    absl::MutexLock lock(&mu_);
    log_.append(chunk, static_cast<size_t>(n));
  }
  absl::MutexLock lock(&mu_);
  output_closed_ = true;
}

std::string S3Server::endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::string S3Server::log() const {
  absl::MutexLock lock(&mu_);
  return log_;
}

std::string S3Server::ObjectPath(const std::string& bucket, const std::string& key,
                                 const std::string& suffix) const {
  // The last key segment carries the suffix, so the whole key does.
  return absl::StrCat(data_directory_, "/", bucket, "/", key, kFileInfix, suffix);
}

std::vector<std::string> S3Server::ListObjects(const std::string& bucket) const {
  const std::filesystem::path root = std::filesystem::path(data_directory_) / bucket;
  std::vector<std::string> keys;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const std::string relative = it->path().lexically_relative(root).generic_string();
    if (absl::EndsWith(relative, kObjectSuffix)) {
      keys.push_back(relative.substr(0, relative.size() - (sizeof(kObjectSuffix) - 1)));
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::optional<std::string> S3Server::ReadObject(const std::string& bucket,
                                                const std::string& key) const {
  return ReadFile(ObjectPath(bucket, key, "object"));
}

std::optional<std::map<std::string, std::string>> S3Server::ReadMetadata(
    const std::string& bucket, const std::string& key) const {
  if (access(ObjectPath(bucket, key, "object").c_str(), F_OK) != 0) return std::nullopt;
  std::map<std::string, std::string> metadata;
  const std::optional<std::string> json = ReadFile(ObjectPath(bucket, key, "metadata.json"));
  if (json.has_value()) {
    google::protobuf::Struct fields;
    if (!google::protobuf::util::JsonStringToMessage(*json, &fields).ok()) {
      ABSL_RAW_LOG(FATAL, "S3Server: cannot parse s3rver's metadata for %s/%s: %s", bucket.c_str(),
                   key.c_str(), json->c_str());
    }
    for (const auto& [name, value] : fields.fields()) metadata[name] = value.string_value();
  }
  // As s3rver answers a GET of an object stored without a Content-Type (lib/models/object.js).
  metadata.emplace("content-type", "binary/octet-stream");
  return metadata;
}

}  // namespace testing
}  // namespace webhooks
