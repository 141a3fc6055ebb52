#pragma once
// Wiring of search for tessera-server: the catalog, the index named by --search, the indexer
// subscribed before the relay runs, the response cache named by --cache, and a rebuild from the
// store when the index is empty (new, or emptied because the schemas changed its layout).

#include "config.hpp"

#include <tessera/model/engine.hpp>
#include <tessera/rest/api.hpp>
#include <tessera/search/indexer.hpp>

#include <memory>

namespace tessera::server {

struct SearchSetup {
    std::shared_ptr<search::Catalog> catalog;
    std::shared_ptr<search::SearchIndex> index;
    std::shared_ptr<search::Indexer> indexer;
    std::shared_ptr<cache::Cache> cache;
};

/// Opens the cache and arranges (through `engine_config.before_start`) for the index to be opened and
/// the indexer subscribed before the engine's relay publishes. Nothing to do with --search off.
Result<std::shared_ptr<SearchSetup>> prepare_search(const Config& config, model::EngineConfig& engine_config);

/// Once the engine is open: rebuilds an empty index from the store (logging progress) and fills `out`.
Result<void> finish_search(const Config& config, SearchSetup& setup, model::Engine& engine, rest::SearchOptions& out);

}  // namespace tessera::server
