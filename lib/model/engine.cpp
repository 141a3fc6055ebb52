#include <tessera/model/engine.hpp>

#include <tessera/log.hpp>

#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

namespace tessera::model {

struct Engine::Impl {
    Impl(schema::Registry r, std::unique_ptr<store::Store> s, EngineConfig c)
        : registry(std::move(r)), store(std::move(s)), config(std::move(c)) {}

    ~Impl() { stop_background(); }

    void start_background() {
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
    }

    // Removes expired documents every `sweep_interval`; errors are logged and retried next period.
    void run_sweeper() noexcept {
        // A library thread must not take the application's signals (SIGTERM, SIGINT...): they belong to
        // whatever thread the application chose to handle them.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        std::unique_lock lock(mutex);
        while (!wake.wait_for(lock, config.sweep_interval, [this] { return stopping; })) {
            lock.unlock();
            try {
                // Drain in slices so one sweep never holds a write transaction for long.
                for (int slice = 0; slice < 100; ++slice) {
                    auto removed = store->sweep_expired(store::Clock::now(), 500);
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
    EngineConfig config;
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
        if (name.empty() || name.front() == '_' || name.find('/') != std::string::npos) {
            return Error(ErrorCode::invalid, "collection name '" + name + "' is reserved or malformed (schema " +
                                                 schema->name() + "): names may not be empty, start with '_' or contain '/'");
        }
        const auto policy = policies.find(name);
        impl->collections.emplace(name, std::make_unique<Collection>(*impl->store, *schema,
                                                                     policy == policies.end() ? nullptr : policy->second,
                                                                     impl->config));
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
store::Store& Engine::store() noexcept { return *impl_->store; }
const EngineConfig& Engine::config() const noexcept { return impl_->config; }

Result<void> Engine::ready() { return impl_->store->ping(); }

Result<std::size_t> Engine::sweep_expired() { return impl_->store->sweep_expired(store::Clock::now(), 1000); }

}  // namespace tessera::model
