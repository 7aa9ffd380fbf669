// A small multipart/form-data reader for the example receiver: enough for the bodies webhookd
// sends (RFC 7578), not a general MIME parser.
#ifndef WEBHOOKS_EXAMPLES_RECEIVER_MULTIPART_H_
#define WEBHOOKS_EXAMPLES_RECEIVER_MULTIPART_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace webhooks {
namespace receiver {

struct FormPart {
  std::string name;          // From Content-Disposition: form-data; name="...".
  std::string filename;      // Empty for a field that is not a file.
  std::string content_type;  // Empty if the part has none.
  std::string content;
};

// The boundary parameter of a multipart/form-data Content-Type; kInvalidArgument otherwise.
absl::StatusOr<std::string> BoundaryOf(absl::string_view content_type);

// The parts of `body`, in order. kInvalidArgument for a body that does not follow the format.
absl::StatusOr<std::vector<FormPart>> ParseMultipart(absl::string_view body,
                                                     absl::string_view boundary);

}  // namespace receiver
}  // namespace webhooks

#endif  // WEBHOOKS_EXAMPLES_RECEIVER_MULTIPART_H_
