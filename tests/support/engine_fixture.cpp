#include "support/engine_fixture.hpp"

#include <stdexcept>

namespace tessera::test {

std::filesystem::path test_schemas() { return TESSERA_SOURCE_DIR "/tests/data/schemas"; }

model::Engine make_memory_engine(const std::filesystem::path& schemas) {
    auto registry = schema::Registry::open(schemas);
    if (!registry) throw std::runtime_error("test schemas: " + registry.error().to_string());
    model::EngineConfig config;
    config.sweep_interval = std::chrono::milliseconds(0);
    config.relay.poll_interval = std::chrono::milliseconds(0);
    auto engine = model::Engine::open(std::move(*registry), std::make_unique<store::MemoryStore>(), config);
    if (!engine) throw std::runtime_error("engine: " + engine.error().to_string());
    return std::move(*engine);
}

}  // namespace tessera::test
