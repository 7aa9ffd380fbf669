#include "engine/persistence/postgres/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/base/status_macros.h"
#include "libpq-fe.h"

namespace webhooks {
namespace engine_internal {
namespace {

constexpr Oid kByteaOid = 17;  // pg_type.oid of bytea.

// True for SQLSTATEs that mean the session is gone: connection exceptions (class 08) and the
// server shutting down or not yet accepting connections.
bool IsConnectionLost(absl::string_view sqlstate) {
  return absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

}  // namespace

PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return PQntuples(result_); }
int PgResult::columns() const { return PQnfields(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

absl::string_view PgResult::Get(int row, int column) const {
  return absl::string_view(PQgetvalue(result_, row, column), PQgetlength(result_, row, column));
}

absl::StatusOr<int64_t> PgResult::GetInt64(int row, int column) const {
  const absl::string_view value = Get(row, column);
  if (IsNull(row, column)) return absl::InternalError("postgres: an integer is NULL");
  if (PQfformat(result_, column) == 0) {
    int64_t parsed;
    if (absl::SimpleAtoi(value, &parsed)) return parsed;
  } else if (value.size() == 8 || value.size() == 4 || value.size() == 2) {
    // Big-endian two's complement of int8, int4 or int2.
    uint64_t bits = 0;
    for (const char byte : value) bits = (bits << 8) | static_cast<uint8_t>(byte);
    if (value.size() == 2) return static_cast<int16_t>(bits);
    if (value.size() == 4) return static_cast<int32_t>(bits);
    return static_cast<int64_t>(bits);
  }
  return absl::InternalError("postgres: a value is not an integer");
}

int64_t PgResult::affected_rows() const {
  int64_t rows = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_), &rows) ? rows : 0;
}

PgConnection::PgConnection(PgConnectionOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : SystemClock()),
      backoff_(options_.initial_backoff) {}

PgConnection::~PgConnection() { PQfinish(connection_); }

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(PgConnectionOptions options) {
  // libpq's parse errors quote the string, password and all: none of it is repeated.
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.conninfo.c_str(), &error);
  PQfreemem(error);
  if (parsed == nullptr) {
    return absl::InvalidArgumentError("postgres: connect: the connection string does not parse");
  }
  std::unique_ptr<PgConnection> connection(new PgConnection(std::move(options)));
  for (const PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (std::strcmp(option->keyword, "password") == 0 && option->val != nullptr) {
      connection->password_ = option->val;
    }
  }
  PQconninfoFree(parsed);
  RETURN_IF_ERROR(connection->Open());
  return connection;
}

absl::Status PgConnection::Open() {
  PQfinish(connection_);
  connection_ = PQconnectdb(options_.conninfo.c_str());
  if (PQstatus(connection_) == CONNECTION_OK) {
    // NOTICEs ("relation ... already exists, skipping") are not for webhookd's log.
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);
    backoff_ = options_.initial_backoff;
    next_attempt_ = absl::InfinitePast();
    return absl::OkStatus();
  }
  const std::string message = Redact(absl::StripTrailingAsciiWhitespace(
      connection_ != nullptr ? PQerrorMessage(connection_) : "out of memory"));
  PQfinish(connection_);
  connection_ = nullptr;
  next_attempt_ = clock_->Now() + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  return absl::UnavailableError(absl::StrCat("postgres: connect: ", message));
}

absl::Status PgConnection::EnsureConnected() {
  if (connection_ != nullptr) return absl::OkStatus();
  if (in_transaction_) {
    return absl::UnavailableError("postgres: the connection was lost during a transaction");
  }
  const absl::Time now = clock_->Now();
  if (now < next_attempt_) {
    return absl::UnavailableError(absl::StrCat("postgres: not connected; next attempt in ",
                                               absl::FormatDuration(next_attempt_ - now)));
  }
  return Open();
}

absl::Status PgConnection::Reconnect() {
  in_transaction_ = false;
  return Open();
}

bool PgConnection::connected() const { return connection_ != nullptr; }

absl::StatusOr<PgResult> PgConnection::Exec(absl::string_view operation, absl::string_view sql,
                                            const std::vector<PgParam>& params,
                                            PgResultFormat format) {
  RETURN_IF_ERROR(EnsureConnected());
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<Oid> types;
  for (const PgParam& param : params) {
    values.push_back(param.kind_ == PgParam::Kind::kNull ? nullptr : param.value_.data());
    lengths.push_back(static_cast<int>(param.value_.size()));
    formats.push_back(param.kind_ == PgParam::Kind::kBytes ? 1 : 0);
    types.push_back(param.kind_ == PgParam::Kind::kBytes ? kByteaOid : 0);
  }
  // Text values must end in NUL, which std::string guarantees.
  PgResult result(PQexecParams(
      connection_, std::string(sql).c_str(), static_cast<int>(params.size()), types.data(),
      values.data(), lengths.data(), formats.data(), format == PgResultFormat::kBinary ? 1 : 0));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return Failure(operation, result.result_);
}

absl::Status PgConnection::ExecScript(absl::string_view operation, absl::string_view sql) {
  RETURN_IF_ERROR(EnsureConnected());
  PgResult result(PQexec(connection_, std::string(sql).c_str()));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  return Failure(operation, result.result_);
}

absl::Status PgConnection::Transaction(absl::string_view operation,
                                       const std::function<absl::Status()>& body,
                                       absl::string_view begin) {
  RETURN_IF_ERROR(Exec(operation, begin).status());
  in_transaction_ = true;
  absl::Status status = body();
  if (status.ok()) {
    absl::StatusOr<PgResult> committed = Exec(absl::StrCat(operation, ": commit"), "COMMIT");
    if (!committed.ok()) {
      status = committed.status();
    } else if (absl::string_view(PQcmdStatus(committed->result_)) == "ROLLBACK") {
      // The body went on after a failed statement.
      status = absl::InternalError(absl::StrCat("postgres: ", operation, ": rolled back"));
    }
  } else if (connection_ != nullptr) {
    Exec(absl::StrCat(operation, ": rollback"), "ROLLBACK").IgnoreError();
  }
  in_transaction_ = false;
  return status;
}

absl::StatusOr<bool> PgConnection::WaitForNotification(absl::Duration timeout) {
  if (connection_ == nullptr) return absl::UnavailableError("postgres: not connected");
  const auto consume = [&]() -> absl::StatusOr<bool> {
    if (PQconsumeInput(connection_) == 0) return Failure("wait for a notification", nullptr);
    bool any = false;
    while (PGnotify* notification = PQnotifies(connection_)) {
      PQfreemem(notification);
      any = true;
    }
    return any;
  };
  ASSIGN_OR_RETURN(const bool already, consume());
  if (already) return true;
  pollfd socket = {PQsocket(connection_), POLLIN, 0};
  const int64_t millis = absl::ToInt64Milliseconds(std::max(timeout, absl::ZeroDuration()));
  const int ready = poll(&socket, 1, static_cast<int>(std::min<int64_t>(millis, INT32_MAX)));
  if (ready <= 0) return false;  // Timed out, or a signal: the caller waits again.
  return consume();
}

absl::Status PgConnection::Failure(absl::string_view operation, const PGresult* result) {
  const char* field = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const absl::string_view sqlstate = field != nullptr ? field : "";
  std::string message = absl::StrCat(
      "postgres: ", operation, ": ",
      Redact(absl::StripTrailingAsciiWhitespace(result != nullptr ? PQresultErrorMessage(result)
                                                                  : PQerrorMessage(connection_))));
  if (!sqlstate.empty()) absl::StrAppend(&message, " (SQLSTATE ", sqlstate, ")");
  if (PQstatus(connection_) == CONNECTION_BAD || IsConnectionLost(sqlstate)) {
    // The next call reconnects (outside a transaction) without waiting.
    PQfinish(connection_);
    connection_ = nullptr;
    next_attempt_ = absl::InfinitePast();
    return absl::UnavailableError(message);
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::AbortedError(message);
  return absl::InternalError(message);
}

std::string PgConnection::Redact(absl::string_view message) const {
  if (password_.empty()) return std::string(message);
  return absl::StrReplaceAll(message, {{password_, "***"}});
}

}  // namespace engine_internal
}  // namespace webhooks
