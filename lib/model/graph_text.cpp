#include "model/graph_text.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/log.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <set>

namespace tessera::model::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

// Stored forms are our own canonical text; the limits only guard against a corrupted store.
const json::ParseLimits kStoredLimits{64u << 20, 512};

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

std::string assemble(const Key& root, const Nodes& nodes) {
    std::string out;
    std::set<Key> path;
    if (splice(root, nodes, path, out)) return out;
    // A dangling link (the store changed under a concurrent write, or was edited by hand): drop it
    // from the document instead of failing every read of it.
    path.clear();
    return json::to_canonical(assemble_node(root, nodes, path).value_or(value(object{})));
}

}  // namespace tessera::model::internal
