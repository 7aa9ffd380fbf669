// Kept at this path for hosts that include it: the declarations are in
// engine/base/json_codec.h.
#ifndef WEBHOOKS_ENGINE_JSON_CODEC_H_
#define WEBHOOKS_ENGINE_JSON_CODEC_H_

#include "engine/base/json_codec.h"  // IWYU pragma: export

#endif  // WEBHOOKS_ENGINE_JSON_CODEC_H_
