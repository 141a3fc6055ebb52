#pragma once
// Private: the embedded search index on SQLite (FTS5 + typed columns; layout.hpp has the tables).
// One writer connection applies changes; readers use a pool of their own connections on the WAL, so
// searches run while a change is applied. `:memory:` keeps one connection that readers and the
// writer take turns on.

#include <tessera/search/search_index.hpp>

#include <memory>
#include <string>

namespace tessera::search::internal {

/// Opens the index at `path` (a file, created with its directory, or ":memory:").
Result<std::unique_ptr<SearchIndex>> open_sqlite_index(const std::string& path, const Catalog& catalog,
                                                       const IndexOptions& options);

}  // namespace tessera::search::internal
