#pragma once
// Private: reads of an object graph's stored objects and of the `_links` parent index.

#include "model/graph_node.hpp"

#include <tessera/result.hpp>
#include <tessera/store/store.hpp>

#include <map>
#include <set>
#include <vector>

namespace tessera::model::internal {

/// Reads `root` and every object reachable from it (one `Store::get_refs` per level).
/// Errors: `not_found` if the root is absent; store errors.
Result<Nodes> load_nodes(store::Store& store, const Key& root);

/// The stored objects among `keys` that exist, read at once (one read transaction on SQLite).
Result<std::vector<Node>> fetch_nodes(store::Store& store, const std::set<Key>& keys);

/// The parents recorded for one object in `_links`.
struct Parents {
    std::set<Key> keys;
    std::uint64_t version = 0;  // 0: no links document
};

/// The parents recorded for each of `keys` (an object without a links document has none).
Result<std::map<Key, Parents>> load_parents(store::Store& store, const std::vector<Key>& keys);

}  // namespace tessera::model::internal
