#pragma once
/// @file tessera/search/query_string.hpp
/// @brief Search by query string on a collection's list endpoint
/// (`GET /api/<collection>?q=free+text&price[gte]=10&sort=-year,title&limit=20&offset=40`), parsed into
/// the same `SearchRequest` the JSON DSL gives, and the `after` token that pages past the result window.
///
/// **Grammar.** The query string is `&`-separated `key=value` pairs (a key without `=` has the empty
/// value; empty pairs are skipped), each key and value percent-decoded with `+` read as a space, as
/// HTML forms send it (a literal `+` is `%2B`). Keys and values must decode to UTF-8.
///
/// | parameter                        | meaning                                                               |
/// |----------------------------------|-----------------------------------------------------------------------|
/// | `q=<text>`                       | free text over every string field: `multi_match`, operator or; scores |
/// | `<field>=v`, `<field>[eq]=v`     | `term`: the field holds v (a multi-valued field: one of its values)   |
/// | `<field>[ne]=v`                  | `must_not` `term`                                                     |
/// | `<field>[gt]=v` (`gte`,`lt`,`lte`) | `range`; the bounds given for one field make one `range`            |
/// | `<field>[in]=a,b`                | `terms`: 1..`kMaxTerms` comma-separated values (a comma in one: %2C)  |
/// | `<field>[prefix]=v`              | `prefix` (string fields)                                              |
/// | `<field>[exists]=true`/`false`   | `exists`, or `must_not` `exists`                                      |
/// | `<field>[match]=<text>`          | `match` (string fields), operator or; scores                          |
/// | `sort=-a.b,c,_score`             | sort keys in order, '-' descending; single-valued fields or `_score`  |
/// |                                  | (best first, with or without '-'); at most `kMaxSortKeys`             |
/// | `limit=N`                        | page size, 1..`max_limit` (default `default_limit`)                   |
/// | `offset=N`                       | hits to skip; `offset + limit` ≤ `kMaxResultWindow` (10,000): page    |
/// |                                  | further with `after`                                                  |
/// | `after=<token>`                  | continue after the hit whose `next` token this is (same `sort`;       |
/// |                                  | `offset` 0)                                                           |
/// | `track_total_hits=true`/`false`/`N` | count matches exactly up to N (true: all, false: none); default  |
/// |                                  | `kDefaultTrackTotalHits`                                              |
/// | `cursor=C`                       | the plain list's cursor paging: only with `limit`, never in a search  |
///
/// - `<field>` is a dotted path of the collection's `Catalog` fields ("address.city"). A field named
///   like a reserved parameter (`sort`, `q`, ...) is filtered with an explicit operator: `sort[eq]=x`.
/// - Values are read as the field's type: integer (`10`, `-3`; `1.5` or `1e3` is an error), number
///   (`1.5`, `-2e3`; kept as a double), boolean (`true` / `false`), date (an RFC 3339 date-time or a
///   full-date, kept as the string), string (as given). `range` does not apply to booleans.
/// - `q` and `match` need at least one word. Each reserved parameter may appear once; filters may
///   repeat and all must hold (`tag=a&tag=b`: both), except that a range bound is given once per field.
/// - The query: no filter and no text → `match_all`; one condition → that clause alone; several → a
///   `bool` with text under `must` (so it scores), exact conditions under `filter` and negations
///   (`ne`, `exists=false`) under `must_not`, each list ordered by the clauses' JSON text, so the same
///   conditions in any order give the same request (and the same response-cache key).
/// - Without `sort`: `_score` descending when the query scores (`q`, `match`), else by collection and id
///   — spelled out in `SearchRequest::sort` as `parse_search_request` does.
///
/// **Limits.** At most `kMaxQueryParameters` parameters; a key of at most `kMaxParameterNameBytes` and a
/// value of at most `kMaxTextBytes` bytes decoded (`after`: `kMaxAfterTokenBytes`).
///
/// **Errors.** Every refusal is `ErrorCode::malformed` (HTTP 400) with a message naming the parameter and
/// `details = {"parameter": <key as given>, "errors": [{"parameter": <key>, "message": <why>}]}`:
/// a parameter that is neither reserved nor a field of the collection, a value of the wrong type, an
/// unknown or misplaced operator, `limit` out of range, `offset + limit` over the window (naming
/// `offset`), a bad `after` token, `cursor` with a search parameter (naming `cursor`), a sort on a
/// multi-valued or unknown field, and the limits above.

#include <tessera/result.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/query.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::search {

inline constexpr std::size_t kMaxQueryParameters = 64;      ///< Parameters of one query string.
inline constexpr std::size_t kMaxParameterNameBytes = 256;  ///< A decoded key.
inline constexpr std::size_t kMaxAfterTokenBytes = 16384;   ///< An `after` token.

/// How the list endpoint pages a search.
struct QueryStringOptions {
    std::size_t default_limit = 20;  ///< Hits per page without `limit`. Default 20.
    std::size_t max_limit = 1000;    ///< Largest `limit` accepted. Default 1000 (`kMaxSize`).
};

/// The search `query` asks of `collection` (`query` is the raw, percent-encoded query string without
/// the '?'), checked against `catalog`; the request's `collections` is `{collection}`. nullopt when
/// `query` holds no search parameter — nothing, or only `limit` and/or `cursor` (left to the caller's
/// cursor paging, unchecked). Errors: `malformed` as the file comment lists (also for any search
/// parameter when `collection` is not in `catalog`).
/// Requires: 1 ≤ `default_limit` ≤ `max_limit` ≤ `kMaxSize`.
Result<std::optional<SearchRequest>> parse_query_string(std::string_view query,
                                                        const Catalog& catalog,
                                                        std::string_view collection,
                                                        const QueryStringOptions& options = {});

/// The `next` token of a search response: base64url (RFC 4648 §5, no padding) of the JSON array of the
/// last hit's sort values (`Hit::sort_values`). URL-safe as it is.
std::string encode_search_after(const std::vector<boost::json::value>& sort_values);

/// The sort values an `encode_search_after` token holds. Errors: `malformed` (details naming the
/// parameter `after`) for a token longer than `kMaxAfterTokenBytes`, not base64url, or not a JSON
/// array of 2..`kMaxSortKeys` + 2 scalars ending in two strings (the collection and the id).
Result<std::vector<boost::json::value>> decode_search_after(std::string_view token);

}  // namespace tessera::search
