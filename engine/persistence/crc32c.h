// CRC-32C (Castagnoli), as used by iSCSI, LevelDB and many storage formats. Debian has no C++
// package for it, so it is here: a table-driven software version.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_CRC32C_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace webhooks {
namespace engine_internal {

// The CRC-32C of `data`, continuing from `crc` (the CRC of the bytes before it; 0 to start).
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_CRC32C_H_
