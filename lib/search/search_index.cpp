#include <tessera/search/search_index.hpp>

#include "search/sqlite/sqlite_index.hpp"
#ifdef TESSERA_WITH_ELASTICSEARCH
#include "search/elasticsearch/elastic_index.hpp"
#endif

namespace tessera::search {

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(std::string_view url, const Catalog& catalog,
                                                       const IndexOptions& options) {
    auto bad_url = [&](std::string why) {
        return Error(ErrorCode::invalid, "search index URL '" + std::string(url.substr(0, 256)) + "': " + why);
    };
    if (url.starts_with("sqlite:")) {
        std::string path(url.substr(7));
        if (path.starts_with("//")) {
            // sqlite:///abs/path (an empty authority); a host is not a path.
            if (!path.starts_with("///")) return bad_url("sqlite: takes a file path, not a host");
            path = path.substr(2);
        }
        if (path.empty()) return bad_url("sqlite: needs a file path, or :memory:");
        if (path.find_first_of("?#") != std::string::npos) return bad_url("sqlite: takes no query or fragment");
        return internal::open_sqlite_index(path, catalog, options);
    }
    if (url.starts_with("http://") || url.starts_with("https://")) {
#ifdef TESSERA_WITH_ELASTICSEARCH
        return internal::open_elasticsearch_index(url, catalog, options);
#else
        (void)options;
        return Error(ErrorCode::unsupported, "the Elasticsearch index is compiled out (TESSERA_WITH_ELASTICSEARCH=OFF)");
#endif
    }
    return bad_url("unknown scheme (expected sqlite:PATH, sqlite::memory: or http(s)://host:port)");
}

}  // namespace tessera::search
