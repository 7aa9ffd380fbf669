#include "engine/persistence/postgres/migrations.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"
#include "engine/persistence/postgres/pg_connection.h"

namespace webhooks {
namespace engine_internal {

const std::vector<Migration>& PostgresMigrations() {
  static const auto* const migrations = new std::vector<Migration>{
      {1, R"sql(
        -- The change log: one serialized webhooks.state.StateBatch per sequence number.
        CREATE TABLE webhookd_log (
          sequence bigint PRIMARY KEY CHECK (sequence > 0),
          batch bytea NOT NULL,
          appended_at timestamptz NOT NULL DEFAULT now()
        );
        -- Snapshots: the whole state as of log entry `sequence`, as batches in `part` order.
        CREATE TABLE webhookd_snapshots (
          sequence bigint PRIMARY KEY CHECK (sequence >= 0),
          taken_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE webhookd_snapshot_batches (
          sequence bigint NOT NULL REFERENCES webhookd_snapshots ON DELETE CASCADE,
          part integer NOT NULL,
          batch bytea NOT NULL,
          PRIMARY KEY (sequence, part)
        );
      )sql"},
      {2, R"sql(
        -- Delivery leases: which replica may attempt a delivery job now. A job gets its row when
        -- a replica first claims it; the claim moves on when the lease expires (its replica
        -- died). A finished job's row stays until its history is gone, so that a replica that
        -- has not yet read the job's end cannot claim it again.
        CREATE TABLE webhookd_job_leases (
          job_id text PRIMARY KEY,
          owner text,
          claim_id text,
          expires_at_millis bigint NOT NULL,
          finished boolean NOT NULL DEFAULT false,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX webhookd_job_leases_finished ON webhookd_job_leases (updated_at)
          WHERE finished;
      )sql"},
  };
  return *migrations;
}

absl::StatusOr<int> ApplyMigrations(PgConnection& connection,
                                    const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration ", i + 1, " has version ", migrations[i].version));
    }
  }
  int applied = 0;
  RETURN_IF_ERROR(connection.Transaction("migrate", [&]() -> absl::Status {
    applied = 0;
    RETURN_IF_ERROR(connection
                        .Exec("migrate: lock", "SELECT pg_advisory_xact_lock($1)",
                              {PgParam::Text(absl::StrCat(kMigrationLockKey))})
                        .status());
    RETURN_IF_ERROR(connection.ExecScript("migrate: create webhookd_schema_migrations", R"sql(
        CREATE TABLE IF NOT EXISTS webhookd_schema_migrations (
          version integer PRIMARY KEY,
          applied_at timestamptz NOT NULL DEFAULT now()
        ))sql"));
    ASSIGN_OR_RETURN(PgResult current, connection.Exec("migrate: read version",
                                                       "SELECT COALESCE(MAX(version), 0) FROM "
                                                       "webhookd_schema_migrations"));
    ASSIGN_OR_RETURN(const int64_t version, current.GetInt64(0, 0));
    if (version > static_cast<int64_t>(migrations.size())) {
      return absl::FailedPreconditionError(absl::StrCat("postgres: the schema is at version ",
                                                        version, ", newer than this release's ",
                                                        migrations.size()));
    }
    for (size_t i = version; i < migrations.size(); ++i) {
      const std::string operation = absl::StrCat("migration ", migrations[i].version);
      RETURN_IF_ERROR(connection.ExecScript(operation, migrations[i].sql));
      RETURN_IF_ERROR(connection
                          .Exec(operation,
                                "INSERT INTO webhookd_schema_migrations (version, applied_at) "
                                "VALUES ($1, now())",
                                {PgParam::Text(absl::StrCat(migrations[i].version))})
                          .status());
      ++applied;
    }
    return absl::OkStatus();
  }));
  return applied;
}

}  // namespace engine_internal
}  // namespace webhooks
