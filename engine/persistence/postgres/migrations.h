// Versioned schema migrations for the engine's PostgreSQL tables, applied when a replica starts.
//
//   RETURN_IF_ERROR(ApplyMigrations(*connection).status());
//
// Each migration is numbered; the database records each one it has applied, with the time, in
// webhookd_schema_migrations(version int primary key, applied_at timestamptz). ApplyMigrations
// applies those not yet recorded, in order, all in one transaction that first takes the
// transaction-scoped advisory lock kMigrationLockKey: replicas starting at once wait for one
// another, and each migration is applied exactly once. A migration is never edited once
// released; a change is a new migration.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_MIGRATIONS_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_MIGRATIONS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/persistence/postgres/pg_connection.h"

namespace webhooks {
namespace engine_internal {

// The key of pg_advisory_xact_lock that serializes migrations (an arbitrary fixed number).
inline constexpr int64_t kMigrationLockKey = 0x77656268'6d696772;  // "webhmigr"

struct Migration {
  int version;      // 1, 2, 3, ...: each one more than the last.
  const char* sql;  // One or more statements.
};

// The engine's migrations, in order. The first creates the change log's tables
// (engine/persistence/postgres/postgres_log.h).
const std::vector<Migration>& PostgresMigrations();

// Applies the migrations of `migrations` that the database has not recorded, and returns how
// many it applied (0 when the schema is current). kInvalidArgument if the versions are not 1, 2,
// 3, ...; kFailedPrecondition if the database records a version newer than the last of
// `migrations` (a newer release migrated it); a failed migration rolls everything back and
// returns its error; otherwise PgConnection's codes.
absl::StatusOr<int> ApplyMigrations(
    PgConnection& connection, const std::vector<Migration>& migrations = PostgresMigrations());

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_MIGRATIONS_H_
