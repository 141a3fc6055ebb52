#pragma once
// Private: the stored form of an object graph. A document whose schema declares `x-tessera.entities`
// is stored split: every nested entity becomes its own stored object in its collection, and its place
// in the parent holds a link {"$entity": "<collection>/<id>"}. This header names the pieces — keys,
// links, nodes — and finds the links in a stored form. Splitting and merging live in entity_codec,
// reassembly in graph_text, store reads in graph_reads, write planning in graph_write_plan.
//
// Parents of every entity are indexed in the internal collection `_links` (id "<collection>/<id>",
// body {"parents": [...]}) so that deleting a root removes exactly the entities no other object refers
// to, and deleting a referenced entity directly can be refused with its referrers.

#include <tessera/store/store.hpp>

#include <boost/json/value.hpp>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::model::internal {

inline constexpr const char* kLinksCollection = "_links";
/// The one member of a link object. Reserved: no document may contain it (Collection rejects it).
inline constexpr const char* kLinkMember = "$entity";

/// Addresses one stored object.
struct Key {
    std::string collection;
    std::string id;
    std::string str() const { return collection + "/" + id; }
    friend auto operator<=>(const Key&, const Key&) = default;
};

/// "services/1" → its key; nullopt unless both parts are non-empty.
std::optional<Key> parse_key(std::string_view text);

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

/// The key a link value ({"$entity": "c/id"} and nothing else) points to.
std::optional<Key> link_target(const boost::json::value& v);

/// The links in a stored form, in document order, with their JSON Pointers.
std::vector<Link> links_of(const boost::json::value& stored);

/// The links in a stored form's canonical text, in document order, located in the text (relations
/// left empty): no parse needed.
std::vector<Link> links_in(std::string_view text);

/// A node for a document read from the store, its links located in its text.
Node node_from(store::Document&& doc);

}  // namespace tessera::model::internal
