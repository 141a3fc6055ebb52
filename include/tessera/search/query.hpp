#pragma once
/// @file tessera/search/query.hpp
/// @brief The search request model: a subset of Elasticsearch's query DSL that every `SearchIndex`
/// backend runs with the same meaning, its parser, and its normalised JSON form.
///
/// Semantics (what the embedded index, Elasticsearch and the tests' brute-force evaluator share):
/// - Text (`match`, `multi_match`, `match_phrase`, the `q=` parameter) is split into words the way
///   SQLite's `unicode61` tokenizer does (letters and digits; lower-cased; diacritics removed); a
///   field's words are those of all its values in order. `match` with operator `or` needs one query
///   word, `and` all of them; `match_phrase` the words consecutively. `multi_match` treats its fields
///   as one (Elasticsearch's `cross_fields`). No fields: every string field.
/// - `term`, `terms`, `prefix`, `range` compare exact values: strings byte-wise (UTF-8), numbers
///   numerically, dates as instants. On a multi-valued field a document matches if any value does.
/// - Scores: only text clauses score (BM25, k1 = 1.2, b = 0.75, as SQLite FTS5's `bm25()`), and only
///   where they decide relevance: under `must` / `should` chains from the top, not under `filter`,
///   `must_not`, `has_child` or `has_parent`. The score of a hit is the sum of its scoring clauses.
/// - Order: the `sort` keys, then the document's collection and id ascending (so paging is stable).
///   Missing values sort last in both directions. Without `sort`: `_score` descending when the query
///   scores, else by collection and id.
/// - `has_child` / `has_parent` cross one edge of the entity graph (`Catalog`): an object matches
///   `has_child {type: C, query: Q}` if one of its children in collection C matches Q.
///
/// Anything outside the subset (an unknown key, a parameter this subset lacks, a field the
/// collection does not have, a value of the wrong type) is a `malformed` error (HTTP 400) whose
/// `details.pointer` is the JSON Pointer of the offending member; nothing is silently ignored.

#include <tessera/result.hpp>
#include <tessera/search/catalog.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera::search {

struct Query;

/// How the words of a `match` combine.
enum class Operator { or_, and_ };

struct MatchAll {
    friend bool operator==(const MatchAll&, const MatchAll&) = default;
};
struct Match {
    std::string field;
    std::string text;
    Operator op = Operator::or_;
    friend bool operator==(const Match&, const Match&) = default;
};
struct MultiMatch {
    std::vector<std::string> fields;  ///< Empty: every string field of the collection.
    std::string text;
    Operator op = Operator::or_;
    friend bool operator==(const MultiMatch&, const MultiMatch&) = default;
};
struct MatchPhrase {
    std::string field;
    std::string text;
    friend bool operator==(const MatchPhrase&, const MatchPhrase&) = default;
};
/// Exact value. `value` is a string, number or boolean (dates: an RFC 3339 string), checked against
/// the field's type by the parser.
struct Term {
    std::string field;
    boost::json::value value;
    friend bool operator==(const Term&, const Term&) = default;
};
struct Terms {
    std::string field;
    std::vector<boost::json::value> values;  ///< 1 to `kMaxTerms`.
    friend bool operator==(const Terms&, const Terms&) = default;
};
struct Range {
    std::string field;
    std::optional<boost::json::value> gt, gte, lt, lte;
    friend bool operator==(const Range&, const Range&) = default;
};
struct Exists {
    std::string field;
    friend bool operator==(const Exists&, const Exists&) = default;
};
struct Prefix {
    std::string field;
    std::string value;
    friend bool operator==(const Prefix&, const Prefix&) = default;
};
struct Ids {
    std::vector<std::string> values;
    friend bool operator==(const Ids&, const Ids&) = default;
};
struct Bool {
    std::vector<Query> must, filter, should, must_not;
    /// Should clauses that must match. Default: 1 when there is no must or filter clause (and at least
    /// one should), else 0.
    std::optional<std::uint32_t> minimum_should_match;
    friend bool operator==(const Bool&, const Bool&);
};
struct HasChild {
    std::string type;                    ///< The child collection.
    std::shared_ptr<const Query> query;  ///< Never null.
    friend bool operator==(const HasChild&, const HasChild&);
};
struct HasParent {
    std::string parent_type;             ///< The parent collection.
    std::shared_ptr<const Query> query;  ///< Never null.
    friend bool operator==(const HasParent&, const HasParent&);
};

/// One node of the query tree.
struct Query {
    std::variant<MatchAll, Match, MultiMatch, MatchPhrase, Term, Terms, Range, Exists, Prefix, Ids, Bool, HasChild, HasParent>
        node;
    friend bool operator==(const Query&, const Query&) = default;
};

/// One sort key.
struct SortKey {
    std::string field;  ///< A single-valued field, or "_score".
    bool descending = false;
    friend bool operator==(const SortKey&, const SortKey&) = default;
};

/// A `terms` aggregation: the most frequent values of a field among all matching documents.
struct TermsAggregation {
    std::string name;
    std::string field;
    std::size_t size = 10;  ///< Buckets, 1..`kMaxBuckets`. Default 10.
    friend bool operator==(const TermsAggregation&, const TermsAggregation&) = default;
};

/// A whole search.
struct SearchRequest {
    std::vector<std::string> collections;  ///< Where to search; one or more.
    Query query{MatchAll{}};
    std::vector<SortKey> sort;  ///< Empty: see the file comment.
    std::size_t from = 0;
    std::size_t size = 10;  ///< Default 10 (Elasticsearch's).
    /// Sort values of the last hit of the previous page (`SearchResult::next`, decoded): one per sort
    /// key, then the collection and id. Empty: none.
    std::vector<boost::json::value> search_after;
    /// Count matches exactly up to this many (true: all; false: 0, no count). Default 10,000.
    std::uint64_t track_total_hits = 10000;
    std::vector<TermsAggregation> aggregations;

    friend bool operator==(const SearchRequest&, const SearchRequest&) = default;
};

/// Limits a request may not pass; each is a 400 naming its member.
inline constexpr std::size_t kMaxResultWindow = 10000;  ///< from + size (Elasticsearch's default too).
inline constexpr std::size_t kMaxSize = 1000;           ///< size.
inline constexpr std::size_t kMaxClauses = 1024;        ///< Query nodes in all.
inline constexpr std::size_t kMaxDepth = 16;            ///< Nesting of bool / has_child / has_parent.
inline constexpr std::size_t kMaxTerms = 1024;          ///< Values of one `terms`, ids of one `ids`.
inline constexpr std::size_t kMaxTextBytes = 4096;      ///< Text of one match / prefix / term string.
inline constexpr std::size_t kMaxWords = 64;            ///< Words of one text clause.
inline constexpr std::size_t kMaxSortKeys = 8;
inline constexpr std::size_t kMaxAggregations = 8;
inline constexpr std::size_t kMaxBuckets = 1000;
inline constexpr std::uint64_t kDefaultTrackTotalHits = 10000;

/// Parses an Elasticsearch-style search body (`query`, `sort`, `from`, `size`, `search_after`,
/// `track_total_hits`, `aggs`/`aggregations`) for `collections`, checking every field against
/// `catalog` (for several collections: a field must exist in at least one of them, with one type).
/// `search_after` is taken as the decoded array. Errors: `malformed` with `details.pointer`.
Result<SearchRequest> parse_search_request(const boost::json::value& body,
                                           const Catalog& catalog,
                                           std::vector<std::string> collections);

/// The query tree alone (what `query` holds), checked against `collection`'s fields.
Result<Query> parse_query(const boost::json::value& query, const Catalog& catalog, std::string_view collection);

/// The normalised JSON form of `request` — the Elasticsearch DSL body our backends accept, with
/// defaults spelled out and `collections` under the key "collections": equal requests give equal
/// text, so it keys the response cache.
boost::json::value to_json(const SearchRequest& request);
/// The query tree in Elasticsearch DSL.
boost::json::value to_json(const Query& query);

/// True if the tree has a clause that scores (see the file comment).
bool is_scoring(const Query& query) noexcept;

/// The words of `text` as the index sees them (unicode61, diacritics removed, lower case), at most
/// `limit` of them.
std::vector<std::string> words_of(std::string_view text, std::size_t limit = kMaxWords);

/// The words of a query clause's text, each once, in first-appearance order.
std::vector<std::string> query_words(std::string_view text);

/// A date value (RFC 3339 date-time, or a full-date "YYYY-MM-DD" meaning its midnight UTC) as
/// milliseconds since the epoch; nullopt if it is neither.
std::optional<std::int64_t> date_millis(std::string_view text) noexcept;

}  // namespace tessera::search
