// SequentialIds: an IdGenerator that hands out predictable UUID-shaped ids, in order:
// "00000000-0000-4000-8000-000000000001", then ...0002, and so on.
#ifndef WEBHOOKS_TESTING_SEQUENTIAL_IDS_H_
#define WEBHOOKS_TESTING_SEQUENTIAL_IDS_H_

#include <atomic>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/base/id_generator.h"

namespace webhooks {
namespace testing {

// Thread-safe.
class SequentialIds final : public IdGenerator {
 public:
  std::string NewId() override { return absl::StrFormat("00000000-0000-4000-8000-%012d", ++next_); }

 private:
  std::atomic<int64_t> next_{0};
};

}  // namespace testing
}  // namespace webhooks

#endif  // WEBHOOKS_TESTING_SEQUENTIAL_IDS_H_
