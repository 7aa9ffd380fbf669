#include "engine/persistence/postgres/postgres_log.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/status_macros.h"
#include "engine/persistence/postgres/migrations.h"
#include "engine/persistence/utf8_repair.h"

namespace webhooks {
namespace engine_internal {
namespace {

// A consistent view for readers, which never write.
constexpr char kBeginRead[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

PgParam Number(uint64_t value) { return PgParam::Text(absl::StrCat(value)); }

// The batch `bytes` holds, read as JournalStore reads its records: a string field that is not
// valid UTF-8 (which protobuf serializes but will not parse) has its bad bytes replaced.
absl::StatusOr<state::StateBatch> ParseBatch(absl::string_view bytes, absl::string_view what) {
  state::StateBatch batch;
  if (!ParseRepairingUtf8(bytes, batch, nullptr)) {
    return absl::DataLossError(absl::StrCat("postgres: ", what, " does not hold a StateBatch"));
  }
  return batch;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresLog>> PostgresLog::Open(PgConnectionOptions connection,
                                                               PostgresLogOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> opened,
                   PgConnection::Connect(std::move(connection)));
  RETURN_IF_ERROR(ApplyMigrations(*opened).status());
  return std::make_unique<PostgresLog>(std::move(opened), options);
}

PostgresLog::PostgresLog(std::unique_ptr<PgConnection> connection, PostgresLogOptions options)
    : options_(options), connection_(std::move(connection)) {}

absl::StatusOr<std::string> PostgresLog::Serialize(const state::StateBatch& batch) const {
  const size_t size = batch.ByteSizeLong();
  if (size > options_.max_batch_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "postgres: a batch of ", size, " bytes is over the limit of ", options_.max_batch_bytes));
  }
  std::string bytes;
  if (!batch.SerializeToString(&bytes)) {
    return absl::InvalidArgumentError("postgres: a batch does not serialize");
  }
  return bytes;
}

absl::Status PostgresLog::LockForWrite(absl::string_view operation) {
  // Durable at COMMIT whatever the server's or role's default.
  RETURN_IF_ERROR(connection_->Exec(operation, "SET LOCAL synchronous_commit = on").status());
  return connection_
      ->Exec(operation, "SELECT pg_advisory_xact_lock($1)",
             {PgParam::Text(absl::StrCat(kLogLockKey))})
      .status();
}

absl::Status PostgresLog::ReadEnds(uint64_t* snapshot, uint64_t* last) {
  ASSIGN_OR_RETURN(PgResult ends,
                   connection_->Exec("read the log's ends",
                                     "SELECT (SELECT COALESCE(MAX(sequence), 0) FROM "
                                     "webhookd_snapshots), (SELECT COALESCE(MAX(sequence), 0) "
                                     "FROM webhookd_log)"));
  ASSIGN_OR_RETURN(const int64_t snapshot_sequence, ends.GetInt64(0, 0));
  ASSIGN_OR_RETURN(const int64_t last_sequence, ends.GetInt64(0, 1));
  *snapshot = snapshot_sequence;
  *last = std::max(snapshot_sequence, last_sequence);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PostgresLog::Append(uint64_t sequence, const state::StateBatch& batch) {
  ASSIGN_OR_RETURN(std::string bytes, Serialize(batch));
  absl::MutexLock lock(&mu_);
  uint64_t appended_at = sequence;
  absl::Status appended = connection_->Transaction("append", [&]() -> absl::Status {
    RETURN_IF_ERROR(LockForWrite("append"));
    uint64_t snapshot, last;
    RETURN_IF_ERROR(ReadEnds(&snapshot, &last));
    if (sequence == 0) {
      appended_at = last + 1;
    } else if (sequence <= last) {
      return absl::AbortedError(
          absl::StrCat("postgres: entry ", sequence, " exists (the log is at ", last, ")"));
    } else if (sequence > last + 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("postgres: cannot append entry ", sequence, " after entry ", last));
    }
    return Insert(appended_at, std::move(bytes));
  });
  // Not expected under the lock, but what a duplicate means all the same.
  if (absl::IsAlreadyExists(appended)) return absl::AbortedError(appended.message());
  RETURN_IF_ERROR(appended);
  return appended_at;
}

absl::StatusOr<std::vector<uint64_t>> PostgresLog::AppendAll(
    const std::vector<const state::StateBatch*>& batches, const KeepFn& keep) {
  std::vector<std::string> entries;
  for (const state::StateBatch* batch : batches) {
    ASSIGN_OR_RETURN(std::string bytes, Serialize(*batch));
    entries.push_back(std::move(bytes));
  }
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> sequences;
  RETURN_IF_ERROR(connection_->Transaction("append", [&]() -> absl::Status {
    sequences.assign(batches.size(), 0);
    RETURN_IF_ERROR(LockForWrite("append"));
    uint64_t snapshot, last;
    RETURN_IF_ERROR(ReadEnds(&snapshot, &last));
    for (size_t i = 0; i < batches.size(); ++i) {
      ASSIGN_OR_RETURN(const bool kept, keep(*connection_, *batches[i]));
      if (!kept) continue;
      sequences[i] = ++last;
      RETURN_IF_ERROR(Insert(last, std::move(entries[i])));
    }
    return absl::OkStatus();
  }));
  return sequences;
}

absl::Status PostgresLog::Insert(uint64_t sequence, std::string bytes) {
  RETURN_IF_ERROR(connection_
                      ->Exec("append", "INSERT INTO webhookd_log (sequence, batch) VALUES ($1, $2)",
                             {Number(sequence), PgParam::Bytes(std::move(bytes))})
                      .status());
  return connection_
      ->Exec("append", "SELECT pg_notify($1, $2)", {PgParam::Text(kLogChannel), Number(sequence)})
      .status();
}

absl::Status PostgresLog::Import(const std::vector<state::StateBatch>& batches) {
  std::vector<std::string> entries;
  for (const state::StateBatch& batch : batches) {
    ASSIGN_OR_RETURN(std::string bytes, Serialize(batch));
    entries.push_back(std::move(bytes));
  }
  absl::MutexLock lock(&mu_);
  return connection_->Transaction("import", [&]() -> absl::Status {
    RETURN_IF_ERROR(LockForWrite("import"));
    uint64_t snapshot, last;
    RETURN_IF_ERROR(ReadEnds(&snapshot, &last));
    if (last > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("postgres: the database already holds state (its log is at entry ", last,
                       "); import into an empty database"));
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      RETURN_IF_ERROR(connection_
                          ->Exec("import",
                                 "INSERT INTO webhookd_log (sequence, batch) VALUES ($1, $2)",
                                 {Number(i + 1), PgParam::Bytes(std::move(entries[i]))})
                          .status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<uint64_t> PostgresLog::AppendPlanned(uint64_t after, const ApplyFn& apply,
                                                    const PlanFn& plan, const KeepFn& keep) {
  absl::MutexLock lock(&mu_);
  uint64_t appended = 0;
  RETURN_IF_ERROR(connection_->Transaction("append a planned change", [&]() -> absl::Status {
    RETURN_IF_ERROR(LockForWrite("append a planned change"));
    ASSIGN_OR_RETURN(const uint64_t last, ReadEntries(after, apply));
    ASSIGN_OR_RETURN(const state::StateBatch batch, plan(last));
    if (batch.records().empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(const bool kept, keep(*connection_, batch));
    if (!kept) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string bytes, Serialize(batch));
    appended = last + 1;
    return Insert(appended, std::move(bytes));
  }));
  return appended;
}

absl::StatusOr<uint64_t> PostgresLog::ReadAfter(uint64_t after, const ApplyFn& apply) {
  absl::MutexLock lock(&mu_);
  // No transaction: what replicas do before every call costs one round trip when nothing is
  // new.
  return ReadEntries(after, apply);
}

absl::StatusOr<uint64_t> PostgresLog::ReadEntries(uint64_t after, const ApplyFn& apply) {
  // One statement per page. Each sees one consistent state, and pages agree: entries never
  // change, are committed in order (under the lock), and the ones a snapshot covers stay for
  // keep_entries_for.
  uint64_t last = after;
  for (bool first_page = true;; first_page = false) {
    ASSIGN_OR_RETURN(
        PgResult page,
        connection_->Exec(
            "read after",
            "SELECT ends.snapshot, ends.last, entries.sequence, entries.batch FROM (SELECT "
            "(SELECT COALESCE(MAX(sequence), 0) FROM webhookd_snapshots) AS snapshot, "
            "(SELECT COALESCE(MAX(sequence), 0) FROM webhookd_log) AS last) ends "
            "LEFT JOIN LATERAL (SELECT sequence, batch FROM webhookd_log WHERE sequence > $1 "
            "ORDER BY sequence LIMIT $2) entries ON true",
            {Number(last), Number(options_.read_page_rows)}, PgResultFormat::kBinary));
    const bool any = !page.IsNull(0, 2);
    if (first_page) {
      ASSIGN_OR_RETURN(const int64_t snapshot, page.GetInt64(0, 0));
      ASSIGN_OR_RETURN(const int64_t end, page.GetInt64(0, 1));
      if (after > static_cast<uint64_t>(std::max(snapshot, end))) {
        return absl::FailedPreconditionError(absl::StrCat(
            "postgres: the log ends at ", std::max(snapshot, end), ", before ", after));
      }
      if (after < static_cast<uint64_t>(snapshot) &&
          (!any || page.GetInt64(0, 2).value_or(0) != static_cast<int64_t>(after + 1))) {
        return absl::OutOfRangeError(
            absl::StrCat("postgres: the snapshot at ", snapshot, " removed entries after ", after));
      }
    }
    if (!any) return last;
    for (int row = 0; row < page.rows(); ++row) {
      ASSIGN_OR_RETURN(const int64_t sequence, page.GetInt64(row, 2));
      if (static_cast<uint64_t>(sequence) != last + 1) {
        return absl::DataLossError(absl::StrCat("postgres: entry ", last + 1, " is missing"));
      }
      ASSIGN_OR_RETURN(const state::StateBatch batch,
                       ParseBatch(page.Get(row, 3), absl::StrCat("entry ", sequence)));
      RETURN_IF_ERROR(apply(sequence, batch));
      last = sequence;
    }
    if (page.rows() < options_.read_page_rows) return last;
  }
}

absl::StatusOr<uint64_t> PostgresLog::LastSequence() {
  absl::MutexLock lock(&mu_);
  uint64_t snapshot, last = 0;
  // One statement: a consistent view without a transaction.
  RETURN_IF_ERROR(ReadEnds(&snapshot, &last));
  return last;
}

absl::StatusOr<uint64_t> PostgresLog::Load(const ApplyFn& apply) {
  absl::MutexLock lock(&mu_);
  uint64_t last = 0;
  RETURN_IF_ERROR(connection_->Transaction(
      "load",
      [&]() -> absl::Status {
        uint64_t snapshot, end;
        RETURN_IF_ERROR(ReadEnds(&snapshot, &end));
        for (int64_t next_part = 0; snapshot > 0;) {
          ASSIGN_OR_RETURN(PgResult page,
                           connection_->Exec("load snapshot",
                                             "SELECT part, batch FROM webhookd_snapshot_batches "
                                             "WHERE sequence = $1 AND part >= $2 ORDER BY part "
                                             "LIMIT $3",
                                             {Number(snapshot), Number(next_part),
                                              Number(options_.read_page_rows)},
                                             PgResultFormat::kBinary));
          for (int row = 0; row < page.rows(); ++row) {
            ASSIGN_OR_RETURN(next_part, page.GetInt64(row, 0));
            ASSIGN_OR_RETURN(const state::StateBatch batch,
                             ParseBatch(page.Get(row, 1),
                                        absl::StrCat("snapshot ", snapshot, " part ", next_part)));
            RETURN_IF_ERROR(apply(snapshot, batch));
            ++next_part;
          }
          if (page.rows() < options_.read_page_rows) break;
        }
        ASSIGN_OR_RETURN(last, ReadEntries(snapshot, apply));
        return absl::OkStatus();
      },
      kBeginRead));
  return last;
}

absl::Status PostgresLog::WriteSnapshot(uint64_t sequence,
                                        const std::vector<state::StateBatch>& state) {
  if (sequence == 0) return absl::InvalidArgumentError("postgres: a snapshot of no entries");
  std::vector<std::string> batches;
  for (const state::StateBatch& batch : state) {
    ASSIGN_OR_RETURN(std::string bytes, Serialize(batch));
    batches.push_back(std::move(bytes));
  }
  absl::MutexLock lock(&mu_);
  return connection_->Transaction("snapshot", [&]() -> absl::Status {
    RETURN_IF_ERROR(LockForWrite("snapshot"));
    uint64_t snapshot, last;
    RETURN_IF_ERROR(ReadEnds(&snapshot, &last));
    if (sequence <= snapshot) {
      return absl::AlreadyExistsError(
          absl::StrCat("postgres: a snapshot at ", snapshot, " exists"));
    }
    if (sequence > last) {
      return absl::FailedPreconditionError(
          absl::StrCat("postgres: cannot snapshot at ", sequence, ": the log ends at ", last));
    }
    RETURN_IF_ERROR(connection_
                        ->Exec("snapshot", "INSERT INTO webhookd_snapshots (sequence) VALUES ($1)",
                               {Number(sequence)})
                        .status());
    for (size_t part = 0; part < batches.size(); ++part) {
      RETURN_IF_ERROR(
          connection_
              ->Exec("snapshot",
                     "INSERT INTO webhookd_snapshot_batches (sequence, part, batch) "
                     "VALUES ($1, $2, $3)",
                     {Number(sequence), Number(part), PgParam::Bytes(std::move(batches[part]))})
              .status());
    }
    // Older snapshots' batches go with them (ON DELETE CASCADE).
    RETURN_IF_ERROR(connection_
                        ->Exec("snapshot", "DELETE FROM webhookd_snapshots WHERE sequence < $1",
                               {Number(sequence)})
                        .status());
    return connection_
        ->Exec("snapshot",
               "DELETE FROM webhookd_log WHERE sequence <= $1 AND appended_at <= "
               "now() - make_interval(secs => $2)",
               {Number(sequence),
                PgParam::Text(absl::StrCat(absl::ToDoubleSeconds(options_.keep_entries_for)))})
        .status();
  });
}

}  // namespace engine_internal
}  // namespace webhooks
