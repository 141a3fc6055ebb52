#pragma once
// Private: reassembles a document from its stored objects (graph_node.hpp).

#include "model/graph_node.hpp"

#include <string>

namespace tessera::model::internal {

/// The canonical text of `root` assembled from `nodes` as `load_nodes` returns them (their links
/// located in their texts): each link's text is replaced by its node's assembled text. Because stored
/// forms are canonical and a link stands exactly where its entity goes, the result is the canonical
/// text of the assembled document, without parsing anything. A link whose node is missing (the store
/// changed under a concurrent write, or was edited by hand) is dropped — array element or member — on
/// a slower path that parses, so a read never fails for it.
std::string assemble(const Key& root, const Nodes& nodes);

}  // namespace tessera::model::internal
