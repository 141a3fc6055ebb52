#include "store/sqlite/sqlite_store.hpp"

#include <tessera/assert.hpp>
#include <tessera/log.hpp>

#include "store/common.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

namespace tessera::store {
namespace {

constexpr std::string_view kComponent = "store.sqlite";
// How long a write waits for another process's write transaction before giving up (unavailable).
constexpr int kBusyTimeoutMs = 5000;
// Idle reader connections kept for reuse; more are opened under load and closed when returned.
constexpr std::size_t kMaxIdleReaders = 16;
// WAL size (pages) at which the checkpointer copies the WAL back into the database (SQLite's
// own default for auto-checkpoints).
constexpr int kCheckpointPages = 1000;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tessera_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO tessera_meta (key, value) VALUES ('version', 0), ('schema', 1);
-- A rowid table (not WITHOUT ROWID): bodies of a few KB would overflow an index b-tree's cells.
CREATE TABLE IF NOT EXISTS tessera_documents (
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    UNIQUE (collection, id)
);
CREATE INDEX IF NOT EXISTS tessera_documents_expiry ON tessera_documents (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS tessera_outbox (
    seq         INTEGER PRIMARY KEY,
    version     INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    collection  TEXT NOT NULL,
    document_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    time        INTEGER NOT NULL,
    data        TEXT NOT NULL,
    root_id     TEXT NOT NULL,
    parent_id   TEXT NOT NULL,
    claims      INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
    UNIQUE (version, n)
);
)sql";

// Every statement a connection prepares once and reuses; times are microseconds since the epoch.
enum Statement : std::size_t {
    kBeginImmediate,
    kBeginRead,
    kCommit,
    kRollback,
    kGet,
    kState,
    kUpsert,
    kDelete,
    kInsertEvent,
    kReadVersion,
    kNextVersion,
    kScan,
    kCount,
    kSweep,
    kClaim,
    kAck,
    kStats,
    kStatementCount
};

constexpr std::array<const char*, kStatementCount> kSql = {
    "BEGIN IMMEDIATE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SELECT body, version, created_at, updated_at, expires_at FROM tessera_documents"
    " WHERE collection = ?1 AND id = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
    "SELECT version, expires_at FROM tessera_documents WHERE collection = ?1 AND id = ?2",
    // A put over a live document keeps its created_at; over an expired one it starts afresh.
    "INSERT INTO tessera_documents (collection, id, body, version, created_at, updated_at, expires_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"
    " ON CONFLICT (collection, id) DO UPDATE SET body = excluded.body, version = excluded.version,"
    " created_at = CASE WHEN expires_at IS NULL OR expires_at > ?5 THEN created_at ELSE excluded.created_at END,"
    " updated_at = excluded.updated_at, expires_at = excluded.expires_at",
    "DELETE FROM tessera_documents WHERE collection = ?1 AND id = ?2",
    "INSERT INTO tessera_outbox (version, n, collection, document_id, action, time, data, root_id, parent_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "SELECT value FROM tessera_meta WHERE key = 'version'",
    "UPDATE tessera_meta SET value = value + 1 WHERE key = 'version' RETURNING value",
    "SELECT id, body, version, created_at, updated_at, expires_at FROM tessera_documents"
    " WHERE collection = ?1 AND id > ?2 AND (expires_at IS NULL OR expires_at > ?3) ORDER BY id LIMIT ?4",
    "SELECT COUNT(*) FROM tessera_documents WHERE collection = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
    "DELETE FROM tessera_documents WHERE rowid IN (SELECT rowid FROM tessera_documents"
    " WHERE expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2)"
    " RETURNING collection, id, body",
    "UPDATE tessera_outbox SET claims = claims + 1, lease_until = ?2"
    " WHERE seq IN (SELECT seq FROM tessera_outbox WHERE lease_until <= ?1 ORDER BY seq LIMIT ?3)"
    " RETURNING seq, version, n, collection, document_id, action, time, data, root_id, parent_id, claims",
    "DELETE FROM tessera_outbox WHERE version = ?1 AND n = ?2",
    "SELECT COUNT(*), (SELECT time FROM tessera_outbox ORDER BY seq LIMIT 1) FROM tessera_outbox",
};

// The one place SQLite result codes become Tessera errors. Busy/locked means another process
// held the database past busy_timeout, and I/O, disk-full or permission failures are the
// environment: retryable, like a remote dependency being down. Anything else is a bug or a
// damaged file.
Error to_error(std::string what, sqlite3* db, int rc) {
    ErrorCode code = ErrorCode::internal;
    switch (rc & 0xFF) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM: code = ErrorCode::unavailable; break;
        default: break;
    }
    boost::json::object backend{{"code", rc & 0xFF}, {"extended_code", rc}, {"name", sqlite3_errstr(rc)}};
    if (db != nullptr) backend["message"] = sqlite3_errmsg(db);
    what += ": ";
    what += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return Error(code, std::move(what), {{"backend", {{"sqlite", std::move(backend)}}}});
}

std::string column_string(sqlite3_stmt* s, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
    return text == nullptr ? std::string() : std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
}

std::optional<TimePoint> column_time(sqlite3_stmt* s, int column) {
    if (sqlite3_column_type(s, column) == SQLITE_NULL) return std::nullopt;
    return internal::from_micros(sqlite3_column_int64(s, column));
}

// Binds without copying: every bound string outlives the statement's execution.
void set_param(sqlite3_stmt* s, int index, std::string_view text) {
    sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}
void set_param(sqlite3_stmt* s, int index, std::int64_t value) { sqlite3_bind_int64(s, index, value); }
void set_param(sqlite3_stmt* s, int index, std::uint64_t value) {
    sqlite3_bind_int64(s, index, static_cast<std::int64_t>(value));
}
void set_param(sqlite3_stmt* s, int index, const std::optional<TimePoint>& time) {
    if (time) {
        sqlite3_bind_int64(s, index, internal::to_micros(*time));
    } else {
        sqlite3_bind_null(s, index);
    }
}

// Resets the statement when the scope ends: a statement left mid-step would pin a read snapshot
// (and, on the writer, keep the transaction from committing).
class Scoped {
public:
    explicit Scoped(sqlite3_stmt* s) noexcept : s_(s) {}
    ~Scoped() { sqlite3_reset(s_); }
    Scoped(const Scoped&) = delete;
    Scoped& operator=(const Scoped&) = delete;
    operator sqlite3_stmt*() const noexcept { return s_; }  // NOLINT: a scoped handle reads as the handle

private:
    sqlite3_stmt* s_;
};

class Connection {
public:
    static Result<std::unique_ptr<Connection>> open(const SqliteConfig& config, bool writer) {
        auto connection = std::unique_ptr<Connection>(new Connection());
        // NOMUTEX: a connection is only ever used by one thread at a time (the writer mutex or
        // the reader pool guarantees it), so SQLite's per-connection mutex would be pure cost.
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        const int rc = sqlite3_open_v2(config.path.c_str(), &connection->db_, flags, nullptr);
        if (rc != SQLITE_OK) return to_error("cannot open " + config.path, connection->db_, rc);
        sqlite3_extended_result_codes(connection->db_, 1);
        sqlite3_busy_timeout(connection->db_, kBusyTimeoutMs);
        std::string pragmas = "PRAGMA mmap_size = 268435456;";
        pragmas += config.full_sync ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;";
        if (writer) pragmas = "PRAGMA journal_mode = WAL;" + pragmas;
        if (auto done = connection->exec(pragmas); !done) return std::move(done).error();
        if (writer) {
            // Several processes may open a new file at once: the schema goes in under the write lock.
            std::string schema = "BEGIN IMMEDIATE;";
            schema += kSchema;
            schema += "COMMIT;";
            if (auto done = connection->exec(schema); !done) {
                (void)connection->exec("ROLLBACK");
                return std::move(done).error();
            }
        }
        for (std::size_t i = 0; i < kStatementCount; ++i) {
            const int prc = sqlite3_prepare_v3(connection->db_, kSql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                               &connection->statements_[i], nullptr);
            if (prc != SQLITE_OK) return to_error("cannot prepare a statement", connection->db_, prc);
        }
        return connection;
    }

    ~Connection() {
        for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
        sqlite3_close_v2(db_);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* db() const noexcept { return db_; }
    sqlite3_stmt* operator[](Statement s) const noexcept { return statements_[s]; }

    Result<void> exec(const std::string& sql) {
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        sqlite3_free(message);
        if (rc != SQLITE_OK) return to_error("cannot set up the database", db_, rc);
        return {};
    }

    /// Runs a statement that returns no rows (or whose rows are not wanted).
    Result<void> run(Statement statement, const char* what) {
        Scoped s((*this)[statement]);
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) return to_error(what, db_, rc);
        return {};
    }

    Error error(const char* what, int rc) const { return to_error(what, db_, rc); }

private:
    Connection() = default;
    sqlite3* db_ = nullptr;
    std::array<sqlite3_stmt*, kStatementCount> statements_{};
};

// Copies the WAL back into the database file on its own thread and connection. SQLite would
// otherwise checkpoint inside whichever commit crosses the threshold, and a checkpoint fsyncs the
// WAL and the database: milliseconds that would land on every few hundredth commit. A PASSIVE
// checkpoint runs alongside readers and the writer. Durability does not depend on it: a commit
// is durable once it is in the WAL.
class Checkpointer {
public:
    explicit Checkpointer(std::unique_ptr<Connection> connection)
        : connection_(std::move(connection)), thread_([this] { run(); }) {}
    ~Checkpointer() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;

    // The writer connection's WAL hook: SQLite calls it after every commit.
    static int on_commit(void* self, sqlite3*, const char*, int wal_pages) {
        if (wal_pages >= kCheckpointPages) static_cast<Checkpointer*>(self)->request();
        return SQLITE_OK;
    }

private:
    void request() noexcept {
        {
            std::lock_guard lock(mutex_);
            due_ = true;
        }
        wake_.notify_one();
    }

    void run() noexcept {
        std::unique_lock lock(mutex_);
        while (true) {
            wake_.wait(lock, [this] { return due_ || stop_; });
            if (stop_) return;
            due_ = false;
            lock.unlock();
            const int rc = sqlite3_wal_checkpoint_v2(connection_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                                     nullptr);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
                try {
                    log::warn(kComponent, "checkpoint failed", {{"error", to_error("checkpoint", connection_->db(), rc).to_json()}});
                } catch (...) {
                    // Logging must not end the thread with an exception; the next request retries.
                }
            }
            lock.lock();
        }
    }

    std::unique_ptr<Connection> connection_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool due_ = false;
    bool stop_ = false;
    std::thread thread_;  // last: it starts running in the constructor
};

Document read_document(sqlite3_stmt* s, std::string_view collection, std::string id, int first_column) {
    Document document;
    document.collection = std::string(collection);
    document.id = std::move(id);
    document.body = column_string(s, first_column);
    document.version = static_cast<std::uint64_t>(sqlite3_column_int64(s, first_column + 1));
    document.created_at = internal::from_micros(sqlite3_column_int64(s, first_column + 2));
    document.updated_at = internal::from_micros(sqlite3_column_int64(s, first_column + 3));
    document.expires_at = column_time(s, first_column + 4);
    return document;
}

// One live document, or nullopt. `now` hides expired ones.
Result<std::optional<Document>> read_one(Connection& connection, DocumentRef ref, std::int64_t now) {
    Scoped s(connection[kGet]);
    set_param(s, 1, ref.collection);
    set_param(s, 2, ref.id);
    set_param(s, 3, now);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return std::optional<Document>(read_document(s, ref.collection, std::string(ref.id), 0));
    if (rc == SQLITE_DONE) return std::optional<Document>();
    return connection.error("cannot read a document", rc);
}

}  // namespace

struct SqliteStore::Impl {
    SqliteConfig config;
    StoreOptions options;

    // Declared before the writer, so it is destroyed after the writer whose WAL hook points at it.
    std::unique_ptr<Checkpointer> checkpointer;
    std::mutex writer_mutex;
    std::unique_ptr<Connection> writer;

    std::mutex readers_mutex;
    std::vector<std::unique_ptr<Connection>> idle_readers;

    // A reader connection borrowed from the pool for one call; returned on destruction.
    class Reader {
    public:
        Reader(Impl& impl, std::unique_ptr<Connection> connection) noexcept
            : impl_(&impl), connection_(std::move(connection)) {}
        Reader(Reader&&) noexcept = default;
        Reader& operator=(Reader&&) = delete;
        ~Reader() {
            if (!connection_) return;
            std::lock_guard lock(impl_->readers_mutex);
            if (impl_->idle_readers.size() < kMaxIdleReaders) impl_->idle_readers.push_back(std::move(connection_));
        }
        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }

    private:
        Impl* impl_;
        std::unique_ptr<Connection> connection_;
    };

    Result<Reader> reader() {
        {
            std::lock_guard lock(readers_mutex);
            if (!idle_readers.empty()) {
                Reader borrowed(*this, std::move(idle_readers.back()));
                idle_readers.pop_back();
                return borrowed;
            }
        }
        auto connection = Connection::open(config, false);
        if (!connection) return std::move(connection).error();
        return Reader(*this, std::move(*connection));
    }

    // Runs `body(writer)` inside BEGIN IMMEDIATE … COMMIT, rolling back if it fails. Writers in this
    // process queue on the mutex; other processes on SQLite's lock (busy_timeout).
    template <class T, class Body>
    Result<T> write(Body&& body) {
        std::lock_guard lock(writer_mutex);
        Connection& w = *writer;
        if (auto begun = w.run(kBeginImmediate, "cannot begin a write transaction"); !begun) {
            return std::move(begun).error();
        }
        Result<T> result = body(w);
        if (result) {
            if (auto committed = w.run(kCommit, "cannot commit"); !committed) result = std::move(committed).error();
        }
        if (!result && !sqlite3_get_autocommit(w.db())) {
            if (auto rolled_back = w.run(kRollback, "cannot roll back"); !rolled_back) {
                log::error(kComponent, "rollback failed", {{"error", rolled_back.error().to_json()}});
            }
        }
        return result;
    }

    // Requires: inside `write`. Advances the commit sequence and returns the new version (rolled
    // back with everything else if the transaction is).
    static Result<std::uint64_t> next_version(Connection& w) {
        Scoped s(w[kNextVersion]);
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) return w.error("cannot advance the commit sequence", rc);
        return static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    }

    // Requires: inside `write`.
    static Result<void> append(Connection& w, const Event& event, std::uint64_t version, std::uint64_t n,
                               std::int64_t now) {
        Scoped s(w[kInsertEvent]);
        set_param(s, 1, version);
        set_param(s, 2, n);
        set_param(s, 3, event.collection);
        set_param(s, 4, event.document_id);
        set_param(s, 5, event.action);
        set_param(s, 6, now);
        set_param(s, 7, event.data);
        set_param(s, 8, event.root_id);
        set_param(s, 9, event.parent_id);
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) return w.error("cannot append to the outbox", rc);
        return {};
    }

    // Requires: inside `write`. Checks op `index`'s precondition against the transaction's view.
    static Result<void> check(Connection& w, const Op& op, std::size_t index, std::int64_t now) {
        if (op.precondition.kind == Precondition::Kind::any) return {};
        Scoped s(w[kState]);
        set_param(s, 1, op.collection);
        set_param(s, 2, op.id);
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return w.error("cannot read a document", rc);
        bool live = false;
        std::uint64_t version = 0;
        if (rc == SQLITE_ROW) {
            version = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
            live = sqlite3_column_type(s, 1) == SQLITE_NULL || sqlite3_column_int64(s, 1) > now;
        }
        if (auto failed = internal::check_precondition(op, index, live, version)) return std::move(*failed);
        return {};
    }

    // Requires: inside `write`.
    static Result<void> apply(Connection& w, const Op& op, std::uint64_t version, std::int64_t now) {
        switch (op.kind) {
            case Op::Kind::check: return {};  // its precondition was all there was to it
            case Op::Kind::put:
            case Op::Kind::remove: break;
        }
        if (op.kind == Op::Kind::remove) {
            Scoped s(w[kDelete]);
            set_param(s, 1, op.collection);
            set_param(s, 2, op.id);
            const int rc = sqlite3_step(s);
            if (rc != SQLITE_DONE) return w.error("cannot delete a document", rc);
            return {};
        }
        Scoped s(w[kUpsert]);
        set_param(s, 1, op.collection);
        set_param(s, 2, op.id);
        set_param(s, 3, op.body);
        set_param(s, 4, version);
        set_param(s, 5, now);
        set_param(s, 6, op.expires_at);
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) return w.error("cannot write a document", rc);
        return {};
    }
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<Store>> SqliteStore::open(SqliteConfig config, const StoreOptions& options) {
    const std::filesystem::path parent = std::filesystem::path(config.path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            return Error(ErrorCode::unavailable, "cannot create " + parent.string() + ": " + ec.message(),
                         {{"path", config.path}, {"backend", {{"errno", ec.value()}}}});
        }
    }
    auto impl = std::make_unique<Impl>();
    impl->config = std::move(config);
    impl->options = options;
    auto writer = Connection::open(impl->config, true);
    if (!writer) {
        writer.error().details()["path"] = impl->config.path;
        return std::move(writer).error();
    }
    impl->writer = std::move(*writer);
    auto checkpoint_connection = Connection::open(impl->config, false);
    if (!checkpoint_connection) return std::move(checkpoint_connection).error();
    impl->checkpointer = std::make_unique<Checkpointer>(std::move(*checkpoint_connection));
    // Replaces SQLite's auto-checkpoint on the writer (a WAL hook and auto-checkpoint are exclusive).
    sqlite3_wal_hook(impl->writer->db(), &Checkpointer::on_commit, impl->checkpointer.get());
    log::info(kComponent, "opened",
              {{"path", impl->config.path}, {"synchronous", impl->config.full_sync ? "full" : "normal"}});
    return std::unique_ptr<Store>(new SqliteStore(std::move(impl)));
}

Result<Document> SqliteStore::get(std::string_view collection, std::string_view id) {
    const std::int64_t now = internal::to_micros(internal::now(impl_->options));
    auto reader = impl_->reader();
    if (!reader) return std::move(reader).error();
    auto found = read_one(**reader, {collection, id}, now);
    if (!found) return std::move(found).error();
    if (!*found) return internal::not_found(collection, id);
    return std::move(**found);
}

Result<std::vector<std::optional<Document>>> SqliteStore::get_many(std::string_view collection,
                                                                   std::span<const std::string> ids) {
    return get_refs(internal::refs_of(collection, ids));
}

Result<std::vector<std::optional<Document>>> SqliteStore::get_refs(std::span<const DocumentRef> refs) {
    // Nothing to read is common (a write whose objects are all new): no reader, no transaction.
    if (refs.empty()) return std::vector<std::optional<Document>>{};
    const std::int64_t now = internal::to_micros(internal::now(impl_->options));
    auto reader = impl_->reader();
    if (!reader) return std::move(reader).error();
    Connection& r = **reader;
    // One read transaction, so every document comes from the same snapshot (and the file locks
    // a transaction takes are taken once).
    if (auto begun = r.run(kBeginRead, "cannot begin a read transaction"); !begun) return std::move(begun).error();
    std::vector<std::optional<Document>> out(refs.size());
    Result<void> status;
    for (std::size_t i = 0; i < refs.size() && status; ++i) {
        auto found = read_one(r, refs[i], now);
        if (found) {
            out[i] = std::move(*found);
        } else {
            status = std::move(found).error();
        }
    }
    if (auto ended = r.run(kCommit, "cannot end a read transaction"); !ended && status) status = std::move(ended);
    if (!status) return std::move(status).error();
    return out;
}

Result<Page> SqliteStore::scan(std::string_view collection, std::string_view cursor, std::size_t limit) {
    TESSERA_ASSERT(limit > 0);
    auto after = internal::decode_cursor(collection, cursor);
    if (!after) return std::move(after).error();
    const std::int64_t now = internal::to_micros(internal::now(impl_->options));
    auto reader = impl_->reader();
    if (!reader) return std::move(reader).error();
    Page page;
    Scoped s((**reader)[kScan]);
    set_param(s, 1, collection);
    set_param(s, 2, std::string_view(*after));
    set_param(s, 3, now);
    set_param(s, 4, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX - 1) + 1));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) page.documents.push_back(read_document(s, collection, column_string(s, 0), 1));
    if (rc != SQLITE_DONE) return (*reader)->error("cannot scan", rc);
    internal::finish_page(page, collection, limit);
    return page;
}

Result<std::uint64_t> SqliteStore::count(std::string_view collection) {
    const std::int64_t now = internal::to_micros(internal::now(impl_->options));
    auto reader = impl_->reader();
    if (!reader) return std::move(reader).error();
    Scoped s((**reader)[kCount]);
    set_param(s, 1, collection);
    set_param(s, 2, now);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return (*reader)->error("cannot count", rc);
    return static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
}

Result<CommitResult> SqliteStore::commit(const Batch& batch) {
    if (auto valid = internal::validate(batch); !valid) return std::move(valid).error();
    if (batch.ops.empty() && batch.events.empty()) return CommitResult{};
    const std::int64_t now = internal::to_micros(internal::now(impl_->options));
    return impl_->write<CommitResult>([&](Connection& w) -> Result<CommitResult> {
        auto version = Impl::next_version(w);
        if (!version) return std::move(version).error();
        // Ops run in order inside the transaction, so a later op's check sees the earlier ops; a
        // failed check rolls everything back.
        for (std::size_t i = 0; i < batch.ops.size(); ++i) {
            if (auto checked = Impl::check(w, batch.ops[i], i, now); !checked) return std::move(checked).error();
            if (auto applied = Impl::apply(w, batch.ops[i], *version, now); !applied) return std::move(applied).error();
        }
        for (std::size_t n = 0; n < batch.events.size(); ++n) {
            if (auto appended = Impl::append(w, batch.events[n], *version, n, now); !appended) {
                return std::move(appended).error();
            }
        }
        return CommitResult{*version};
    });
}

Result<std::size_t> SqliteStore::sweep_expired(TimePoint now, std::size_t limit) {
    const std::int64_t event_time = internal::to_micros(internal::now(impl_->options));
    // The whole sweep is one write transaction: a document deleted here cannot be deleted (and
    // announced) again by a sweeper in another process.
    return impl_->write<std::size_t>([&](Connection& w) -> Result<std::size_t> {
        struct Expired {
            std::string collection, id, body;
        };
        std::vector<Expired> expired;
        {
            Scoped s(w[kSweep]);
            set_param(s, 1, internal::to_micros(now));
            set_param(s, 2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                expired.push_back({column_string(s, 0), column_string(s, 1), column_string(s, 2)});
            }
            if (rc != SQLITE_DONE) return w.error("cannot sweep", rc);
        }
        if (expired.empty()) return std::size_t{0};
        auto version = Impl::next_version(w);
        if (!version) return std::move(version).error();
        for (std::size_t n = 0; n < expired.size(); ++n) {
            Event event;
            event.collection = std::move(expired[n].collection);
            event.document_id = std::move(expired[n].id);
            event.action = "expired";
            event.data = std::move(expired[n].body);
            if (auto appended = Impl::append(w, event, *version, n, event_time); !appended) {
                return std::move(appended).error();
            }
        }
        return expired.size();
    });
}

Result<std::vector<Event>> SqliteStore::claim(std::size_t max, std::chrono::milliseconds lease) {
    if (max == 0) return std::vector<Event>{};
    const std::int64_t now = internal::to_micros(internal::now(impl_->options));
    const std::int64_t lease_until = now + std::chrono::duration_cast<std::chrono::microseconds>(lease).count();
    return impl_->write<std::vector<Event>>([&](Connection& w) -> Result<std::vector<Event>> {
        std::vector<std::pair<std::int64_t, Event>> claimed;
        Scoped s(w[kClaim]);
        set_param(s, 1, now);
        set_param(s, 2, lease_until);
        set_param(s, 3, static_cast<std::int64_t>(std::min<std::size_t>(max, INT64_MAX)));
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            Event event;
            const auto version = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
            event.id = internal::make_event_id(version, static_cast<std::uint64_t>(sqlite3_column_int64(s, 2)));
            event.version = version;
            event.collection = column_string(s, 3);
            event.document_id = column_string(s, 4);
            event.action = column_string(s, 5);
            event.time = internal::from_micros(sqlite3_column_int64(s, 6));
            event.data = column_string(s, 7);
            event.root_id = column_string(s, 8);
            event.parent_id = column_string(s, 9);
            event.attempts = static_cast<std::uint32_t>(sqlite3_column_int64(s, 10) - 1);
            claimed.emplace_back(sqlite3_column_int64(s, 0), std::move(event));
        }
        if (rc != SQLITE_DONE) return w.error("cannot claim outbox events", rc);
        // RETURNING gives rows in no particular order; the outbox order is seq.
        std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<Event> events;
        events.reserve(claimed.size());
        for (auto& [seq, event] : claimed) events.push_back(std::move(event));
        return events;
    });
}

Result<void> SqliteStore::ack(std::span<const std::string> event_ids) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> keys;
    for (const std::string& id : event_ids) {
        if (const auto key = internal::parse_event_id(id)) keys.push_back(*key);
    }
    if (keys.empty()) return {};
    return impl_->write<void>([&](Connection& w) -> Result<void> {
        for (const auto& [version, n] : keys) {
            Scoped s(w[kAck]);
            set_param(s, 1, version);
            set_param(s, 2, n);
            const int rc = sqlite3_step(s);
            if (rc != SQLITE_DONE) return w.error("cannot acknowledge outbox events", rc);
        }
        return {};
    });
}

Result<OutboxStats> SqliteStore::outbox_stats() {
    auto reader = impl_->reader();
    if (!reader) return std::move(reader).error();
    Scoped s((**reader)[kStats]);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) return (*reader)->error("cannot read outbox stats", rc);
    OutboxStats stats;
    stats.pending = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    stats.oldest = column_time(s, 1);
    return stats;
}

Result<void> SqliteStore::ping() {
    auto reader = impl_->reader();
    if (!reader) return std::move(reader).error();
    return (*reader)->run(kReadVersion, "cannot read the database");
}

}  // namespace tessera::store
