// Standard error to a file for the REST property test; see stderr_capture.h.
#include "grpc_service/rest_property/stderr_capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace webhooks {
namespace rest_property {

StderrCapture::StderrCapture() {
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  path_ = absl::StrCat(outputs != nullptr ? outputs : ::testing::TempDir(),
                       "/rest_property_test.stderr.", getpid());
  std::fflush(stderr);
  saved_ = dup(2);
  file_ = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (saved_ >= 0 && file_ >= 0) dup2(file_, 2);
}

StderrCapture::~StderrCapture() {
  Drain();
  if (saved_ >= 0) {
    dup2(saved_, 2);
    close(saved_);
  }
  if (file_ >= 0) close(file_);
  unlink(path_.c_str());
}

std::string StderrCapture::Drain() {
  std::fflush(stderr);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while (file_ >= 0 && (n = pread(file_, buffer, sizeof(buffer), offset_)) > 0) {
    text.append(buffer, n);
    offset_ += n;
  }
  for (size_t done = 0; saved_ >= 0 && done < text.size();) {
    const ssize_t written = write(saved_, text.data() + done, text.size() - done);
    if (written <= 0) break;
    done += written;
  }
  return text;
}

}  // namespace rest_property
}  // namespace webhooks
