#pragma once
// Object-graph behaviour (seed 000: plans split into linked entities), written once and run against
// every store backend.

#include <tessera/store/store.hpp>

#include <functional>
#include <memory>

namespace tessera::test {

using StoreFactory = std::function<std::unique_ptr<store::Store>()>;

/// Runs every graph check as doctest SUBCASEs, each on a fresh store from `make_store`.
void run_graph_contract(const StoreFactory& make_store);

}  // namespace tessera::test
