#pragma once
// Private: the SQLite backend behind `sqlite:PATH`, Tessera's embedded durable default.
//
// One database file in WAL mode holds three tables: tessera_documents (one row per live or
// not-yet-swept document, unique on (collection, id)), tessera_outbox (events in commit order) and
// tessera_meta (the store-wide commit sequence). A commit is one BEGIN IMMEDIATE transaction on the
// single writer connection, so documents, outbox and sequence change together or not at all.
//
// Threads: writes are serialised on the writer connection (a mutex in this process; BEGIN
// IMMEDIATE plus busy_timeout against other processes). Reads take a connection from a pool of
// reader connections, so they run in parallel with each other and with the writer (WAL readers
// see the last committed snapshot). Every connection caches its prepared statements.
//
// Durability: synchronous=NORMAL (default) keeps an acknowledged commit across a crash of the
// process; synchronous=FULL also across a crash of the OS or a power loss.

#include <tessera/store/store.hpp>

#include <memory>
#include <string>

namespace tessera::store {

struct SqliteConfig {
    std::string path;        ///< Database file; missing parent directories are created.
    bool full_sync = false;  ///< synchronous=FULL instead of NORMAL.
};

class SqliteStore final : public Store {
public:
    /// Opens (creating if needed) the database at `config.path`. Errors: `unavailable` if the file
    /// cannot be created or opened, `internal` if it is not a Tessera database SQLite can read.
    static Result<std::unique_ptr<Store>> open(SqliteConfig config, const StoreOptions& options);

    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    Result<Document> get(std::string_view collection, std::string_view id) override;
    Result<std::vector<std::optional<Document>>> get_many(std::string_view collection,
                                                          std::span<const std::string> ids) override;
    Result<std::vector<std::optional<Document>>> get_refs(std::span<const DocumentRef> refs) override;
    Result<Page> scan(std::string_view collection, std::string_view cursor, std::size_t limit) override;
    Result<std::uint64_t> count(std::string_view collection) override;
    Result<CommitResult> commit(const Batch& batch) override;
    Result<std::size_t> sweep_expired(TimePoint now, std::size_t limit) override;
    Result<std::vector<Event>> claim(std::size_t max, std::chrono::milliseconds lease) override;
    Result<void> ack(std::span<const std::string> event_ids) override;
    Result<OutboxStats> outbox_stats() override;
    Result<void> ping() override;
    std::string_view backend() const noexcept override { return "sqlite"; }

private:
    struct Impl;
    explicit SqliteStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::store
