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
#include <memory>
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

/// What a read fills in.
enum class Representation {
    full,  ///< `body` and `text` (the default).
    text,  ///< `text` and `etag` only, `body` stays null: what an HTTP layer sends, without a parse.
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

/// A parent → child link in a document's object graph ("collection/id" on both ends).
struct Edge {
    std::string parent;
    std::string child;
    std::string relation;  ///< JSON Pointer of the child inside the parent ("/linkedPlanServices/0").

    friend bool operator==(const Edge&, const Edge&) = default;
};

/// The stored objects of one document and the links between them (what a join index consumes).
struct GraphView {
    std::string root;                ///< "collection/id".
    std::vector<std::string> nodes;  ///< Every stored object, root first.
    std::vector<Edge> edges;
};

/// A collection of documents defined by one schema. Usually owned by an `Engine`; thread-safe.
///
/// Every write validates the full resulting document before committing — which may not contain the
/// member "$entity" anywhere (reserved for the links between stored objects) and may not be larger
/// than `EngineConfig::max_document_bytes` — commits the document and
/// its outbox event(s) atomically, and is guarded by store preconditions, so concurrent writers
/// never lose an update: with If-Match a concurrent change gives `precondition_failed`; without it
/// read-modify-write operations retry on the fresh document.
///
/// Object graphs: when an entity policy applies (the schema's `x-tessera.entities`, or the policy of a
/// schema that maps entities into this collection), nested entities are stored as objects of their own
/// collections, shared by id between documents, and reassembled on read. A document's tag covers the
/// assembled graph, so changing a shared entity changes the tag of every document containing it.
class Collection {
public:
    /// A collection over `store` for `schema`; `entities` is the entity policy in force (nullptr: none).
    /// Requires: all of them outlive the collection.
    Collection(store::Store& store,
               const schema::Schema& schema,
               const schema::EntityPolicy* entities,
               const EngineConfig& config);
    ~Collection();

    const std::string& name() const noexcept { return annotations_.collection; }
    const schema::Schema& schema() const noexcept { return schema_; }
    const schema::Annotations& annotations() const noexcept { return annotations_; }

    /// Creates a document; the id comes from the schema's id policy (`url_id` is the id in the
    /// URL, "" if none). Errors: `invalid` (schema violations in details.errors, missing or
    /// mismatching id, an invalid entity id, a "$entity" member: each with its JSON Pointer),
    /// `too_large` (the document exceeds `EngineConfig::max_document_bytes`), `conflict` (id exists),
    /// `precondition_failed` (If-Match given: nothing to match), `unavailable`.
    Result<Resource> create(boost::json::value body, std::string_view url_id = {}, const WriteOptions& options = {});

    /// The document, or `not_found`. If-None-Match matching sets `not_modified`; If-Match failing is
    /// `precondition_failed`.
    Result<Resource> get(std::string_view id,
                         const Preconditions& preconditions = {},
                         Representation representation = Representation::full);

    /// Replaces the document (PUT), creating it if absent and the id policy allows ids from the
    /// URL (`created` is then set). Errors as `create`, plus `precondition_failed` (If-Match /
    /// If-None-Match), `not_found` (absent and creation not allowed).
    Result<Resource> replace(std::string_view id, boost::json::value body, const WriteOptions& options = {});

    /// Applies an RFC 7386 merge patch (entities in arrays merged by id) and validates the result.
    /// Errors: `not_found`, `invalid`, `too_large`, `precondition_failed`.
    Result<Resource> merge_patch(std::string_view id, const boost::json::value& patch, const WriteOptions& options = {});

    /// Applies an RFC 6902 JSON Patch to the assembled document and validates the result. Errors:
    /// `not_found`, `malformed` (not a valid patch document), `invalid` (schema violations),
    /// `conflict` (a path does not exist or a `test` failed), `too_large` (an operation would take the
    /// document past `EngineConfig::max_document_bytes`: checked as the patch is applied, so memory
    /// stays bounded), `precondition_failed`.
    Result<Resource> json_patch(std::string_view id, const boost::json::value& patch, const WriteOptions& options = {});

    /// Deletes the document and the entities no other object refers to. Errors: `not_found`,
    /// `precondition_failed`, `conflict` (the document is an entity other objects still refer to:
    /// `details.referrers` lists them).
    Result<void> remove(std::string_view id, const WriteOptions& options = {});

    /// Up to `limit` documents after `cursor`, in id order. Errors: `malformed` (bad cursor).
    Result<ResourcePage> list(std::string_view cursor,
                              std::size_t limit,
                              Representation representation = Representation::full);

    /// The stored objects and links of a document. Errors: `not_found`.
    Result<GraphView> graph(std::string_view id);

private:
    struct Impl;
    store::Store& store_;
    const EngineConfig& config_;
    const schema::Schema& schema_;
    const schema::Annotations& annotations_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::model
