// StderrCapture: standard error goes to a file while one lives, so the REST property test
// (grpc_service/rest_property_test.cc) reads what the server logs (invariant 2: no secret in
// the log). Drain() returns what was written since the last call and copies it to the real
// standard error. The file is kept in the undeclared test outputs if the test dies (say, a
// sanitizer report).
//
//   StderrCapture capture;            // Before the server starts.
//   ... calls ...
//   if (HasSecret(capture.Drain())) ...
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_STDERR_CAPTURE_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_STDERR_CAPTURE_H_

#include <sys/types.h>

#include <string>

namespace webhooks {
namespace rest_property {

class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  std::string Drain();

 private:
  std::string path_;
  int saved_ = -1;  // The real standard error.
  int file_ = -1;
  off_t offset_ = 0;  // How much of the file Drain() has read.
};

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_STDERR_CAPTURE_H_
