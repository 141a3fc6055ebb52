#pragma once
/// @file tessera/store/store.hpp
/// @brief The `Store` interface: Tessera's single source of truth for documents and the outbox.
///
/// A store holds documents addressed by (collection, id) and an ordered outbox of events.
/// Every write is one atomic `commit` of puts/deletes, each guarded by a precondition, plus the
/// outbox events describing it: all of it is applied, or none of it.
///
/// Versions: every commit is assigned the next value of a store-wide, strictly increasing
/// sequence; every document written by that commit gets it as its `version`, and every event in
/// the batch gets it too. So a document's versions increase monotonically, even across a delete
/// and a re-create (what idempotent consumers rely on), and all events of one commit share it.
///
/// Times: every `TimePoint` a store keeps (created/updated/expires, event time) is kept with
/// microsecond precision, truncated toward the past; what a read returns is that value.
///
/// Backends are chosen by URL through `Store::open`: `memory:`, `sqlite:PATH`, `redis://…`.

#include <tessera/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::store {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// Names one document by views into the caller's strings (for `Store::get_refs`).
struct DocumentRef {
    std::string_view collection;
    std::string_view id;
};

/// A stored document. `body` is JSON text (the engine stores canonical JSON); the store never
/// parses it.
struct Document {
    std::string collection;
    std::string id;
    std::string body;
    std::uint64_t version = 0;            ///< Sequence of the commit that last wrote it.
    TimePoint created_at{};               ///< When it was first put (kept across updates).
    TimePoint updated_at{};               ///< When it was last put.
    std::optional<TimePoint> expires_at;  ///< Invisible to every read from this instant on.

    friend bool operator==(const Document&, const Document&) = default;
};

/// What must hold for an op before the commit may apply it.
struct Precondition {
    enum class Kind {
        any,      ///< No condition.
        absent,   ///< The document must not exist (or must have expired).
        exists,   ///< The document must exist (and not have expired).
        version,  ///< The document must exist with exactly `version`.
    };
    Kind kind = Kind::any;
    std::uint64_t version = 0;  ///< Only for `Kind::version`.

    static Precondition any() { return {}; }
    static Precondition absent() { return {Kind::absent, 0}; }
    static Precondition exists() { return {Kind::exists, 0}; }
    static Precondition at_version(std::uint64_t v) { return {Kind::version, v}; }

    friend bool operator==(const Precondition&, const Precondition&) = default;
};

/// One write in a batch (or, for `check`, a precondition that must hold for the batch to apply).
struct Op {
    enum class Kind {
        put,     ///< Write `body` (creating or replacing the document).
        remove,  ///< Delete the document (if it exists).
        check,   ///< Write nothing; only `precondition` must hold (e.g. "still at version 7").
    };
    Kind kind = Kind::put;
    std::string collection;
    std::string id;
    std::string body;                     ///< Only for put: the new JSON text.
    std::optional<TimePoint> expires_at;  ///< Only for put: absent means "never expires".
    Precondition precondition;

    static Op put(std::string collection, std::string id, std::string body, Precondition pre = {},
                  std::optional<TimePoint> expires_at = std::nullopt) {
        return Op{Kind::put, std::move(collection), std::move(id), std::move(body), expires_at, pre};
    }
    static Op remove(std::string collection, std::string id, Precondition pre = {}) {
        return Op{Kind::remove, std::move(collection), std::move(id), {}, std::nullopt, pre};
    }
    static Op check(std::string collection, std::string id, Precondition pre) {
        return Op{Kind::check, std::move(collection), std::move(id), {}, std::nullopt, pre};
    }
};

/// An outbox record. The caller fills the descriptive fields; `commit` (or the TTL sweep)
/// assigns `id`, `version` and `time`; `claim` fills `attempts`.
struct Event {
    std::string id;           ///< Assigned on append: "<version>-<n>" (n = position among the commit's
                              ///< events), unique; the outbox is ordered by (version, n).
    std::string collection;   ///< Collection of the document the event is about.
    std::string document_id;  ///< Id of that document.
    std::string action;       ///< "created" | "updated" | "deleted" | "expired" (free text to the store).
    std::uint64_t version = 0;  ///< Assigned: the commit's version.
    TimePoint time{};           ///< Assigned: when the commit was applied.
    std::string data;           ///< JSON text: the stored object, or "" for deletes.
    std::string root_id;        ///< Optional: id of the root document of the graph (entities).
    std::string parent_id;      ///< Optional: "collection/id" of the parent object (entities).
    std::uint32_t attempts = 0; ///< How many times this event was claimed before (0 on first claim).

    friend bool operator==(const Event&, const Event&) = default;
};

/// One atomic unit: ops applied in order (a later op on the same key sees the earlier one),
/// then events appended, all or nothing.
struct Batch {
    std::vector<Op> ops;
    std::vector<Event> events;
};

/// What a successful commit did.
struct CommitResult {
    std::uint64_t version = 0;  ///< The version assigned to every op and event of the batch (0 for an
                                ///< empty batch, which consumes no version).
};

/// One page of a scan.
struct Page {
    std::vector<Document> documents;
    std::string next_cursor;  ///< Empty when there is nothing after this page.
};

/// Outbox health, for metrics and readiness.
struct OutboxStats {
    std::uint64_t pending = 0;            ///< Events appended but not yet acknowledged.
    std::optional<TimePoint> oldest;      ///< Time of the oldest unacknowledged event.
};

/// Options common to every backend. Backend-specific settings travel in the URL's query
/// (e.g. `sqlite:./var/t.db?synchronous=full`, `redis://h:6379/0?prefix=app&timeout_ms=500`).
struct StoreOptions {
    std::chrono::milliseconds connect_timeout{1000};  ///< Remote backends: connect timeout. Default 1 s.
    std::chrono::milliseconds command_timeout{2000};  ///< Remote backends: per-command timeout. Default 2 s.
    /// Source of "now" for timestamps, TTL visibility and leases (Redis measures leases with the
    /// server's clock instead). Default (empty): `Clock::now`. Tests inject a manual clock; it must
    /// be callable from any thread.
    std::function<TimePoint()> clock;
};

/// The document store. Thread safety: every member function may be called concurrently from any
/// number of threads. Errors: `unavailable`/`timeout` when a remote backend cannot be reached (never
/// a hang beyond the configured timeouts), `internal` for backend failures (original in
/// `details.backend`).
class Store {
public:
    virtual ~Store() = default;

    /// Opens the backend named by `url`: `memory:`, `sqlite:PATH` (`?synchronous=normal|full`,
    /// default normal; missing parent directories are created),
    /// `redis://[[user]:password@]host[:port][/db][?prefix=P&timeout_ms=N]` (port 6379, db 0, prefix
    /// "tessera"; `timeout_ms` overrides both timeouts of `options`). Errors: `invalid` (malformed URL,
    /// unknown scheme or parameter), `unsupported` (backend compiled out), `unavailable` (cannot
    /// connect / open).
    static Result<std::unique_ptr<Store>> open(std::string_view url, const StoreOptions& options = {});

    /// The document, or `not_found` (also when it has expired).
    virtual Result<Document> get(std::string_view collection, std::string_view id) = 0;

    /// Documents for `ids` in the same order; a missing or expired one is `std::nullopt`.
    virtual Result<std::vector<std::optional<Document>>> get_many(std::string_view collection,
                                                                  std::span<const std::string> ids) = 0;

    /// Documents for `refs`, which may name any mix of collections, in the same order; a missing or
    /// expired one is `std::nullopt`. The memory and SQLite stores read them all at once (SQLite: in
    /// one read transaction, so from one snapshot); the default calls `get_many` per collection.
    virtual Result<std::vector<std::optional<Document>>> get_refs(std::span<const DocumentRef> refs);

    /// Up to `limit` documents of `collection` in ascending id order (byte-wise) with id > the one
    /// `cursor` encodes (empty cursor: from the start). Stable under concurrent writes: a document
    /// that exists for the whole pagination is returned exactly once. Errors: `malformed` for a
    /// cursor this store did not produce. Requires: `limit > 0`.
    virtual Result<Page> scan(std::string_view collection, std::string_view cursor, std::size_t limit) = 0;

    /// Number of live (not expired) documents in `collection`.
    virtual Result<std::uint64_t> count(std::string_view collection) = 0;

    /// Applies `batch` atomically. Errors: `precondition_failed` if any op's precondition does not
    /// hold — nothing is written, `Error::failed_op()` is the op's index, and `details` names the op:
    /// `{op: index, collection, id,
    /// expected: "absent"|"exists"|"version", actual_version: N (0 if absent)}`, plus
    /// `expected_version: N` when `expected` is "version"; `invalid` for an
    /// empty collection/id. An empty batch (no ops, no events) succeeds and writes nothing.
    /// Durability: once `commit` returns success, the write survives a crash of this process
    /// (for `sqlite` with synchronous=normal: of the process, not of the OS).
    virtual Result<CommitResult> commit(const Batch& batch) = 0;

    /// Deletes up to `limit` documents whose `expires_at` <= `now` and appends one "expired"
    /// event per document (with its last body as `data`), atomically per sweep. Returns how many
    /// were removed. Safe to run from several processes at once (each document is swept once).
    virtual Result<std::size_t> sweep_expired(TimePoint now, std::size_t limit) = 0;

    /// Claims up to `max` outbox events in outbox order that are neither acknowledged nor under an
    /// unexpired lease, and leases them for `lease`. An event not acknowledged before its lease
    /// ends is handed out again by a later claim (with `attempts` incremented). Delivery is at least
    /// once: a relay acks after delivering, so a crash between the two delivers again.
    virtual Result<std::vector<Event>> claim(std::size_t max, std::chrono::milliseconds lease) = 0;

    /// Acknowledges events by id: they are never handed out again. Unknown ids are ignored.
    virtual Result<void> ack(std::span<const std::string> event_ids) = 0;

    /// Pending count and age of the outbox.
    virtual Result<OutboxStats> outbox_stats() = 0;

    /// Succeeds if the backend is reachable and usable (for readiness probes).
    virtual Result<void> ping() = 0;

    /// The backend's name: "memory", "sqlite", "redis".
    virtual std::string_view backend() const noexcept = 0;

    /// True if a call may wait on I/O or on another writer (a disk, a network round trip, a file
    /// lock); false for a store that only takes short in-memory locks. A server keeps calls of a store
    /// that may block off its I/O threads. Default true.
    virtual bool may_block() const noexcept { return true; }
};

}  // namespace tessera::store
