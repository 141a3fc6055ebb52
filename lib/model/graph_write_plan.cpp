#include "model/graph_write_plan.hpp"

#include "model/graph_reads.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>

namespace tessera::model::internal {
namespace {

using store::Op;
using store::Precondition;

constexpr std::size_t kNoOp = static_cast<std::size_t>(-1);

std::set<Key> children_of(const Node* node) {
    std::set<Key> out;
    if (node != nullptr) {
        for (const auto& link : node->links) out.insert(link.child);
    }
    return out;
}

// The first parent of each object linked from `nodes`, for event context.
std::map<Key, Key> first_parents(const std::map<Key, const Node*>& nodes) {
    std::map<Key, Key> out;
    for (const auto& [key, node] : nodes) {
        for (const auto& link : node->links) out.emplace(link.child, key);
    }
    return out;
}

// One planning pass; see plan_graph_write. The steps run in order, each adding its ops to `out_`.
class Planner {
public:
    Planner(store::Store& store,
            const Key& root,
            const Nodes& before,
            const std::vector<Node>& after,
            std::optional<store::TimePoint> root_expires_at,
            bool optimistic)
        : store_(store), root_(root), before_(before), after_(after), root_expires_at_(root_expires_at),
          optimistic_(optimistic) {
        for (const auto& node : after_) after_nodes_.emplace(node.key, &node);
        for (const auto& [key, node] : before_) current_.emplace(key, &node);
        std::map<Key, const Node*> before_nodes(current_.begin(), current_.end());
        after_parent_ = first_parents(after_nodes_);
        before_parent_ = first_parents(before_nodes);
        out_.root_op = kNoOp;
    }

    Result<GraphBatch> plan() {
        if (auto read = read_newly_linked(); !read) return std::move(read).error();
        if (auto read = read_recorded_parents(); !read) return std::move(read).error();
        plan_puts();
        if (auto deleted = plan_deletes(); !deleted) return std::move(deleted).error();
        plan_link_index();
        auto& ops = out_.batch.ops;
        out_.changed = std::any_of(ops.begin(), ops.end(), [](const Op& op) { return op.kind != Op::Kind::check; });
        return std::move(out_);
    }

private:
    // What the store holds for entities the new document links to that were not in this graph (they
    // may exist, shared with another root). Skipped when optimistic: they are assumed new.
    Result<void> read_newly_linked() {
        std::set<Key> missing;
        for (const auto& [key, node] : after_nodes_) {
            if (key != root_ && !current_.contains(key) && !optimistic_) missing.insert(key);
        }
        return read_current(missing);
    }

    // Reads `keys` into `current_` (those that exist).
    Result<void> read_current(const std::set<Key>& keys) {
        if (keys.empty()) return {};
        auto found = fetch_nodes(store_, keys);
        if (!found) return std::move(found).error();
        for (auto& node : *found) {
            Key key = node.key;
            current_.emplace(key, &fetched_.emplace(key, std::move(node)).first->second);
        }
        return {};
    }

    // The recorded parents of every existing entity in `current_` not loaded yet (the root has none
    // that matter here). An entity that does not exist has none: its `_links` document goes with it,
    // and the `absent` precondition on writing a new one catches the contrary.
    Result<void> read_recorded_parents() {
        std::vector<Key> keys;
        for (const auto& [key, node] : current_) {
            if (key != root_ && !recorded_.contains(key)) keys.push_back(key);
        }
        if (keys.empty()) return {};
        auto loaded = load_parents(store_, keys);
        if (!loaded) return std::move(loaded).error();
        recorded_.merge(*loaded);
        return {};
    }

    void add_event(const Key& key, const char* action, std::string data, const std::map<Key, Key>& parents) {
        store::Event event;
        event.collection = key.collection;
        event.document_id = key.id;
        event.action = action;
        event.data = std::move(data);
        event.root_id = root_.str();
        if (auto p = parents.find(key); p != parents.end()) event.parent_id = p->second.str();
        out_.batch.events.push_back(std::move(event));
    }

    // Notes which links `key` gains and loses going from `old` to `now`.
    void diff_children(const Key& key, const Node* old, const Node* now) {
        const auto was = children_of(old);
        const auto is = children_of(now);
        for (const auto& c : is) {
            if (!was.contains(c)) added_[c].insert(key);
        }
        for (const auto& c : was) {
            if (!is.contains(c)) removed_[c].insert(key);
        }
    }

    // Puts: new and changed objects, root first.
    void plan_puts() {
        auto& ops = out_.batch.ops;
        for (const auto& node : after_) {
            const bool is_root = node.key == root_;
            auto existing = current_.find(node.key);
            const Node* old = existing == current_.end() ? nullptr : existing->second;
            const auto expires = is_root ? root_expires_at_ : std::nullopt;
            if (old == nullptr) {
                if (is_root) out_.root_op = ops.size();
                if (!is_root && !before_.contains(node.key)) out_.assumed_new.insert(ops.size());
                ops.push_back(Op::put(node.key.collection, node.key.id, node.text, Precondition::absent(), expires));
                add_event(node.key, "created", node.text, after_parent_);
            } else if (old->text != node.text || (is_root && old->expires_at != expires)) {
                if (is_root) out_.root_op = ops.size();
                ops.push_back(Op::put(node.key.collection, node.key.id, node.text,
                                      Precondition::at_version(old->version), expires));
                add_event(node.key, "updated", node.text, after_parent_);
            } else if (!before_.contains(node.key)) {
                // Newly linked, unchanged entity of another graph: it must still be there when we commit.
                ops.push_back(Op::check(node.key.collection, node.key.id, Precondition::at_version(old->version)));
            }
            if (old == nullptr || old->text != node.text) diff_children(node.key, old, &node);
        }
    }

    std::set<Key> parents_now(const Key& key) {
        std::set<Key> set = recorded_[key].keys;
        for (const auto& p : added_[key]) set.insert(p);
        for (const auto& p : removed_[key]) set.erase(p);
        return set;
    }

    void remove_node(const Key& key) {
        const Node* old = current_.at(key);
        if (key == root_) out_.root_op = out_.batch.ops.size();
        out_.batch.ops.push_back(Op::remove(key.collection, key.id, Precondition::at_version(old->version)));
        // The parent that let go of it: in this graph when it was one of ours, else the first remover.
        std::map<Key, Key> parent = before_parent_;
        if (!parent.contains(key) && !removed_[key].empty()) parent.emplace(key, *removed_[key].begin());
        add_event(key, "deleted", "", parent);
        deleted_.insert(key);
        diff_children(key, old, nullptr);
    }

    // Deletes: every object that lost a parent in this write, is not in the new graph and has no
    // parent left — repeated, because deleting one can orphan its children. Objects outside the graph
    // as read (the former children of an entity this write re-pointed) are read as they turn up, one
    // store read per level.
    Result<void> plan_deletes() {
        if (after_.empty() && current_.contains(root_)) remove_node(root_);
        for (;;) {
            std::set<Key> candidates;
            for (const auto& [key, parents] : removed_) {
                if (key != root_ && !after_nodes_.contains(key) && !deleted_.contains(key)) candidates.insert(key);
            }
            std::set<Key> unread;
            for (const auto& key : candidates) {
                if (!current_.contains(key) && !absent_.contains(key)) unread.insert(key);
            }
            if (auto read = read_current(unread); !read) return read;
            for (const auto& key : unread) {
                if (!current_.contains(key)) absent_.insert(key);  // gone already: nothing to delete
            }
            if (auto read = read_recorded_parents(); !read) return read;
            bool progress = false;
            for (const auto& key : candidates) {
                if (current_.contains(key) && parents_now(key).empty()) {
                    remove_node(key);
                    progress = true;
                }
            }
            if (!progress) return {};
        }
    }

    // The `_links` index follows every parent change; its version preconditions serialise writers
    // that link and unlink the same entity, so a shared entity is deleted exactly when its last
    // parent lets go.
    void plan_link_index() {
        std::set<Key> touched;
        for (const auto& [key, set] : added_) touched.insert(key);
        for (const auto& [key, set] : removed_) touched.insert(key);
        for (const auto& key : deleted_) touched.insert(key);
        auto& ops = out_.batch.ops;
        for (const auto& key : touched) {
            if (key == root_ && !recorded_.contains(key)) continue;
            const auto& was = recorded_[key];
            const auto now = deleted_.contains(key) ? std::set<Key>{} : parents_now(key);
            if (now == was.keys && !(deleted_.contains(key) && was.version != 0)) continue;
            const auto pre = was.version == 0 ? Precondition::absent() : Precondition::at_version(was.version);
            if (optimistic_ && was.version == 0 && !current_.contains(key) && key != root_) {
                out_.assumed_new.insert(ops.size());
            }
            if (now.empty()) {
                if (was.version != 0) ops.push_back(Op::remove(kLinksCollection, key.str(), pre));
            } else {
                boost::json::array list;
                for (const auto& p : now) list.push_back(boost::json::value(p.str()));
                ops.push_back(Op::put(kLinksCollection, key.str(),
                                      boost::json::serialize(boost::json::object{{"parents", std::move(list)}}), pre));
            }
        }
    }

    store::Store& store_;
    const Key& root_;
    const Nodes& before_;
    const std::vector<Node>& after_;
    const std::optional<store::TimePoint> root_expires_at_;
    const bool optimistic_;

    std::map<Key, const Node*> after_nodes_;
    std::map<Key, const Node*> current_;  // what the store holds for every object involved
    Nodes fetched_;                       // storage of the nodes read here
    std::set<Key> absent_;                // read and not found
    std::map<Key, Parents> recorded_;     // `_links` as read
    std::map<Key, Key> after_parent_;
    std::map<Key, Key> before_parent_;
    std::map<Key, std::set<Key>> added_;    // child → parents that now link to it
    std::map<Key, std::set<Key>> removed_;  // child → parents that no longer do
    std::set<Key> deleted_;
    GraphBatch out_;
};

}  // namespace

Result<GraphBatch> plan_graph_write(store::Store& store,
                                    const Key& root,
                                    const Nodes& before,
                                    const std::vector<Node>& after,
                                    std::optional<store::TimePoint> root_expires_at,
                                    bool optimistic) {
    return Planner(store, root, before, after, root_expires_at, optimistic).plan();
}

}  // namespace tessera::model::internal
