// IdGenerator: where new webhook ids come from, injected so tests get predictable ids.
#ifndef WEBHOOKS_ENGINE_BASE_ID_GENERATOR_H_
#define WEBHOOKS_ENGINE_BASE_ID_GENERATOR_H_

#include <string>

namespace webhooks {

// Implementations are thread-safe and never return the same id twice.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewId() = 0;
};

// Random version-4 UUIDs ("27997a8a-cd33-485d-a039-b40b71d191a8") from the system's
// cryptographic generator. Never null; lives for the whole process.
IdGenerator* RandomUuidGenerator();

}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_BASE_ID_GENERATOR_H_
