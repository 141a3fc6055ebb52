#pragma once
/// @file tessera/search/search_index.hpp
/// @brief `SearchIndex`: a projection of the store's objects that answers `SearchRequest`s —
/// embedded (SQLite FTS5) or Elasticsearch, opened by URL like the store.
///
/// The index holds one entry per stored object (a root document or an entity of its graph): its
/// collection, id, version, the root and parent it sits under, and its stored form (nested entities
/// are links, so an object's fields are its own). Entries are written by `apply`, idempotently: an
/// entry changes only for a newer version than the one it holds, and a removal leaves a tombstone
/// with its version, so duplicated and reordered deliveries (the event bus is at least once) can
/// never bring back an older state.

#include <tessera/result.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/query.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::search {

/// One change to the index.
struct IndexOp {
    enum class Kind {
        upsert,  ///< Put `body` at `version`, unless the entry holds a version >= it.
        remove,  ///< Remove at `version` (leaving a tombstone), unless the entry holds a version >= it.
    };
    Kind kind = Kind::upsert;
    std::string collection;
    std::string id;
    std::uint64_t version = 0;  ///< The store version of the commit. Requires: > 0.
    std::string body;           ///< upsert: the stored form, JSON object text.
    std::string root;           ///< "collection/id" of the graph's root ("" for a root itself).
    std::string parent;         ///< "collection/id" of the parent object ("" for a root).

    friend bool operator==(const IndexOp&, const IndexOp&) = default;
};

/// What `apply` did.
struct ApplyResult {
    std::size_t applied = 0;  ///< Ops that changed an entry.
    std::size_t stale = 0;    ///< Ops ignored: the entry already held that version or a newer one.
};

/// One matching object.
struct Hit {
    std::string collection;
    std::string id;
    std::uint64_t version = 0;
    double score = 0;  ///< 0 when the query does not score.
    /// Its sort values (one per sort key, then collection and id): what `search_after` takes to
    /// continue after this hit.
    std::vector<boost::json::value> sort_values;

    friend bool operator==(const Hit&, const Hit&) = default;
};

/// One bucket of a terms aggregation.
struct Bucket {
    boost::json::value key;
    std::uint64_t count = 0;
    friend bool operator==(const Bucket&, const Bucket&) = default;
};

/// What a search found.
struct SearchResult {
    std::uint64_t total = 0;     ///< Matches counted (see `total_exact`).
    bool total_exact = true;     ///< false: there are at least `total` (track_total_hits was reached).
    std::vector<Hit> hits;       ///< The requested page.
    /// Buckets per aggregation, in the request's order: most frequent first, then by key.
    std::vector<std::pair<std::string, std::vector<Bucket>>> aggregations;

    friend bool operator==(const SearchResult&, const SearchResult&) = default;
};

/// Options of an index. Field comments give defaults.
struct IndexOptions {
    /// Elasticsearch: per-request timeout (connect included). Default 5 s.
    std::chrono::milliseconds request_timeout{5000};
    /// Elasticsearch: all collections share one index (the join field needs parents and children in
    /// one), named "<index_prefix>objects" unless the URL's path names it (`http://host:9200/NAME`).
    /// Default "tessera-", so "tessera-objects".
    std::string index_prefix = "tessera-";
    /// Embedded: the longest a search may run; past it SQLite abandons the statement and the search
    /// is `timeout` (a request cannot make the server spend more). Default 5 s.
    std::chrono::microseconds query_timeout{5000000};
};

/// State of the index, for `/metrics`, readiness and the rebuild check.
struct IndexState {
    std::uint64_t entries = 0;       ///< Live entries.
    std::uint64_t max_version = 0;   ///< Highest version applied (entries and tombstones).
    std::uint64_t generation = 0;    ///< Changes whenever an `apply` changed something.
};

/// A search index. Thread safety: every member function may be called concurrently from any thread
/// (the embedded index serves readers while a writer applies: SQLite WAL). Errors are values:
/// `unavailable`/`timeout` when a remote backend cannot be reached, `internal` for backend
/// failures (original in `details.backend`).
class SearchIndex {
public:
    virtual ~SearchIndex() = default;

    /// Opens the index named by `url` for the collections of `catalog`:
    /// `sqlite:PATH` (the embedded index; `sqlite::memory:` keeps it in memory) or
    /// `http://host:port` / `https://…` (Elasticsearch 8). Errors: `invalid` (malformed URL, unknown
    /// scheme), `unsupported` (Elasticsearch compiled out), `unavailable` (cannot open the file).
    /// An embedded index whose layout no longer matches the catalog (the schemas changed) is emptied
    /// and reports `max_version` 0, so the caller rebuilds it from the store.
    static Result<std::unique_ptr<SearchIndex>> open(std::string_view url,
                                                     const Catalog& catalog,
                                                     const IndexOptions& options = {});

    /// Applies `ops` in order, each only if newer than the entry (see the file comment), in one
    /// transaction (embedded) or one `_bulk` request (Elasticsearch). `refresh`: make the changes
    /// visible to searches before returning (Elasticsearch `refresh=wait_for`; embedded changes are
    /// visible on commit anyway). Errors: `invalid` (an op names a collection not in the catalog, or
    /// a body that is not a JSON object), `unavailable`, `timeout`.
    virtual Result<ApplyResult> apply(std::span<const IndexOp> ops, bool refresh = false) = 0;

    /// Runs `request` (parsed against this index's catalog). Errors: `invalid` (a `search_after` that
    /// does not fit the sort), `unavailable`, `timeout`.
    virtual Result<SearchResult> search(const SearchRequest& request) = 0;

    /// The version the entry for `collection`/`id` holds (its tombstone's, if removed); nullopt if
    /// the index never saw it.
    virtual Result<std::optional<std::uint64_t>> version_of(std::string_view collection, std::string_view id) = 0;

    /// Removes every entry and tombstone of `collection` (all collections when empty), for a rebuild.
    virtual Result<void> clear(std::string_view collection = {}) = 0;

    virtual Result<IndexState> state() = 0;

    /// `IndexState::generation` alone, cheaply (the response cache reads it on every search): this
    /// object's count, advanced by each `apply` that changed something and each `clear` — embedded,
    /// starting from the file's (changes another process writes to the same file are not seen until
    /// it is reopened); Elasticsearch, from 0 (changes other replicas make are not counted: see README).
    virtual Result<std::uint64_t> generation() = 0;

    /// Succeeds if the backend answers.
    virtual Result<void> ping() = 0;

    /// "sqlite" or "elasticsearch".
    virtual std::string_view backend() const noexcept = 0;
};

}  // namespace tessera::search
