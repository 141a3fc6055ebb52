#include "support/graph_contract.hpp"

#include <tessera/store/memory_store.hpp>

#include <doctest/doctest.h>

TEST_SUITE("model") {
    TEST_CASE("graph contract: memory store") {
        tessera::test::run_graph_contract([] { return std::make_unique<tessera::store::MemoryStore>(); });
    }
}
