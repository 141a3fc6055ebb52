#pragma once
// Private: plans the one atomic store batch that takes an object graph from what was read to what a
// write wants, with the `_links` index and the outbox events that go with it.

#include "model/graph_node.hpp"

#include <tessera/result.hpp>
#include <tessera/store/store.hpp>

#include <optional>
#include <set>
#include <vector>

namespace tessera::model::internal {

/// How a graph write went into a batch, so the caller can read a precondition failure.
struct GraphBatch {
    store::Batch batch;
    std::size_t root_op = 0;  // index of the root's op (SIZE_MAX when the root is not written)
    bool changed = false;     // false: the new state equals the old, nothing to commit
    std::set<std::size_t> assumed_new;  // ops that rest on the optimistic assumption
};

/// Plans the batch that takes the graph of `root` from `before` (its nodes as loaded; empty when
/// creating) to `after` (the split of the new document; empty when deleting the root).
///
/// - Entities in `after` that are not in `before` are read from the store: they may exist, shared with
///   other roots. Writing one with other contents updates it for every object that links to it (that is
///   what sharing by id means); a link re-pointed at another entity's id is the same thing.
/// - Every object that loses its last parent is deleted, recursively — also objects outside `before`
///   (the former children of a re-pointed entity), which are read as they are found. So after every
///   write, `_links` records exactly the links the stored objects hold, and no entity is left without
///   a parent.
/// - Every op carries a version precondition from what was read (the root: `absent` when `before` is
///   empty), so a concurrent change makes the commit fail rather than be overwritten.
/// - One event per changed object: action, root id, parent.
///
/// `optimistic`: assume every entity not in `before` is new instead of reading it (puts with an `absent`
/// precondition). Fresh documents then cost no reads; if one was not new after all, the commit fails
/// on that precondition (`GraphBatch::assumed_new` tells which ops those are) and the caller plans
/// again without the assumption. Errors: store errors of the reads.
Result<GraphBatch> plan_graph_write(store::Store& store,
                                    const Key& root,
                                    const Nodes& before,
                                    const std::vector<Node>& after,
                                    std::optional<store::TimePoint> root_expires_at,
                                    bool optimistic = false);

}  // namespace tessera::model::internal
