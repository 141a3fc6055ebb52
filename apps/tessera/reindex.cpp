// tessera reindex: rebuilds a search index from the store (the store is the only source of truth;
// the index is a projection of it).

#include "commands.hpp"

#include <tessera/schema/registry.hpp>
#include <tessera/search/indexer.hpp>
#include <tessera/store/store.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace tessera::cli {
namespace {

constexpr std::string_view kUsage =
    R"(usage: tessera reindex [--collection NAME] [--store URL] [--search URL] [--schemas DIR]

Empties the search index (one collection, or all of them) and indexes every document of the store
again, with a progress bar on a terminal and a summary at the end. Safe while tessera-server runs:
changes it indexes meanwhile are newer than what the rebuild reads, and newer versions win.

  --collection NAME  only this collection (default: every searchable collection)
  --store URL        the document store (default $TESSERA_STORE, else sqlite:./var/tessera.db)
  --search URL       the index (default $TESSERA_SEARCH, else sqlite:./var/search.db)
  --schemas DIR      the schemas defining the collections (default $TESSERA_SCHEMAS, else ./schemas)

Exit status: 0 done, 2 usage error or failure (the reason on stderr).
)";

int usage_error(std::string_view message) {
    std::cerr << "tessera reindex: " << message << "\nTry 'tessera reindex --help'.\n";
    return 2;
}

int failed(std::string_view what, const Error& error) {
    std::cerr << "tessera reindex: " << what << ": " << error.to_string() << "\n";
    return 2;
}

std::string env_or(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// "\r  plans         45000/125000  [#########...........]  36%" on a terminal, nothing elsewhere.
void draw(std::string_view collection, std::uint64_t done, std::uint64_t total) {
    constexpr int kWidth = 30;
    const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
    const int filled = static_cast<int>(fraction * kWidth);
    std::fprintf(stderr, "\r  %-20.*s %10llu/%-10llu [%.*s%.*s] %3d%%", static_cast<int>(std::min<std::size_t>(collection.size(), 20)),
                 collection.data(), static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), filled,
                 "##############################", kWidth - filled, "..............................",
                 static_cast<int>(fraction * 100));
    if (done >= total) std::fputc('\n', stderr);
    std::fflush(stderr);
}

}  // namespace

int run_reindex(std::span<const std::string_view> args) {
    std::string collection;
    std::string store_url = env_or("TESSERA_STORE", "sqlite:./var/tessera.db");
    std::string search_url = env_or("TESSERA_SEARCH", "sqlite:./var/search.db");
    std::string schemas = env_or("TESSERA_SCHEMAS", "./schemas");
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto arg = args[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
        std::string* target = arg == "--collection" ? &collection
                              : arg == "--store"    ? &store_url
                              : arg == "--search"   ? &search_url
                              : arg == "--schemas"  ? &schemas
                                                    : nullptr;
        if (target == nullptr) return usage_error("unexpected argument '" + std::string(arg) + "'");
        if (i + 1 >= args.size() || args[i + 1].empty()) return usage_error("option '" + std::string(arg) + "' needs a value");
        *target = std::string(args[++i]);
    }
    if (search_url == "off") return usage_error("--search is off: there is no index to rebuild");

    auto registry = schema::Registry::open(schemas);
    if (!registry) return failed("cannot load the schemas in " + schemas, registry.error());
    const auto catalog = search::Catalog::from_registry(*registry);
    if (!collection.empty() && catalog.find(collection) == nullptr) {
        return usage_error("no searchable collection '" + collection + "' in " + schemas);
    }
    auto store = store::Store::open(store_url);
    if (!store) return failed("cannot open the store", store.error());
    auto index = search::SearchIndex::open(search_url, catalog);
    if (!index) return failed("cannot open the index", index.error());

    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    search::RebuildProgress progress;
    if (terminal) progress = draw;
    auto rebuilt = search::rebuild(**store, **index, catalog, collection, progress);
    if (!rebuilt) return failed("rebuild failed (the index may be partly filled: run it again)", rebuilt.error());
    const double seconds = static_cast<double>(rebuilt->elapsed.count()) / 1000.0;
    std::cout << "reindexed " << rebuilt->documents << " documents" << (collection.empty() ? "" : " of " + collection)
              << " in " << seconds << " s";
    if (seconds > 0) std::cout << " (" << static_cast<long long>(static_cast<double>(rebuilt->documents) / seconds) << "/s)";
    std::cout << " into " << (*index)->backend() << "\n";
    return 0;
}

}  // namespace tessera::cli
