#pragma once
/// @file tessera/model/engine.hpp
/// @brief `Engine`: the facade an embedder uses — schemas, a store and their collections.

#include <tessera/json/parse.hpp>
#include <tessera/model/collection.hpp>
#include <tessera/result.hpp>
#include <tessera/schema/registry.hpp>
#include <tessera/store/store.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::model {

/// How an `Engine` is built. Field comments give defaults.
struct EngineConfig {
    std::filesystem::path schemas = "schemas";       ///< Directory of `*.json` schemas. Default "schemas".
    std::string store_url = "sqlite:./var/tessera.db";  ///< See `store::Store::open`. Default embedded SQLite.
    store::StoreOptions store_options;               ///< Timeouts for remote stores.
    json::ParseLimits limits;                        ///< Applied to request bodies by callers. Default 1 MiB / depth 64.
    std::chrono::milliseconds sweep_interval{1000};  ///< TTL sweeper period; 0 disables the thread. Default 1 s.
    std::chrono::hours idempotency_ttl{24};          ///< How long Idempotency-Keys are remembered. Default 24 h.
    int write_retries = 16;  ///< Read-modify-write attempts without If-Match before `unavailable`. Default 16.
};

/// Owns a schema registry, a store and one `Collection` per schema, plus background work (the TTL
/// sweeper). Thread-safe: collections may be used from any number of threads. Move-only.
class Engine {
public:
    /// Loads the schemas and opens the store named in `config`. Errors: those of
    /// `schema::Registry::open` and `store::Store::open`.
    static Result<Engine> open(const EngineConfig& config);

    /// Builds an engine from parts (e.g. a `MemoryStore` in tests or an embedder's own registry).
    static Result<Engine> open(schema::Registry registry, std::unique_ptr<store::Store> store,
                               const EngineConfig& config = {});

    Engine(Engine&&) noexcept;
    Engine& operator=(Engine&&) noexcept;
    /// Stops background work, then releases the store.
    ~Engine();

    /// The collection named `name`, or nullptr.
    Collection* collection(std::string_view name) noexcept;
    /// Every collection, ordered by name.
    std::vector<Collection*> collections() noexcept;

    const schema::Registry& registry() const noexcept;
    store::Store& store() noexcept;
    const EngineConfig& config() const noexcept;

    /// Succeeds if the store answers (readiness).
    Result<void> ready();

    /// Runs one TTL sweep now (the background sweeper calls this). Returns documents removed.
    Result<std::size_t> sweep_expired();

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::model
