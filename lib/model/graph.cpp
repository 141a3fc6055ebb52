#include "model/graph.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/pointer.hpp>
#include <tessera/log.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>

namespace tessera::model::detail {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

// Stored forms are our own canonical text; the limits only guard against a corrupted store.
const json::ParseLimits kStoredLimits{64u << 20, 512};

std::optional<Key> parse_key(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
    return Key{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

// {"$entity": "services/1"} → its key.
std::optional<Key> link_target(const value& v) {
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    if (o.size() != 1) return std::nullopt;
    const auto* target = o.if_contains(kLinkMember);
    if (target == nullptr || !target->is_string()) return std::nullopt;
    return parse_key(target->as_string());
}

void collect_links(const value& v, const std::string& pointer, std::vector<Link>& out) {
    if (auto key = link_target(v)) {
        out.push_back({std::move(*key), pointer});
        return;
    }
    if (v.is_object()) {
        for (const auto& [k, member] : v.as_object()) collect_links(member, json::append_token(pointer, k), out);
    } else if (v.is_array()) {
        const auto& a = v.as_array();
        for (std::size_t i = 0; i < a.size(); ++i) collect_links(a[i], json::append_index(pointer, i), out);
    }
}

// A link in canonical text: `{"$entity":"<collection>/<id>"}`. The opening bytes cannot occur inside a
// JSON string (its quotes would be escaped), so finding them finds links and nothing else.
constexpr std::string_view kLinkOpening = R"({"$entity":")";

struct TextLink {
    Key child;
    std::size_t begin = 0;  // offset of '{'
    std::size_t end = 0;    // offset after '}'
};

// Reads the JSON string starting after its opening quote at `pos`; advances `pos` past the closing quote.
std::optional<std::string> read_string(std::string_view text, std::size_t& pos) {
    std::string out;
    while (pos < text.size()) {
        const char c = text[pos++];
        if (c == '"') return out;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (pos >= text.size()) return std::nullopt;
        const char e = text[pos++];
        switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                // Canonical text escapes only control characters this way (\u00XX).
                unsigned code = 0;
                if (pos + 4 > text.size()) return std::nullopt;
                const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + 4, code, 16);
                if (ec != std::errc{} || end != text.data() + pos + 4 || code > 0x7F) return std::nullopt;
                out += static_cast<char>(code);
                pos += 4;
                break;
            }
            default: return std::nullopt;
        }
    }
    return std::nullopt;
}

std::vector<TextLink> scan_links(std::string_view text) {
    std::vector<TextLink> out;
    for (auto at = text.find(kLinkOpening); at != std::string_view::npos; at = text.find(kLinkOpening, at + 1)) {
        std::size_t pos = at + kLinkOpening.size();
        auto target = read_string(text, pos);
        if (!target || pos >= text.size() || text[pos] != '}') continue;
        if (auto key = parse_key(*target)) out.push_back({std::move(*key), at, pos + 1});
    }
    return out;
}

Node node_from(store::Document&& doc) {
    Node node;
    node.key = {std::move(doc.collection), std::move(doc.id)};
    node.text = std::move(doc.body);
    node.links = EntityCodec::links_in(node.text);
    node.version = doc.version;
    node.created_at = doc.created_at;
    node.updated_at = doc.updated_at;
    node.expires_at = doc.expires_at;
    return node;
}

// The stored objects among `keys` that exist, read at once (one read transaction on SQLite).
Result<std::vector<Node>> fetch_nodes(store::Store& store, const std::set<Key>& keys) {
    std::vector<store::DocumentRef> refs;
    refs.reserve(keys.size());
    for (const auto& key : keys) refs.push_back({key.collection, key.id});
    auto docs = store.get_refs(refs);
    if (!docs) return std::move(docs).error();
    std::vector<Node> out;
    out.reserve(docs->size());
    for (auto& found : *docs) {
        if (!found) continue;
        out.push_back(node_from(std::move(*found)));
    }
    return out;
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

std::optional<Key> EntityCodec::entity_key(const object& o) const {
    if (policy_ == nullptr) return std::nullopt;
    const auto* type = o.if_contains(policy_->type_field);
    const auto* id = o.if_contains(policy_->id_field);
    if (type == nullptr || id == nullptr || !type->is_string() || !id->is_string() || id->as_string().empty()) {
        return std::nullopt;
    }
    auto collection = policy_->types.find(std::string(type->as_string()));
    if (collection == policy_->types.end()) return std::nullopt;
    return Key{collection->second, std::string(id->as_string())};
}

Result<std::vector<Node>> EntityCodec::split(const Key& root, const value& document) const {
    std::vector<Node> nodes;
    Splitter splitter(*this, nodes);
    if (auto added = splitter.add(root, document, ""); !added) return std::move(added).error();
    return nodes;
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

std::vector<Link> EntityCodec::links_of(const value& stored) {
    std::vector<Link> links;
    collect_links(stored, "", links);
    return links;
}

namespace {

// Rebuilds a node's assembled form; `path` guards against link cycles in a corrupted store.
std::optional<value> assemble_node(const Key& key, const Nodes& nodes, std::set<Key>& path);

std::optional<value> resolve(const value& v, const Nodes& nodes, std::set<Key>& path) {
    if (auto key = link_target(v)) return assemble_node(*key, nodes, path);
    if (v.is_object()) {
        object out;
        out.reserve(v.as_object().size());
        for (const auto& [k, member] : v.as_object()) {
            if (auto resolved = resolve(member, nodes, path)) out.emplace(k, std::move(*resolved));
        }
        return value(std::move(out));
    }
    if (v.is_array()) {
        array out;
        for (const auto& item : v.as_array()) {
            if (auto resolved = resolve(item, nodes, path)) out.push_back(std::move(*resolved));
        }
        return value(std::move(out));
    }
    return v;
}

std::optional<value> assemble_node(const Key& key, const Nodes& nodes, std::set<Key>& path) {
    auto it = nodes.find(key);
    if (it == nodes.end() || path.contains(key)) {
        log::warn("model.graph", "dropping a link to a missing object", {{"object", key.str()}});
        return std::nullopt;
    }
    auto stored = json::parse(it->second.text, kStoredLimits);
    if (!stored) return std::nullopt;
    path.insert(key);
    auto out = resolve(*stored, nodes, path);
    path.erase(key);
    return out;
}

// Splices the texts; false if a link's node is missing or links form a cycle.
bool splice(const Key& key, const Nodes& nodes, std::set<Key>& path, std::string& out) {
    auto it = nodes.find(key);
    if (it == nodes.end() || path.contains(key)) return false;
    const std::string& text = it->second.text;
    if (it->second.links.empty()) {
        out += text;
        return true;
    }
    path.insert(key);
    std::size_t copied = 0;
    for (const auto& link : it->second.links) {  // located in `text` when the node was read
        out.append(text, copied, link.begin - copied);
        if (!splice(link.child, nodes, path, out)) return false;
        copied = link.end;
    }
    out.append(text, copied);
    path.erase(key);
    return true;
}

}  // namespace

std::string EntityCodec::assemble(const Key& root, const Nodes& nodes) {
    std::string out;
    std::set<Key> path;
    if (splice(root, nodes, path, out)) return out;
    // A dangling link (the store changed under a concurrent write, or was edited by hand): drop it
    // from the document instead of failing every read of it.
    path.clear();
    return json::to_canonical(assemble_node(root, nodes, path).value_or(value(object{})));
}

std::vector<Link> EntityCodec::links_in(std::string_view text) {
    std::vector<Link> links;
    for (auto& link : scan_links(text)) links.push_back({std::move(link.child), {}, link.begin, link.end});
    return links;
}

Result<Nodes> load_nodes(store::Store& store, const Key& root) {
    auto doc = store.get(root.collection, root.id);
    if (!doc) return std::move(doc).error();
    Node root_node = node_from(std::move(*doc));

    Nodes nodes;
    std::set<Key> frontier;
    auto enqueue = [&](const Node& node) {
        for (const auto& link : node.links) {
            if (!nodes.contains(link.child)) frontier.insert(link.child);
        }
    };
    enqueue(root_node);
    nodes.emplace(root, std::move(root_node));

    // One read per level of the graph.
    while (!frontier.empty()) {
        auto level = fetch_nodes(store, frontier);
        if (!level) return std::move(level).error();
        frontier.clear();
        for (auto& node : *level) {
            enqueue(node);
            nodes.emplace(node.key, std::move(node));
        }
        std::erase_if(frontier, [&](const Key& k) { return nodes.contains(k); });
    }
    return nodes;
}

Result<std::map<Key, Parents>> load_parents(store::Store& store, const std::vector<Key>& keys) {
    std::map<Key, Parents> out;
    std::vector<std::string> ids;
    ids.reserve(keys.size());
    for (const auto& key : keys) ids.push_back(key.str());
    auto docs = store.get_many(kLinksCollection, ids);
    if (!docs) return std::move(docs).error();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        Parents parents;
        if (const auto& doc = (*docs)[i]) {
            parents.version = doc->version;
            auto body = json::parse(doc->body, kStoredLimits);
            if (body && body->is_object()) {
                if (const auto* list = body->as_object().if_contains("parents"); list && list->is_array()) {
                    for (const auto& p : list->as_array()) {
                        if (p.is_string()) {
                            if (auto key = parse_key(p.as_string())) parents.keys.insert(std::move(*key));
                        }
                    }
                }
            }
        }
        out.emplace(keys[i], std::move(parents));
    }
    return out;
}

Result<GraphBatch> plan_graph_write(store::Store& store,
                                    const Key& root,
                                    const Nodes& before,
                                    const std::vector<Node>& after,
                                    std::optional<store::TimePoint> root_expires_at,
                                    bool optimistic) {
    using store::Op;
    using store::Precondition;

    std::map<Key, const Node*> after_nodes;
    for (const auto& node : after) after_nodes.emplace(node.key, &node);

    // What the store holds now for every object involved: `before`, plus entities the new document
    // links to that were not in this graph (they may exist, shared with another root).
    std::map<Key, const Node*> current;
    for (const auto& [key, node] : before) current.emplace(key, &node);
    Nodes fetched;
    {
        std::set<Key> missing;
        for (const auto& [key, node] : after_nodes) {
            if (key != root && !current.contains(key) && !optimistic) missing.insert(key);
        }
        auto found = fetch_nodes(store, missing);
        if (!found) return std::move(found).error();
        for (auto& node : *found) {
            Key key = node.key;
            current.emplace(key, &fetched.emplace(key, std::move(node)).first->second);
        }
    }

    // The recorded parents of every existing entity involved (the root has none that matter here). An
    // entity that does not exist has none: its `_links` document goes with it, and the `absent`
    // precondition on writing a new one catches the contrary.
    std::vector<Key> entity_keys;
    for (const auto& [key, node] : current) {
        if (key != root) entity_keys.push_back(key);
    }
    auto recorded = load_parents(store, entity_keys);
    if (!recorded) return std::move(recorded).error();

    // The first parent of each object inside a graph, for event context.
    auto first_parents = [](auto&& nodes_range) {
        std::map<Key, Key> out;
        for (const auto& [key, node] : nodes_range) {
            for (const auto& link : node->links) out.emplace(link.child, key);
        }
        return out;
    };
    std::map<Key, const Node*> before_ptrs;
    for (const auto& [key, node] : before) before_ptrs.emplace(key, &node);
    const auto after_parent = first_parents(after_nodes);
    const auto before_parent = first_parents(before_ptrs);

    GraphBatch out;
    out.root_op = static_cast<std::size_t>(-1);
    auto& batch = out.batch;
    std::map<Key, std::set<Key>> added;    // child → parents that now link to it
    std::map<Key, std::set<Key>> removed;  // child → parents that no longer do
    auto children = [](const Node* node) {
        std::set<Key> out;
        if (node != nullptr) {
            for (const auto& link : node->links) out.insert(link.child);
        }
        return out;
    };
    auto add_event = [&](const Key& key, const char* action, std::string data, const std::map<Key, Key>& parents) {
        store::Event event;
        event.collection = key.collection;
        event.document_id = key.id;
        event.action = action;
        event.data = std::move(data);
        event.root_id = root.str();
        if (auto p = parents.find(key); p != parents.end()) event.parent_id = p->second.str();
        batch.events.push_back(std::move(event));
    };

    // Puts: new and changed objects, root first.
    for (const auto& node : after) {
        const bool is_root = node.key == root;
        auto existing = current.find(node.key);
        const Node* old = existing == current.end() ? nullptr : existing->second;
        const auto expires = is_root ? root_expires_at : std::nullopt;
        if (old == nullptr) {
            if (is_root) out.root_op = batch.ops.size();
            if (!is_root && !before.contains(node.key)) out.assumed_new.insert(batch.ops.size());
            batch.ops.push_back(Op::put(node.key.collection, node.key.id, node.text, Precondition::absent(), expires));
            add_event(node.key, "created", node.text, after_parent);
        } else if (old->text != node.text || (is_root && old->expires_at != expires)) {
            if (is_root) out.root_op = batch.ops.size();
            batch.ops.push_back(Op::put(node.key.collection, node.key.id, node.text,
                                        Precondition::at_version(old->version), expires));
            add_event(node.key, "updated", node.text, after_parent);
        } else if (!before.contains(node.key)) {
            // Newly linked, unchanged entity of another graph: it must still be there when we commit.
            batch.ops.push_back(Op::check(node.key.collection, node.key.id, Precondition::at_version(old->version)));
        }
        if (old == nullptr || old->text != node.text) {
            const auto was = children(old);
            const auto now = children(&node);
            for (const auto& c : now) {
                if (!was.contains(c)) added[c].insert(node.key);
            }
            for (const auto& c : was) {
                if (!now.contains(c)) removed[c].insert(node.key);
            }
        }
    }

    // Deletes: objects of the old graph that are not in the new one and have no parent left,
    // repeated because deleting one can orphan its children.
    std::set<Key> deleted;
    auto parents_now = [&](const Key& key) {
        std::set<Key> set = (*recorded)[key].keys;
        for (const auto& p : added[key]) set.insert(p);
        for (const auto& p : removed[key]) set.erase(p);
        return set;
    };
    auto remove_node = [&](const Key& key) {
        const Node* old = current.at(key);
        if (key == root) out.root_op = batch.ops.size();
        batch.ops.push_back(Op::remove(key.collection, key.id, Precondition::at_version(old->version)));
        add_event(key, "deleted", "", before_parent);
        deleted.insert(key);
        for (const auto& c : children(old)) removed[c].insert(key);
    };
    if (after.empty() && current.contains(root)) remove_node(root);
    for (bool progress = true; progress;) {
        progress = false;
        for (const auto& [key, node] : before) {
            if (key == root || after_nodes.contains(key) || deleted.contains(key)) continue;
            if (parents_now(key).empty()) {
                remove_node(key);
                progress = true;
            }
        }
    }

    // The `_links` index follows every parent change; its version preconditions serialise writers
    // that link and unlink the same entity, so a shared entity is deleted exactly when its last
    // parent lets go.
    std::set<Key> touched;
    for (const auto& [key, set] : added) touched.insert(key);
    for (const auto& [key, set] : removed) touched.insert(key);
    for (const auto& key : deleted) touched.insert(key);
    for (const auto& key : touched) {
        if (key == root && !(*recorded).contains(key)) continue;
        const auto& was = (*recorded)[key];
        const auto now = deleted.contains(key) ? std::set<Key>{} : parents_now(key);
        if (now == was.keys && !(deleted.contains(key) && was.version != 0)) continue;
        const auto pre = was.version == 0 ? Precondition::absent() : Precondition::at_version(was.version);
        if (optimistic && was.version == 0 && !current.contains(key) && key != root) out.assumed_new.insert(batch.ops.size());
        if (now.empty()) {
            if (was.version != 0) batch.ops.push_back(Op::remove(kLinksCollection, key.str(), pre));
        } else {
            array list;
            for (const auto& p : now) list.push_back(value(p.str()));
            batch.ops.push_back(Op::put(kLinksCollection, key.str(), boost::json::serialize(object{{"parents", std::move(list)}}), pre));
        }
    }
    out.changed = !batch.ops.empty() &&
                  std::any_of(batch.ops.begin(), batch.ops.end(), [](const Op& op) { return op.kind != Op::Kind::check; });
    return out;
}

}  // namespace tessera::model::detail
