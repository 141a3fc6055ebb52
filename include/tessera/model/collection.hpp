#pragma once
/// @file tessera/model/collection.hpp
/// @brief `Collection`: schema-validated CRUD with ETags, preconditions and patches over a `Store`.

#include <tessera/model/etag.hpp>
#include <tessera/result.hpp>
#include <tessera/schema/registry.hpp>
#include <tessera/store/store.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::model {

struct EngineConfig;

/// Conditional-request inputs (RFC 9110 §13). Absent means the header was not sent.
struct Preconditions {
    std::optional<EtagSet> if_match;
    std::optional<EtagSet> if_none_match;
};

/// Options for one write.
struct WriteOptions {
    Preconditions preconditions;
    /// An Idempotency-Key, already scoped by the caller (e.g. "POST /api/plans|<key>"); "" = none.
    /// A retry with the same key and the same request replays the first outcome; the same key with a
    /// different request is `invalid`. Keys are remembered for `EngineConfig::idempotency_ttl`.
    std::string idempotency_key;
};

/// A document as served: the body the client receives and its tag.
struct Resource {
    std::string collection;
    std::string id;
    boost::json::value body;  ///< The document.
    std::string text;         ///< `body` as canonical JSON text: what HTTP sends and what `etag` hashes.
    Etag etag;
    std::uint64_t version = 0;
    store::TimePoint created_at{};
    store::TimePoint updated_at{};
    std::optional<store::TimePoint> expires_at;
    bool created = false;       ///< A write created the document (POST, or PUT of a new id).
    bool not_modified = false;  ///< `get`: If-None-Match matched; `body` is still filled.
    bool replayed = false;      ///< An Idempotency-Key replay of an earlier write.
};

/// One page of `list`.
struct ResourcePage {
    std::vector<Resource> items;
    std::string next_cursor;  ///< "" at the end.
};

/// A collection of documents defined by one schema. Usually owned by an `Engine`; thread-safe.
///
/// Every write validates the full resulting document before committing, commits the document and
/// its outbox event(s) atomically, and is guarded by a store precondition, so concurrent writers
/// never lose an update: with If-Match a concurrent change gives `precondition_failed`; without it
/// read-modify-write operations retry on the fresh document.
class Collection {
public:
    /// A collection over `store` for `schema`; `registry` resolves the schemas of linked entities.
    /// Requires: all four outlive the collection.
    Collection(store::Store& store,
               const schema::Registry& registry,
               const schema::Schema& schema,
               const EngineConfig& config);

    const std::string& name() const noexcept { return annotations_.collection; }
    const schema::Schema& schema() const noexcept { return schema_; }
    const schema::Annotations& annotations() const noexcept { return annotations_; }

    /// Creates a document; the id comes from the schema's id policy (`url_id` is the id in the
    /// URL, "" if none). Errors: `invalid` (schema violations in details.errors, missing or
    /// mismatching id), `conflict` (id exists), `precondition_failed` (If-Match given: nothing to
    /// match), `unavailable`.
    Result<Resource> create(boost::json::value body, std::string_view url_id = {}, const WriteOptions& options = {});

    /// The document, or `not_found`. If-None-Match matching sets `not_modified`; If-Match failing is
    /// `precondition_failed`.
    Result<Resource> get(std::string_view id, const Preconditions& preconditions = {});

    /// Replaces the document (PUT), creating it if absent and the id policy allows ids from the
    /// URL (`created` is then set). Errors as `create`, plus `precondition_failed` (If-Match /
    /// If-None-Match), `not_found` (absent and creation not allowed).
    Result<Resource> replace(std::string_view id, boost::json::value body, const WriteOptions& options = {});

    /// Applies an RFC 7386 merge patch and validates the result. Errors: `not_found`, `invalid`,
    /// `precondition_failed`.
    Result<Resource> merge_patch(std::string_view id, const boost::json::value& patch, const WriteOptions& options = {});

    /// Applies an RFC 6902 JSON Patch and validates the result. Errors: `not_found`, `invalid`
    /// (malformed patch: details.kind "syntax"; or schema violations), `conflict` (a path does not
    /// exist or a `test` failed), `precondition_failed`.
    Result<Resource> json_patch(std::string_view id, const boost::json::value& patch, const WriteOptions& options = {});

    /// Deletes the document. Errors: `not_found`, `precondition_failed`.
    Result<void> remove(std::string_view id, const WriteOptions& options = {});

    /// Up to `limit` documents after `cursor`, in id order. Errors: `invalid` (bad cursor).
    Result<ResourcePage> list(std::string_view cursor, std::size_t limit);

private:
    using Mutation = std::function<Result<boost::json::value>(const boost::json::value& current)>;
    Result<Resource> update(std::string_view id, const WriteOptions& options, const char* fingerprint_kind,
                            const boost::json::value& request, const Mutation& mutate);
    Result<Resource> write(std::string_view id, boost::json::value body, std::optional<std::uint64_t> base_version,
                           const store::Document* before, const WriteOptions& options, std::string_view fingerprint);
    Result<std::optional<Resource>> replay(const WriteOptions& options, std::string_view fingerprint);
    Result<void> prepare(std::string_view id, boost::json::value& body, std::optional<store::TimePoint>& expires_at,
                         const store::Document* before);

    store::Store& store_;
    const schema::Registry& registry_;
    const EngineConfig& config_;
    const schema::Schema& schema_;
    const schema::Annotations& annotations_;
};

}  // namespace tessera::model
