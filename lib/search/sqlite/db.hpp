#pragma once
// Private: one SQLite connection of the embedded search index — its statements cached by text, its
// values bound from `SqlValue`s, its result codes turned into Tessera errors in one place.

#include <tessera/result.hpp>

#include "search/sqlite/layout.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace tessera::search::internal {

/// A prepared statement in use: reset (and its bindings cleared) when the scope ends, so a
/// statement left mid-step never pins a read snapshot.
class Cursor {
public:
    explicit Cursor(sqlite3_stmt* s) noexcept : s_(s) {}
    Cursor(Cursor&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
    Cursor& operator=(Cursor&&) = delete;
    ~Cursor();

    void bind(int index, const SqlValue& value);
    void bind_all(std::span<const SqlValue> values);
    /// true: a row is there; false: done. Errors: those of `Db::error`.
    Result<bool> step();

    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    /// The column as the JSON value it holds (NULL → null, INTEGER, REAL, TEXT).
    SqlValue value(int column) const;

private:
    sqlite3_stmt* s_;
};

class Db {
public:
    /// Opens `path` (":memory:" for a private in-memory database). Errors: `unavailable`.
    static Result<std::unique_ptr<Db>> open(const std::string& path, bool read_only);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    Result<void> exec(const std::string& sql);
    /// The statement for `sql`, prepared once per connection (at most `kMaxCached` kept).
    Result<Cursor> prepare(const std::string& sql);
    std::int64_t last_rowid() const noexcept;

    /// Statements stepped after `deadline` are abandoned (SQLite's progress handler), their step a
    /// `timeout`; nullopt: no deadline.
    void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) noexcept { deadline_ = deadline; }

    Error error(std::string what, int rc) const;

    static constexpr std::size_t kMaxCached = 256;

private:
    Db() = default;
    static int on_progress(void* self) noexcept;

    sqlite3* db_ = nullptr;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace tessera::search::internal
