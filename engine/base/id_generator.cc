#include "engine/base/id_generator.h"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdlib>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace webhooks {
namespace {

class UuidGenerator final : public IdGenerator {
 public:
  std::string NewId() override {
    uint8_t bytes[16];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      // Without entropy no id is safe to hand out; this does not happen on a working system.
      ABSL_RAW_LOG(FATAL, "RAND_bytes failed");
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;  // Version 4.
    bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant.
    const std::string hex = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
    return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                        hex.substr(16, 4), "-", hex.substr(20));
  }
};

}  // namespace

IdGenerator* RandomUuidGenerator() {
  static UuidGenerator* const generator = new UuidGenerator();
  return generator;
}

}  // namespace webhooks
