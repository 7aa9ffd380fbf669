// The generators of the REST property test (grpc_service/rest_property_test.cc): a seeded
// random source and the random values requests are made of. Each seed makes its own orgs and
// users (random privileges among ADMINISTRATION, DEVELOPER, CAN_MANAGE_WEBHOOKS,
// APPLICATION_ADMINISTRATION or none, memberships of several orgs, one token per membership,
// RBAC on for odd seeds); requests then pick callers, names, URLs, secrets, credentials,
// identifiers and channels, valid or not, recording in a Draft what the model needs to know.
// Every secret (the callers' tokens except kAdminToken, webhook credentials, signing secrets)
// is a fresh marker "SeKr3t<12 hex digits>t3rKeS" (model.h).
//
// The draws are the test's sequence: for a seed to replay, every value must be drawn in the
// same order, so a generator draws exactly as many times as it always did.
//
//   Rng rng(seed);
//   Model model(MakePrincipals(seed, rng));
//   Generator generator(&rng, &model);
//   const Caller& caller = generator.PickCaller();
#ifndef WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_GENERATORS_H_
#define WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_GENERATORS_H_

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc_service/rest_property/model.h"

namespace webhooks {
namespace rest_property {

// Where the fake receiver hands out OAuth2 access tokens.
inline constexpr absl::string_view kTokenUrl = "https://auth.example/oauth/token";

// A seeded random source (std::mt19937_64) with the draws the generators use.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // 0 .. n-1.
  int Below(size_t n) { return static_cast<int>(engine_() % n); }
  bool Percent(int p) { return Below(100) < p; }
  template <typename T>
  const T& Of(const std::vector<T>& choices) {
    return choices[Below(choices.size())];
  }
  std::string Hex(int digits);

 private:
  std::mt19937_64 engine_;
};

// A fresh secret marker.
std::string NewSecret(Rng& rng);

// Orgs (Primary and 2 to 4 more), users (five fixed roles and 2 to 4 random ones) and one
// token per membership; RBAC on for odd seeds.
Principals MakePrincipals(uint64_t seed, Rng& rng);

// The random parts of requests, drawn from `rng` and, for identifiers, from what `model`
// holds. The Pick* functions that can choose a value the server must refuse say so in
// `*valid` or in the draft.
class Generator {
 public:
  Generator(Rng* rng, const Model* model) : rng_(*rng), model_(*model) {}

  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  Rng& rng() { return rng_; }
  const Model& model() const { return model_; }

  std::string NewSecret() { return rest_property::NewSecret(rng_); }

  // A caller: usually one of the principals, sometimes no token or an unknown one. The
  // reference holds until the next PickCaller.
  const Caller& PickCaller();

  std::string PickName(bool* valid);
  std::string PickUrl(bool* valid);
  // A secret: usually a fresh marker; sometimes "***" (`*redacted`) or one validation refuses.
  std::string PickSecret(bool* valid, bool* redacted);
  // The JSON of an `authentication` object; sets the draft's auth fields.
  std::string PickAuthentication(Draft* draft);
  std::string PickSignature(Draft* draft);
  // An AWS S3 destination (the only storage type every version of the server takes).
  std::string PickStorage(Draft* draft);
  std::string PickStatus(Draft* draft);
  // Sometimes puts a stray token right after the first secret of `body`, so protobuf's parser
  // refuses it there (its message used to quote the body around that place: a secret).
  void MaybeBreakSyntax(std::string* body, Draft* draft);
  // An id or name of a webhook: the caller's own, another org's, a deleted one, or none.
  std::string PickIdentifier(const Caller& caller);
  std::string PickOrgIdentifier(const Caller& caller);
  // A JSON list of channels, with the channels the server keeps (sorted, no repeats) in
  // `*normalized`.
  std::string PickChannels(std::vector<std::string>* normalized);

 private:
  Rng& rng_;
  const Model& model_;
  Caller stranger_;  // The unknown caller, with a fresh token each time.
};

}  // namespace rest_property
}  // namespace webhooks

#endif  // WEBHOOKS_GRPC_SERVICE_REST_PROPERTY_GENERATORS_H_
