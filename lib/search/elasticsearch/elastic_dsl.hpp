#pragma once
// Private: a SearchRequest as the body of an Elasticsearch 8 `_search`, and its response as a
// SearchResult. Pure: no I/O. The translation rules are in elastic_index.hpp's comment.

#include "search/elasticsearch/elastic_layout.hpp"

#include <tessera/result.hpp>
#include <tessera/search/query.hpp>
#include <tessera/search/search_index.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <vector>

namespace tessera::search::internal {

/// The sort a request runs with: its keys, or `_score` descending when it has none and scores (what
/// the parser spells out already). The tie-breakers (collection, id) come after these.
std::vector<SortKey> effective_sort(const SearchRequest& request);

/// The `_search` body for `request`. Errors: `invalid` (search_after that does not fit the sort,
/// from with search_after, a collection not in the catalog), `unsupported` (has_child/has_parent
/// across an edge the join leaves out).
Result<boost::json::object> to_search_body(const SearchRequest& request, const ElasticLayout& layout);

/// The SearchResult of a `_search` response to `to_search_body(request)`. Errors: `internal` (a
/// response not shaped as ES 8's), `unavailable` (shards failed: partial results).
Result<SearchResult> from_search_response(const boost::json::value& response,
                                          const SearchRequest& request,
                                          const ElasticLayout& layout);

}  // namespace tessera::search::internal
