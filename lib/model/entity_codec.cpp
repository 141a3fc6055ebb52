#include "model/entity_codec.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/pointer.hpp>
#include <tessera/json/text.hpp>
#include <tessera/model/ids.hpp>

#include <algorithm>
#include <map>

namespace tessera::model::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

Error pointer_error(std::string message, const std::string& pointer, std::string detail) {
    return Error(ErrorCode::invalid, std::move(message),
                 {{"errors", array{object{{"pointer", pointer}, {"message", std::move(detail)}}}}});
}

// The pointer of the first `kLinkMember` member in `v`, if any; `pointer` is where `v` is.
bool find_link_member(const value& v, std::string& pointer) {
    if (const auto* o = v.if_object()) {
        for (const auto& [k, member] : *o) {
            const std::size_t size = pointer.size();
            json::append_token_to(pointer, k);
            if (k == kLinkMember || find_link_member(member, pointer)) return true;
            pointer.resize(size);
        }
    } else if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            const std::size_t size = pointer.size();
            json::append_index_to(pointer, i);
            if (find_link_member((*a)[i], pointer)) return true;
            pointer.resize(size);
        }
    }
    return false;
}

// A JSON Pointer grown by one token for the life of a scope: the split walks down and back up a
// document without making a string per member; pointers are copied only where a link needs one.
class PointerStep {
public:
    PointerStep(std::string& pointer, std::string_view token) : pointer_(pointer), size_(pointer.size()) {
        json::append_token_to(pointer_, token);
    }
    PointerStep(std::string& pointer, std::size_t index) : pointer_(pointer), size_(pointer.size()) {
        json::append_index_to(pointer_, index);
    }
    ~PointerStep() { pointer_.resize(size_); }
    PointerStep(const PointerStep&) = delete;
    PointerStep& operator=(const PointerStep&) = delete;

private:
    std::string& pointer_;
    std::size_t size_;
};

// Splits one object tree into nodes. `nodes` holds every node found so far (root first), `index` maps
// keys to positions so a repeated entity is stored once.
class Splitter {
public:
    Splitter(const EntityCodec& codec, std::vector<Node>& nodes) : codec_(codec), nodes_(nodes) {}

    Result<void> add(const Key& key, const value& document, std::string document_pointer) {
        const std::size_t position = nodes_.size();
        index_.emplace(key, position);
        nodes_.push_back(Node{key, {}, {}, 0, {}, {}, std::nullopt});
        Node node;
        node.key = key;
        auto stored = strip(document, node, document_pointer, true);
        if (!stored) return std::move(stored).error();
        node.text = json::to_canonical(*stored);
        nodes_[position] = std::move(node);
        return {};
    }

private:
    // Copies `v` with nested entities replaced by links; `top` is the owner's own top-level object.
    // `document_pointer` is where `v` is in the document (for errors).
    Result<value> strip(const value& v, Node& owner, std::string& document_pointer, bool top) {
        if (v.is_object()) {
            const auto& o = v.as_object();
            if (!top) {
                if (auto key = codec_.entity_key(o)) return link(*key, v, owner, document_pointer);
                if (auto bad = codec_.invalid_entity_id(o, document_pointer)) return std::move(*bad);
            }
            object out;
            out.reserve(o.size());
            for (const auto& [k, member] : o) {
                const PointerStep in_document(document_pointer, k);
                auto stripped = strip(member, owner, document_pointer, false);
                if (!stripped) return stripped;
                out.emplace(k, std::move(*stripped));
            }
            return value(std::move(out));
        }
        if (v.is_array()) {
            const auto& a = v.as_array();
            array out;
            out.reserve(a.size());
            for (std::size_t i = 0; i < a.size(); ++i) {
                const PointerStep in_document(document_pointer, i);
                auto stripped = strip(a[i], owner, document_pointer, false);
                if (!stripped) return stripped;
                out.push_back(std::move(*stripped));
            }
            return value(std::move(out));
        }
        return v;
    }

    Result<value> link(const Key& key, const value& entity, Node& owner, const std::string& document_pointer) {
        owner.links.push_back(Link{key, {}, 0, 0});  // a split node's links are followed, never located
        if (auto seen = index_.find(key); seen != index_.end()) {
            // The same entity twice in one document: fine if both copies say the same.
            std::vector<Node> probe;
            Splitter again(codec_, probe);
            if (auto added = again.add(key, entity, document_pointer); !added) return std::move(added).error();
            if (probe.front().text != nodes_[seen->second].text || seen->second == 0) {
                return Error(ErrorCode::invalid,
                             "entity " + key.str() + " appears twice in the document with different contents",
                             {{"errors", array{object{{"pointer", document_pointer},
                                                      {"message", "conflicts with an earlier copy of " + key.str()}}}}});
            }
        } else if (auto added = add(key, entity, document_pointer); !added) {
            return std::move(added).error();
        }
        return value(object{{kLinkMember, key.str()}});
    }

    const EntityCodec& codec_;
    std::vector<Node>& nodes_;
    std::map<Key, std::size_t> index_;
};


}  // namespace

const std::string* EntityCodec::entity_collection(const object& o) const {
    if (policy_ == nullptr) return nullptr;
    const auto* type = o.if_contains(policy_->type_field);
    if (type == nullptr || !type->is_string()) return nullptr;
    auto collection = policy_->types.find(std::string(type->as_string()));
    return collection == policy_->types.end() ? nullptr : &collection->second;
}

std::optional<Key> EntityCodec::entity_key(const object& o) const {
    const auto* collection = entity_collection(o);
    if (collection == nullptr) return std::nullopt;
    const auto* id = o.if_contains(policy_->id_field);
    if (id == nullptr || !id->is_string() || !is_valid_id(id->as_string())) return std::nullopt;
    return Key{*collection, std::string(id->as_string())};
}

std::optional<Error> EntityCodec::invalid_entity_id(const object& o, const std::string& pointer) const {
    const auto* collection = entity_collection(o);
    if (collection == nullptr) return std::nullopt;
    // An entity's id names a stored object as a URL id does, so the same rule applies.
    const std::string id_pointer = json::append_token(pointer, policy_->id_field);
    const auto* id = o.if_contains(policy_->id_field);
    if (id == nullptr || !id->is_string()) {
        return pointer_error("an entity of type '" + json::excerpt(o.at(policy_->type_field).as_string()) +
                                 "' needs a string '" + policy_->id_field + "'",
                             id_pointer, "expected a document id");
    }
    return pointer_error("'" + json::excerpt(id->as_string()) + "' is not a valid entity id", id_pointer,
                         "must be 1-256 bytes, no '/', no control characters, not '.' or '..'");
}

Result<std::vector<Node>> EntityCodec::split(const Key& root, const value& document) const {
    std::vector<Node> nodes;
    Splitter splitter(*this, nodes);
    if (auto added = splitter.add(root, document, ""); !added) return std::move(added).error();
    return nodes;
}

Result<void> EntityCodec::check_no_link_members(const value& document) {
    std::string pointer;
    if (!find_link_member(document, pointer)) return {};
    return pointer_error("'" + std::string(kLinkMember) + "' is a reserved member name", pointer,
                         "'" + std::string(kLinkMember) + "' is reserved for links between stored objects");
}

value EntityCodec::merge(value target, const value& patch) const {
    if (!patch.is_object()) return patch;
    if (!target.is_object()) target = object{};
    auto& t = target.as_object();
    for (const auto& [k, p] : patch.as_object()) {
        if (p.is_null()) {
            t.erase(k);
            continue;
        }
        auto* existing = t.if_contains(k);
        if (existing != nullptr && existing->is_array() && p.is_array()) {
            const auto& items = p.as_array();
            const bool entities = !items.empty() && std::all_of(items.begin(), items.end(), [&](const value& item) {
                return item.is_object() && entity_key(item.as_object()).has_value();
            });
            if (entities) {
                auto& merged = existing->as_array();
                for (const auto& item : items) {
                    const auto key = entity_key(item.as_object());
                    auto same = std::find_if(merged.begin(), merged.end(), [&](const value& m) {
                        return m.is_object() && entity_key(m.as_object()) == key;
                    });
                    if (same != merged.end()) {
                        *same = merge(std::move(*same), item);
                    } else {
                        merged.push_back(merge(object{}, item));
                    }
                }
                continue;
            }
        }
        if (p.is_object() && existing != nullptr && existing->is_object()) {
            const auto old_key = entity_key(existing->as_object());
            const auto new_key = entity_key(p.as_object());
            // Another entity in this place replaces the old one instead of blending into it.
            const bool replaced = old_key && new_key && *old_key != *new_key;
            *existing = merge(replaced ? value(object{}) : std::move(*existing), p);
            continue;
        }
        t[k] = p.is_object() ? merge(object{}, p) : p;
    }
    return target;
}

}  // namespace tessera::model::internal
