#include "engine/base/release_free_memory.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace webhooks {

void ReleaseFreeMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace webhooks
