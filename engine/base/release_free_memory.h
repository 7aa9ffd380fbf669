// ReleaseFreeMemory: hands the allocator's free pages back to the system.
#ifndef WEBHOOKS_ENGINE_BASE_RELEASE_FREE_MEMORY_H_
#define WEBHOOKS_ENGINE_BASE_RELEASE_FREE_MEMORY_H_

namespace webhooks {

// A snapshot's working set (the whole state, copied, then serialized) is freed once it is
// written, but glibc's allocator keeps such pages as free memory of the process, so each
// snapshot would leave resident memory at its peak. Calling this after one hands them back:
// resident memory then follows the state kept, not the largest snapshot taken. A no-op without
// glibc.
void ReleaseFreeMemory();

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_BASE_RELEASE_FREE_MEMORY_H_
