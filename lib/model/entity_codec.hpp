#pragma once
// Private: which objects of a document are entities, and how a document is split into its stored
// objects (graph_node.hpp) and merge-patched with entities matched by id.

#include "model/graph_node.hpp"

#include <tessera/result.hpp>
#include <tessera/schema/annotations.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <vector>

namespace tessera::model::internal {

/// Knows which objects are entities (nullptr policy: none, documents are stored whole).
class EntityCodec {
public:
    explicit EntityCodec(const schema::EntityPolicy* policy) : policy_(policy) {}

    bool splits() const noexcept { return policy_ != nullptr; }

    /// The key of `object` if it is an entity: its type field names one of the policy's types and its
    /// id field holds a valid document id (`model::is_valid_id`).
    std::optional<Key> entity_key(const boost::json::object& object) const;

    /// For an object whose type names an entity type but that has no usable id (`entity_key` is empty):
    /// `invalid`, with the pointer of its id member (`pointer` is the object's). Else nullopt.
    std::optional<Error> invalid_entity_id(const boost::json::object& object, const std::string& pointer) const;

    /// Splits the assembled `document` of `root` into nodes, root first, then entities in document order.
    /// Errors: `invalid`, with the JSON Pointer, if an object's type names an entity type but its id is
    /// missing or not a valid document id, or one entity id appears twice with different contents
    /// (pointer of the second).
    Result<std::vector<Node>> split(const Key& root, const boost::json::value& document) const;

    /// RFC 7386 merge patch, except that where both sides hold arrays of entities, the patch's
    /// entities are merged by id: an existing id is merged into, a new id is appended, ids the patch
    /// does not mention are kept (seed 000's behaviour). An entity replaced by one with another id is
    /// replaced, not merged.
    boost::json::value merge(boost::json::value target, const boost::json::value& patch) const;

    /// Success unless `document` contains the reserved link member (`kLinkMember`) anywhere: a stored
    /// link is an instruction to splice another object in on read, so a client must never be able to
    /// write one. Errors: `invalid` with the JSON Pointer of the first such member.
    static Result<void> check_no_link_members(const boost::json::value& document);

private:
    // The collection of `object`'s entity type, if its type field names one.
    const std::string* entity_collection(const boost::json::object& object) const;

    const schema::EntityPolicy* policy_;
};

}  // namespace tessera::model::internal
