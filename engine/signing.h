// Kept at this path for hosts that include it: the declarations are in
// engine/delivery/signing.h.
#ifndef WEBHOOKS_ENGINE_SIGNING_H_
#define WEBHOOKS_ENGINE_SIGNING_H_

#include "engine/delivery/signing.h"  // IWYU pragma: export

#endif  // WEBHOOKS_ENGINE_SIGNING_H_
