#pragma once
// An Engine over a MemoryStore and the test schemas in tests/data/schemas (counters, notes, tokens),
// optionally plus the repository's schemas/ (plans and their entities).

#include <tessera/model/engine.hpp>
#include <tessera/store/memory_store.hpp>

#include <filesystem>

namespace tessera::test {

/// tests/data/schemas.
std::filesystem::path test_schemas();

/// An engine with no background threads (tests call sweep_expired and relay().run_once() themselves;
/// the inproc bus starts its workers only when something subscribes).
model::Engine make_memory_engine(const std::filesystem::path& schemas = test_schemas());

}  // namespace tessera::test
