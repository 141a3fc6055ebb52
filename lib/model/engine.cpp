#include <tessera/model/engine.hpp>

#include <tessera/log.hpp>

#include "events/common.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace tessera::model {
namespace {

// The engine's store as collections and embedders see it: every call goes to the real store, and a
// commit or sweep that appended outbox events wakes the relay, so events leave at once rather than
// at the relay's next poll.
class NotifyingStore final : public store::Store {
public:
    explicit NotifyingStore(store::Store& inner) : inner_(inner) {}

    void set_relay(events::Relay* relay) noexcept { relay_ = relay; }

    Result<store::Document> get(std::string_view collection, std::string_view id) override {
        return inner_.get(collection, id);
    }
    Result<std::vector<std::optional<store::Document>>> get_many(std::string_view collection,
                                                                 std::span<const std::string> ids) override {
        return inner_.get_many(collection, ids);
    }
    Result<std::vector<std::optional<store::Document>>> get_refs(std::span<const store::DocumentRef> refs) override {
        return inner_.get_refs(refs);
    }
    Result<store::Page> scan(std::string_view collection, std::string_view cursor, std::size_t limit) override {
        return inner_.scan(collection, cursor, limit);
    }
    Result<std::uint64_t> count(std::string_view collection) override { return inner_.count(collection); }
    Result<store::CommitResult> commit(const store::Batch& batch) override {
        auto committed = inner_.commit(batch);
        if (committed && !batch.events.empty()) {
            if (auto* capture = Engine::CommitCapture::current()) capture->record(batch.events, committed->version);
            notify();
        }
        return committed;
    }
    Result<std::size_t> sweep_expired(store::TimePoint now, std::size_t limit) override {
        auto swept = inner_.sweep_expired(now, limit);
        if (swept && *swept > 0) notify();
        return swept;
    }
    Result<std::vector<store::Event>> claim(std::size_t max, std::chrono::milliseconds lease) override {
        return inner_.claim(max, lease);
    }
    Result<void> ack(std::span<const std::string> event_ids) override { return inner_.ack(event_ids); }
    Result<store::OutboxStats> outbox_stats() override { return inner_.outbox_stats(); }
    Result<void> ping() override { return inner_.ping(); }
    std::string_view backend() const noexcept override { return inner_.backend(); }
    bool may_block() const noexcept override { return inner_.may_block(); }

private:
    void notify() noexcept {
        if (auto* relay = relay_.load()) relay->notify();
    }

    store::Store& inner_;
    std::atomic<events::Relay*> relay_{nullptr};
};

}  // namespace

struct Engine::Impl {
    Impl(schema::Registry r, std::unique_ptr<store::Store> s, EngineConfig c)
        : registry(std::move(r)), store(std::move(s)), notifying(*store), config(std::move(c)) {}

    ~Impl() { stop_background(); }

    void start_background() {
        relay->start();
        if (config.sweep_interval.count() <= 0) return;
        sweeper = std::thread([this] { run_sweeper(); });
    }

    void stop_background() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        if (sweeper.joinable()) sweeper.join();
        // Then the relay (nothing notifies it any more): it finishes and acknowledges the batch in
        // flight while the bus is still there; then the bus, whose handlers may still use the store.
        notifying.set_relay(nullptr);
        relay.reset();  // stops it
        bus.reset();
    }

    // Removes expired documents every `sweep_interval`; errors are logged and retried next period.
    void run_sweeper() noexcept {
        events::internal::block_async_signals();
        std::unique_lock lock(mutex);
        while (!wake.wait_for(lock, config.sweep_interval, [this] { return stopping; })) {
            lock.unlock();
            try {
                // Drain in slices so one sweep never holds a write transaction for long.
                for (int slice = 0; slice < 100; ++slice) {
                    auto removed = notifying.sweep_expired(store::Clock::now(), 500);
                    if (!removed) {
                        log::warn("model.sweeper", "TTL sweep failed", {{"error", removed.error().to_json()}});
                        break;
                    }
                    if (*removed > 0) log::debug("model.sweeper", "expired documents removed", {{"count", *removed}});
                    if (*removed < 500) break;
                }
            } catch (const std::exception& e) {
                log::error("model.sweeper", "TTL sweep threw", {{"what", e.what()}});
            }
            lock.lock();
        }
    }

    schema::Registry registry;
    std::unique_ptr<store::Store> store;
    NotifyingStore notifying;
    EngineConfig config;
    std::unique_ptr<events::EventBus> bus;
    std::unique_ptr<events::Relay> relay;
    std::map<std::string, std::unique_ptr<Collection>, std::less<>> collections;

    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::thread sweeper;
};

Result<Engine> Engine::open(const EngineConfig& config) {
    auto registry = schema::Registry::open(config.schemas);
    if (!registry) return std::move(registry).error();
    auto store = store::Store::open(config.store_url, config.store_options);
    if (!store) return std::move(store).error();
    return open(std::move(*registry), std::move(*store), config);
}

Result<Engine> Engine::open(schema::Registry registry, std::unique_ptr<store::Store> store, const EngineConfig& config) {
    if (!store) return Error(ErrorCode::invalid, "Engine::open needs a store");
    auto impl = std::make_unique<Impl>(std::move(registry), std::move(store), config);
    events::BusOptions bus_options = config.bus_options;
    bus_options.dead_letter_store = impl->store.get();
    auto bus = events::EventBus::open(config.bus_url, bus_options);
    if (!bus) return std::move(bus).error();
    impl->bus = std::move(*bus);
    // Declares the topology now, so consumers started with us can bind before our first event. A
    // broker that is down is no reason to refuse writes: the bus keeps reconnecting on its own and
    // the outbox holds the events until it is back.
    if (auto connected = impl->bus->connect(); !connected) {
        log::warn("model.engine", "event bus not reachable at start-up; events wait in the outbox",
                  {{"bus", impl->bus->backend()}, {"error", connected.error().to_json()}});
    }
    impl->relay = std::make_unique<events::Relay>(*impl->store, *impl->bus, config.relay);
    impl->notifying.set_relay(impl->relay.get());
    // The entity policy in force for each collection: its own, or that of a schema which maps entities
    // into it (so /api/services/{id} splits and assembles exactly as the plans holding services do).
    std::map<std::string, const schema::EntityPolicy*, std::less<>> policies;
    for (const auto* schema : impl->registry.schemas()) {
        if (const auto& entities = schema->annotations().entities) {
            policies.emplace(schema->annotations().collection, &*entities);
            for (const auto& [type, collection] : entities->types) policies.emplace(collection, &*entities);
        }
    }
    for (const auto* schema : impl->registry.schemas()) {
        const auto& name = schema->annotations().collection;
        if (!schema::is_collection_name(name)) {
            return Error(ErrorCode::invalid, "collection name '" + name + "' (schema " + schema->name() +
                                                 ") is reserved or malformed: " + std::string(schema::kCollectionNameRule));
        }
        if (const auto& entities = schema->annotations().entities) {
            // An entity type stores objects in another collection: it must be one that has a schema,
            // or entities would be written where nothing validates or serves them.
            for (const auto& [type, collection] : entities->types) {
                if (impl->registry.find_collection(collection) == nullptr) {
                    return Error(ErrorCode::invalid, "schema " + schema->name() + ": entity type '" + type +
                                                         "' names collection '" + collection + "', which no schema defines");
                }
            }
        }
        const auto policy = policies.find(name);
        impl->collections.emplace(name, std::make_unique<Collection>(impl->notifying, *schema,
                                                                     policy == policies.end() ? nullptr : policy->second,
                                                                     impl->config));
    }
    if (config.before_start) {
        // Subscribers that must see every event (a search indexer) subscribe before the relay runs.
        if (auto ready = config.before_start(impl->registry, *impl->bus); !ready) return std::move(ready).error();
    }
    impl->start_background();
    return Engine(std::move(impl));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Collection* Engine::collection(std::string_view name) noexcept {
    auto it = impl_->collections.find(name);
    return it == impl_->collections.end() ? nullptr : it->second.get();
}

std::vector<Collection*> Engine::collections() noexcept {
    std::vector<Collection*> out;
    out.reserve(impl_->collections.size());
    for (auto& [name, collection] : impl_->collections) out.push_back(collection.get());
    return out;
}

const schema::Registry& Engine::registry() const noexcept { return impl_->registry; }
store::Store& Engine::store() noexcept { return impl_->notifying; }

namespace {
thread_local Engine::CommitCapture* current_capture = nullptr;
}  // namespace

Engine::CommitCapture::CommitCapture() noexcept : outer_(current_capture) { current_capture = this; }
Engine::CommitCapture::~CommitCapture() { current_capture = outer_; }
Engine::CommitCapture* Engine::CommitCapture::current() noexcept { return current_capture; }
void Engine::CommitCapture::record(const std::vector<store::Event>& events, std::uint64_t version) {
    for (const auto& e : events) events_.emplace_back(e, version);
}
const EngineConfig& Engine::config() const noexcept { return impl_->config; }
events::EventBus& Engine::bus() noexcept { return *impl_->bus; }
events::Relay& Engine::relay() noexcept { return *impl_->relay; }

Result<void> Engine::ready() { return impl_->store->ping(); }

Result<std::size_t> Engine::sweep_expired() { return impl_->notifying.sweep_expired(store::Clock::now(), 1000); }

}  // namespace tessera::model
