// RETURN_IF_ERROR and ASSIGN_OR_RETURN: Debian's Abseil (20220623) ships neither.
//
//   RETURN_IF_ERROR(ValidateName(request.name()));
//   ASSIGN_OR_RETURN(const Org org, orgs.Find(identifier));
#ifndef WEBHOOKS_ENGINE_BASE_STATUS_MACROS_H_
#define WEBHOOKS_ENGINE_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WEBHOOKS_CONCAT_INNER_(a, b) a##b
#define WEBHOOKS_CONCAT_(a, b) WEBHOOKS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                            \
  do {                                                   \
    ::absl::Status webhooks_status_ = (expr);            \
    if (!webhooks_status_.ok()) return webhooks_status_; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(WEBHOOKS_CONCAT_(webhooks_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = *std::move(statusor)

#endif  // WEBHOOKS_ENGINE_BASE_STATUS_MACROS_H_
