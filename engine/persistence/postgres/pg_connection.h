// PgConnection: one libpq connection to PostgreSQL, with parameterized statements, transactions,
// canonical status codes and reconnection.
//
//   PgConnectionOptions options;
//   options.conninfo = "postgresql://app@db.internal/webhooks";
//   ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> db, PgConnection::Connect(options));
//   ASSIGN_OR_RETURN(PgResult rows,
//                    db->Exec("read log", "SELECT batch FROM log WHERE sequence > $1",
//                             {PgParam::Text("41")}, PgResultFormat::kBinary));
//   RETURN_IF_ERROR(db->Transaction("append", [&] { return db->Exec(...).status(); }));
//
// Errors, always naming the operation and PostgreSQL's message (never the conninfo, and never its
// password, which is cut out of every message):
//   kUnavailable      the connection could not be made or was lost (the server went away,
//                     the backend was terminated, SQLSTATE classes 08 and 57P0x); a statement
//                     that was running may or may not have taken effect
//   kAlreadyExists    unique_violation (23505)
//   kAborted          serialization_failure (40001), deadlock_detected (40P01)
//   kInvalidArgument  a conninfo that does not parse
//   kInternal         anything else
//
// Reconnection: once the connection is lost, the call that found out returns kUnavailable, and
// each later call first tries to connect again. A failed attempt waits a backoff before the next
// one (initial_backoff, doubling up to max_backoff, reset by success); calls in that wait return
// kUnavailable at once, without trying. Nothing here sleeps: time comes from the injected clock.
//
// Not thread-safe: its owner serializes calls.
#ifndef WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_PG_CONNECTION_H_
#define WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_PG_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/base/clock.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace webhooks {
namespace engine_internal {

struct PgConnectionOptions {
  // A libpq connection string or URI. May hold a password; never appears in a message.
  std::string conninfo;
  // Wait after a failed reconnection attempt: initial_backoff, doubled after each further
  // failure, at most max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  // Where backoff time comes from. Null: SystemClock(). Not owned; outlives the connection.
  Clock* clock = nullptr;
};

// A statement parameter: text (PostgreSQL converts it to the parameter's type), bytes (sent in
// binary as bytea), or SQL NULL.
class PgParam {
 public:
  static PgParam Text(std::string value) { return PgParam(Kind::kText, std::move(value)); }
  static PgParam Bytes(std::string value) { return PgParam(Kind::kBytes, std::move(value)); }
  static PgParam Null() { return PgParam(Kind::kNull, ""); }

 private:
  friend class PgConnection;
  enum class Kind { kText, kBytes, kNull };
  PgParam(Kind kind, std::string value) : kind_(kind), value_(std::move(value)) {}
  Kind kind_;
  std::string value_;
};

// How a statement's result values come back: PostgreSQL's text forms, or binary (bytea as its
// bytes, bigint as 8 bytes big-endian, which GetInt64 reads).
enum class PgResultFormat { kText, kBinary };

// The rows of a statement. Move-only.
class PgResult {
 public:
  PgResult(PgResult&&) noexcept;
  PgResult& operator=(PgResult&&) noexcept;
  ~PgResult();

  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  // The value's bytes as sent (text or binary, as the statement asked); empty for NULL.
  // Valid while this result lives.
  absl::string_view Get(int row, int column) const;
  // A bigint, integer or smallint value, in either format. kInternal if it is not one.
  absl::StatusOr<int64_t> GetInt64(int row, int column) const;
  // The number of rows an INSERT, UPDATE or DELETE touched.
  int64_t affected_rows() const;

 private:
  friend class PgConnection;
  explicit PgResult(PGresult* result) : result_(result) {}
  PGresult* result_;
};

class PgConnection {
 public:
  // Connects. kUnavailable if the server cannot be reached or refuses; kInvalidArgument if
  // `options.conninfo` does not parse.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(PgConnectionOptions options);
  ~PgConnection();

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement `sql` with `params` as $1, $2, ... `operation` names it in errors.
  absl::StatusOr<PgResult> Exec(absl::string_view operation, absl::string_view sql,
                                const std::vector<PgParam>& params = {},
                                PgResultFormat format = PgResultFormat::kText);
  // Runs `sql`, which may hold several statements and no parameters (a schema migration).
  absl::Status ExecScript(absl::string_view operation, absl::string_view sql);

  // Runs `body` between `begin` and COMMIT; if `body` fails, rolls back and returns its error.
  // A COMMIT that fails returns its error (kAborted for a serialization failure); one cut off by
  // a lost connection returns kUnavailable, and the transaction may or may not have committed.
  absl::Status Transaction(absl::string_view operation, const std::function<absl::Status()>& body,
                           absl::string_view begin = "BEGIN");

  // Waits up to `timeout` (real time: this blocks on the socket) for a notification on a
  // channel this session LISTENs to, and consumes every one that arrived: true if any did.
  // kUnavailable if the connection is down or lost; a new session listens to nothing, so the
  // caller LISTENs again after reconnecting.
  absl::StatusOr<bool> WaitForNotification(absl::Duration timeout);

  // Drops the current connection (if any) and connects again now, ignoring the backoff.
  absl::Status Reconnect();
  // True while the connection is up, as far as the last call saw.
  bool connected() const;

 private:
  explicit PgConnection(PgConnectionOptions options);

  // Connects if the connection is down and the backoff allows; kUnavailable otherwise.
  absl::Status EnsureConnected();
  absl::Status Open();
  // The status for a failed `result` (null: libpq could not even send) of `operation`.
  absl::Status Failure(absl::string_view operation, const PGresult* result);
  // `message` with the password cut out.
  std::string Redact(absl::string_view message) const;

  const PgConnectionOptions options_;
  Clock* const clock_;
  std::string password_;  // From the conninfo, to redact; empty if none.
  PGconn* connection_ = nullptr;
  bool in_transaction_ = false;
  absl::Duration backoff_;
  absl::Time next_attempt_ = absl::InfinitePast();
};

}  // namespace engine_internal
}  // namespace webhooks

#endif  // WEBHOOKS_ENGINE_PERSISTENCE_POSTGRES_PG_CONNECTION_H_
