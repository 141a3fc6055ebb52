#pragma once
// Private: object graphs. A document whose schema declares `x-tessera.entities` is stored split: every
// nested entity (an object whose type field names an entity type) becomes its own stored object in its
// collection, and its place in the parent holds a link {"$entity": "<collection>/<id>"}. Reading
// assembles the document again. A plain collection is the one-node case of the same code.
//
// Parents of every entity are indexed in the internal collection `_links` (id "<collection>/<id>",
// body {"parents": [...]}) so that deleting a root removes exactly the entities no other object refers
// to, and deleting a referenced entity directly can be refused with its referrers.

#include <tessera/result.hpp>
#include <tessera/schema/annotations.hpp>
#include <tessera/store/store.hpp>

#include <boost/json/value.hpp>

#include <compare>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tessera::model::detail {

inline constexpr const char* kLinksCollection = "_links";
inline constexpr const char* kLinkMember = "$entity";

/// Addresses one stored object.
struct Key {
    std::string collection;
    std::string id;
    std::string str() const { return collection + "/" + id; }
    friend auto operator<=>(const Key&, const Key&) = default;
};

/// A reference from a parent's stored form to a child entity.
struct Link {
    Key child;
    std::string relation;  // JSON Pointer of the link inside the parent's stored form ("/linkedService");
                           // only from `links_of` (the graph view)
    std::size_t begin = 0;  // where the link's text starts in the parent's text...
    std::size_t end = 0;    // ...and ends (one past its '}'): only for nodes read from the store
};

/// One stored object: its stored form (nested entities replaced by links) and where it stands.
struct Node {
    Key key;
    std::string text;            // canonical JSON text of the stored form
    std::vector<Link> links;     // children, in document order
    std::uint64_t version = 0;   // 0: not (known to be) in the store
    store::TimePoint created_at{};
    store::TimePoint updated_at{};
    std::optional<store::TimePoint> expires_at;
};

using Nodes = std::map<Key, Node>;

/// Knows which objects are entities (nullptr policy: none, documents are stored whole).
class EntityCodec {
public:
    explicit EntityCodec(const schema::EntityPolicy* policy) : policy_(policy) {}

    bool splits() const noexcept { return policy_ != nullptr; }

    /// The key of `object` if it is an entity (its type is one of the policy's and it has a string id).
    std::optional<Key> entity_key(const boost::json::object& object) const;

    /// Splits the assembled `document` of `root` into nodes, root first, then entities in document order.
    /// Errors: `invalid` if one entity id appears twice with different contents (pointer of the second).
    Result<std::vector<Node>> split(const Key& root, const boost::json::value& document) const;

    /// The canonical text of `root` assembled from `nodes` as `load_nodes` returns them (their links
    /// located in their texts): each link's text is replaced by its node's
    /// assembled text. Because stored forms are canonical and a link stands exactly where its entity
    /// goes, the result is the canonical text of the assembled document, without parsing anything.
    /// A link whose node is missing is dropped (array element or member) on a slower path.
    static std::string assemble(const Key& root, const Nodes& nodes);

    /// RFC 7386 merge patch, except that where both sides hold arrays of entities, the patch's
    /// entities are merged by id: an existing id is merged into, a new id is appended, ids the patch
    /// does not mention are kept (seed 000's behaviour). An entity replaced by one with another id is
    /// replaced, not merged.
    boost::json::value merge(boost::json::value target, const boost::json::value& patch) const;

    /// The links in a stored form, in document order, with their JSON Pointers.
    static std::vector<Link> links_of(const boost::json::value& stored);
    /// The links in a stored form's canonical text, in document order (relations left empty).
    static std::vector<Link> links_in(std::string_view text);

private:
    const schema::EntityPolicy* policy_;
};

/// Reads `root` and every object reachable from it (one `Store::get_refs` per level).
/// Errors: `not_found` if the root is absent; store errors.
Result<Nodes> load_nodes(store::Store& store, const Key& root);

/// The parents recorded for `keys` in `_links`: key → (parents, version of the links document).
struct Parents {
    std::set<Key> keys;
    std::uint64_t version = 0;  // 0: no links document
};
Result<std::map<Key, Parents>> load_parents(store::Store& store, const std::vector<Key>& keys);

/// How a graph write went into a batch, so the caller can read a precondition failure.
struct GraphBatch {
    store::Batch batch;
    std::size_t root_op = 0;  // index of the root's op (always 0)
    bool changed = false;     // false: the new state equals the old, nothing to commit
    std::set<std::size_t> assumed_new;  // ops that rest on the optimistic assumption
};

/// Plans the batch that takes the graph of `root` from `before` (its nodes as loaded; empty when
/// creating) to `after` (the split of the new document; empty when deleting the root). Entities that
/// are not in `before` are read from the store (they may be shared with other roots); entities that
/// lose their last parent are deleted, recursively. Every op carries a version precondition from what
/// was read (the root: `absent` when `before` is empty), so a concurrent change makes the commit fail
/// rather than be overwritten. One event per changed object: action, root id, parent.
///
/// `optimistic`: assume every entity not in `before` is new instead of reading it (puts with an `absent`
/// precondition). Fresh documents then cost no reads; if one was not new after all, the commit fails
/// on that precondition (`GraphBatch::assumed_new` tells which ops those are) and the caller plans
/// again without the assumption.
Result<GraphBatch> plan_graph_write(store::Store& store,
                                   const Key& root,
                                   const Nodes& before,
                                   const std::vector<Node>& after,
                                   std::optional<store::TimePoint> root_expires_at,
                                   bool optimistic = false);

}  // namespace tessera::model::detail
