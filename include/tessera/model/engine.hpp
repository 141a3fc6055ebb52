#pragma once
/// @file tessera/model/engine.hpp
/// @brief `Engine`: the facade an embedder uses — schemas, a store and their collections.

#include <tessera/events/event_bus.hpp>
#include <tessera/events/relay.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/model/collection.hpp>
#include <tessera/result.hpp>
#include <tessera/schema/registry.hpp>
#include <tessera/store/store.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::model {

/// How an `Engine` is built. Field comments give defaults.
struct EngineConfig {
    std::filesystem::path schemas = "schemas";       ///< Directory of `*.json` schemas. Default "schemas".
    std::string store_url = "sqlite:./var/tessera.db";  ///< See `store::Store::open`. Default embedded SQLite.
    store::StoreOptions store_options;               ///< Timeouts for remote stores.
    json::ParseLimits limits;                        ///< Applied to request bodies by callers. Default 1 MiB / depth 64.
    /// Largest document a write may produce, in bytes of canonical JSON text; a JSON Patch is held to it
    /// while it is applied (each operation's growth is counted as it happens), so a small patch cannot
    /// build a huge document. Beyond it a write is `too_large`. 0 (the default): `limits.max_bytes`.
    std::size_t max_document_bytes = 0;
    std::chrono::milliseconds sweep_interval{1000};  ///< TTL sweeper period; 0 disables the thread. Default 1 s.
    std::chrono::hours idempotency_ttl{24};          ///< How long Idempotency-Keys are remembered. Default 24 h.
    int write_retries = 16;  ///< Read-modify-write attempts (with jittered backoff) before `conflict`. Default 16.
    /// Where the outbox relay publishes events: see `events::EventBus::open`. Default "inproc".
    std::string bus_url = "inproc";
    /// Options of that bus. The engine sets `dead_letter_store` to its own store (inproc dead letters
    /// survive a restart). Defaults: see `events::BusOptions`.
    events::BusOptions bus_options;
    /// The outbox relay: 256 events per batch, 30 s lease, 100 ms idle poll, 1 ms linger by default
    /// (see `events::RelayOptions`). `relay.poll_interval` 0 runs no relay thread (call `relay().run_once()`).
    events::RelayOptions relay;
    /// Called once the schemas are loaded and the bus is open, before the relay publishes anything:
    /// where a subscriber that must see every event (the search indexer with the inproc bus, which
    /// keeps no events for absent subscribers) subscribes. An error fails `open`. Default none.
    std::function<Result<void>(const schema::Registry&, events::EventBus&)> before_start;
};

/// Owns a schema registry, a store and one `Collection` per schema, an event bus, plus background
/// work: the TTL sweeper and the outbox relay, which publishes every committed event to the bus (woken
/// by a commit that appends events, and polling for events other processes committed). Thread-safe:
/// collections may be used from any number of threads. Move-only.
class Engine {
public:
    /// Loads the schemas, opens the store and the bus named in `config`, connects the bus (declaring
    /// its topology: `events::EventBus::connect`) and starts the background work. Errors: those of
    /// `schema::Registry::open`, `store::Store::open` and `events::EventBus::open`. A bus that cannot
    /// connect is not one: it is logged, the bus keeps reconnecting, and events wait in the outbox
    /// meanwhile (a broker that is down delays events, never writes; `bus().stats().connected` says so).
    static Result<Engine> open(const EngineConfig& config);

    /// Builds an engine from parts (e.g. a `MemoryStore` in tests or an embedder's own registry); opens
    /// and connects the bus named in `config`, as above.
    static Result<Engine> open(schema::Registry registry, std::unique_ptr<store::Store> store,
                               const EngineConfig& config = {});

    Engine(Engine&&) noexcept;
    Engine& operator=(Engine&&) noexcept;
    /// Stops background work (the relay finishes the batch it is publishing), closes the bus, then
    /// releases the store.
    ~Engine();

    /// The collection named `name`, or nullptr.
    Collection* collection(std::string_view name) noexcept;
    /// Every collection, ordered by name.
    std::vector<Collection*> collections() noexcept;

    const schema::Registry& registry() const noexcept;
    /// The store. Commits through it wake the relay.
    store::Store& store() noexcept;
    const EngineConfig& config() const noexcept;

    /// The bus the relay publishes to: subscribe here to receive this engine's events in-process
    /// (with "inproc"), or through the broker (with "amqp://").
    events::EventBus& bus() noexcept;
    /// The outbox relay: its stats, or `run_once` when `relay.poll_interval` is 0.
    events::Relay& relay() noexcept;

    /// Succeeds if the store answers (readiness).
    Result<void> ready();

    /// While one lives, collects the outbox events of every commit this thread makes through the
    /// engine's store, each with the version its commit got — so a request can act on its own write at
    /// once (the REST layer's `?refresh=wait_for` applies them to the search index before answering).
    /// Captures nest (the innermost collects). Not movable: it registers itself with this thread.
    class CommitCapture {
    public:
        CommitCapture() noexcept;
        ~CommitCapture();
        CommitCapture(const CommitCapture&) = delete;
        CommitCapture& operator=(const CommitCapture&) = delete;

        /// (event, commit version) in commit order.
        const std::vector<std::pair<store::Event, std::uint64_t>>& events() const noexcept { return events_; }

        /// The capture of the calling thread, or nullptr. For the engine's store.
        static CommitCapture* current() noexcept;
        void record(const std::vector<store::Event>& events, std::uint64_t version);

    private:
        CommitCapture* outer_;
        std::vector<std::pair<store::Event, std::uint64_t>> events_;
    };

    /// Runs one TTL sweep now (the background sweeper calls this). Returns documents removed.
    Result<std::size_t> sweep_expired();

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::model
