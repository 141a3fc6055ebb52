#include "search/sqlite/db.hpp"

#include <sqlite3.h>

namespace tessera::search::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// The one place SQLite result codes become Tessera errors here: busy, locked, I/O and a full disk
// are the environment (retryable), anything else a bug or a damaged file.
Error to_error(sqlite3* db, const std::string& what, int rc) {
    const int primary = rc & 0xFF;
    const ErrorCode code = primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
                                   primary == SQLITE_FULL || primary == SQLITE_CANTOPEN
                               ? ErrorCode::unavailable
                               : ErrorCode::internal;
    return Error(code, "search index: " + what + sqlite3_errmsg(db),
                 {{"backend", {{"sqlite", {{"code", primary}, {"extended_code", rc}, {"message", sqlite3_errmsg(db)}}}}}});
}
// How often (virtual machine instructions) a running statement looks at its deadline.
constexpr int kProgressOps = 4000;

}  // namespace

Cursor::~Cursor() {
    if (s_ == nullptr) return;
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
}

void Cursor::bind(int index, const SqlValue& value) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                sqlite3_bind_null(s_, index);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                sqlite3_bind_int64(s_, index, v);
            } else if constexpr (std::is_same_v<T, double>) {
                sqlite3_bind_double(s_, index, v);
            } else {
                // Copied: callers bind temporaries (a std::string converted to a SqlValue).
                sqlite3_bind_text(s_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
            }
        },
        value);
}

void Cursor::bind_all(std::span<const SqlValue> values) {
    for (std::size_t i = 0; i < values.size(); ++i) bind(static_cast<int>(i + 1), values[i]);
}

Result<bool> Cursor::step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3* db = sqlite3_db_handle(s_);
    if ((rc & 0xFF) == SQLITE_INTERRUPT) {
        return Error(ErrorCode::timeout, "search index: the search took longer than its time limit");
    }
    return to_error(db, "", rc);
}

bool Cursor::is_null(int column) const { return sqlite3_column_type(s_, column) == SQLITE_NULL; }
std::int64_t Cursor::integer(int column) const { return sqlite3_column_int64(s_, column); }
double Cursor::real(int column) const { return sqlite3_column_double(s_, column); }
std::string Cursor::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, column));
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, column)));
}
SqlValue Cursor::value(int column) const {
    switch (sqlite3_column_type(s_, column)) {
        case SQLITE_INTEGER: return integer(column);
        case SQLITE_FLOAT: return real(column);
        case SQLITE_TEXT:
        case SQLITE_BLOB: return text(column);
        default: return {};
    }
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, bool read_only) {
    auto db = std::unique_ptr<Db>(new Db());
    // NOMUTEX: each connection is used by one thread at a time (the index's locks see to it).
    const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db->db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        return Error(ErrorCode::unavailable, "cannot open the search index " + path + ": " + sqlite3_errstr(rc));
    }
    sqlite3_extended_result_codes(db->db_, 1);
    sqlite3_busy_timeout(db->db_, kBusyTimeoutMs);
    sqlite3_progress_handler(db->db_, kProgressOps, &Db::on_progress, db.get());
    return db;
}

Db::~Db() {
    for (auto& [sql, s] : statements_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
}

Error Db::error(std::string what, int rc) const { return to_error(db_, what + ": ", rc); }

Result<void> Db::exec(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK) return error("cannot run " + sql.substr(0, 80), rc);
    return {};
}

Result<Cursor> Db::prepare(const std::string& sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return Cursor(it->second);
    if (statements_.size() >= kMaxCached) {
        for (auto& [text, s] : statements_) sqlite3_finalize(s);
        statements_.clear();
    }
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return error("cannot prepare a statement", rc);
    statements_.emplace(sql, s);
    return Cursor(s);
}

std::int64_t Db::last_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

int Db::on_progress(void* self) noexcept {
    const auto& deadline = static_cast<Db*>(self)->deadline_;
    return deadline && std::chrono::steady_clock::now() > *deadline ? 1 : 0;
}

}  // namespace tessera::search::internal
