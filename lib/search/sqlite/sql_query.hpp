#pragma once
// Private: translates a `SearchRequest` into SQLite statements over the embedded index's layout.
//
// Matching is a WHERE clause per collection; parent/child is a join over the e_i link tables. The
// text clauses that score (query.hpp: under must/should chains from the top) each become a
// materialised CTE `sN(rid, score)` of FTS5 matches with `-bm25()`, joined to the objects (an inner
// join when the clause is required, else a left join); a hit's score is the sum of those joins, in
// the order the clauses appear (must before should at each level).

#include <tessera/search/query.hpp>

#include "search/sqlite/layout.hpp"

#include <string>
#include <vector>

namespace tessera::search::internal {

/// One statement and its parameters (numbered ?1, ?2, ... in order).
struct SqlStatement {
    std::string sql;
    std::vector<SqlValue> params;
};

/// The statements that answer one request.
struct SqlSearch {
    /// Hits: rows (collection index, id, version, score, sort value...) in order, the page only.
    SqlStatement hits;
    /// Counts: one row per collection with min(matches, limit), when the request tracks totals.
    std::optional<SqlStatement> count;
    std::uint64_t count_limit = 0;
    /// Per aggregation: rows (key, count) most frequent first, then by key.
    std::vector<SqlStatement> aggregations;
};

/// Builds the statements for `request` (already parsed against the layout's catalog). Errors:
/// `invalid` when the query would need more than SQLite's parameter limit.
Result<SqlSearch> build_search(const Layout& layout, const SearchRequest& request);

}  // namespace tessera::search::internal
