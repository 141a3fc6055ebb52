#include "search_setup.hpp"

#include <tessera/log.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

namespace tessera::server {
namespace {

// The indexer's subscription. A shared index (Elasticsearch) takes the given name: replicas then
// share one queue and each event is applied once. An embedded index belongs to one replica, which
// needs every event: unless --indexer-queue was set, its queue is named after this host and the
// index file, so it is stable across restarts and distinct between replicas.
std::string indexer_subscription(const Config& config) {
    if (config.indexer_queue != "tessera.indexer" || !config.search.starts_with("sqlite:")) return config.indexer_queue;
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    std::error_code ec;
    const std::string path = config.search.substr(7);
    // An index in memory starts empty each time: a queue that lives as long as the connection.
    if (path == ":memory:") return "";
    const std::string where = std::filesystem::absolute(path, ec).string();
    // FNV-1a: a stable name, not a secret.
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : std::string(host.data()) + "|" + where) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    char name[40];
    std::snprintf(name, sizeof name, "tessera.indexer.%016llx", static_cast<unsigned long long>(hash));
    return name;
}

}  // namespace

Result<std::shared_ptr<SearchSetup>> prepare_search(const Config& config, model::EngineConfig& engine_config) {
    auto setup = std::make_shared<SearchSetup>();
    if (config.search == "off") return setup;
    if (config.cache != "off") {
        auto cache = cache::Cache::open(config.cache);
        if (!cache) return std::move(cache).error();
        setup->cache = std::move(*cache);
    }
    engine_config.before_start = [&config, raw = setup.get()](const schema::Registry& registry,
                                                               events::EventBus& bus) -> Result<void> {
        raw->catalog = std::make_shared<search::Catalog>(search::Catalog::from_registry(registry));
        auto index = search::SearchIndex::open(config.search, *raw->catalog);
        if (!index) return std::move(index).error();
        raw->index = std::move(*index);
        search::IndexerOptions options;
        options.subscription = indexer_subscription(config);
        auto indexer = search::Indexer::start(bus, *raw->index, *raw->catalog, options);
        if (!indexer) return std::move(indexer).error();
        raw->indexer = std::move(*indexer);
        return {};
    };
    return setup;
}

Result<void> finish_search(const Config& config, SearchSetup& setup, model::Engine& engine, rest::SearchOptions& out) {
    if (!setup.index) return {};
    auto state = setup.index->state();
    if (!state) return std::move(state).error();
    if (state->entries == 0 && state->max_version == 0) {
        log::info("server.search", "search index is empty: rebuilding it from the store", {{"index", config.search}});
        auto rebuilt = search::rebuild(engine.store(), *setup.index, *setup.catalog, {},
                                       [](std::string_view collection, std::uint64_t done, std::uint64_t total) {
                                           if (done == total || done % 100000 == 0) {
                                               log::info("server.search", "rebuilding",
                                                         {{"collection", collection}, {"done", done}, {"total", total}});
                                           }
                                       });
        if (!rebuilt) return std::move(rebuilt).error();
        log::info("server.search", "search index rebuilt",
                  {{"documents", rebuilt->documents}, {"ms", rebuilt->elapsed.count()}});
    }
    out.index = setup.index;
    out.catalog = setup.catalog;
    out.indexer = setup.indexer;
    out.cache = setup.cache;
    out.cache_ttl = config.search_cache_ttl;
    out.resilient = setup.index->backend() != "sqlite";
    out.retry.max_attempts = config.search_retries;
    out.breaker.failure_threshold = config.breaker_failures;
    out.breaker.open_duration = config.breaker_open;
    return {};
}

}  // namespace tessera::server
