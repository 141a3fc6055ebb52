#include "model/graph_reads.hpp"

#include <tessera/json/parse.hpp>

namespace tessera::model::internal {
namespace {

// Stored forms are our own canonical text; the limits only guard against a corrupted store.
const json::ParseLimits kStoredLimits{64u << 20, 512};

}  // namespace

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

}  // namespace tessera::model::internal
