// The list endpoint's query-string search: parameters → the SearchRequest AST, each refusal naming the
// parameter it refuses (the grammar is in query_string.hpp).
#include <tessera/search/query_string.hpp>

#include <tessera/assert.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/text.hpp>

#include "common/encoding.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace tessera::search {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

Error refuse(std::string_view parameter, const std::string& message) {
    const std::string name = json::excerpt(parameter, 128);
    object details{{"parameter", name}};
    details["errors"] = array{object{{"parameter", name}, {"message", message}}};
    return Error(ErrorCode::malformed, "query parameter '" + name + "': " + message, std::move(details));
}

std::string named(std::string_view s) {
    return "'" + json::excerpt(s, 64) + "'";
}

constexpr std::string_view kReserved[] = {"q", "sort", "limit", "offset", "after", "track_total_hits", "cursor"};
constexpr std::string_view kReservedList = "q, sort, limit, offset, after, track_total_hits, cursor";

bool is_reserved(std::string_view key) {
    return std::find(std::begin(kReserved), std::end(kReserved), key) != std::end(kReserved);
}

// Percent-decoding as HTML forms encode (application/x-www-form-urlencoded: '+' is a space); nullopt if
// `raw` is not percent-encoding or does not decode to UTF-8 (the text goes into JSON strings).
std::optional<std::string> decode(std::string_view raw) {
    auto pct = boost::urls::make_pct_string_view(raw);
    if (!pct) return std::nullopt;
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    std::string out = pct->decode(opts);
    if (!json::is_valid_utf8(out)) return std::nullopt;
    return out;
}

struct Param {
    std::string key;             // decoded
    std::string_view raw_value;  // as sent: `in` splits it before decoding, so "%2C" stays in a value
    std::string value;           // decoded
};

Result<std::vector<Param>> split(std::string_view query) {
    std::vector<Param> out;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        const std::string_view raw_key = pair.substr(0, eq);
        const std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        auto key = decode(raw_key);
        if (!key) return refuse(raw_key, "the name is not percent-encoded UTF-8");
        if (out.size() == kMaxQueryParameters) {
            return refuse(*key, "a query string has at most " + std::to_string(kMaxQueryParameters) + " parameters");
        }
        if (key->empty()) return refuse(*key, "a parameter needs a name");
        if (key->size() > kMaxParameterNameBytes) {
            return refuse(*key, "a parameter name is at most " + std::to_string(kMaxParameterNameBytes) + " bytes");
        }
        auto decoded = decode(raw_value);
        if (!decoded) return refuse(*key, "the value is not percent-encoded UTF-8");
        const std::size_t bound = *key == "after" ? kMaxAfterTokenBytes : kMaxTextBytes;
        if (decoded->size() > bound) return refuse(*key, "a value is at most " + std::to_string(bound) + " bytes");
        out.push_back(Param{std::move(*key), raw_value, std::move(*decoded)});
    }
    return out;
}

// Digits only: "+1", " 1", "1.0" are not counts.
std::optional<std::uint64_t> parse_count(std::string_view text) {
    std::uint64_t n = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
    return n;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t n = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
    return n;
}

std::optional<double> parse_number(std::string_view text) {
    double d = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, d);
    if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(d)) return std::nullopt;
    return d;
}

// `text` as a value of `field`'s type, normalised as the JSON DSL parser normalises (numbers as doubles,
// dates as their string).
Result<value> typed_value(std::string_view text, const Field& field, std::string_view parameter) {
    switch (field.type) {
        case FieldType::string:
            return value(text);
        case FieldType::integer:
            if (auto n = parse_integer(text)) return value(*n);
            return refuse(parameter, "field " + named(field.path) + " holds integers, not " + named(text));
        case FieldType::number:
            if (auto d = parse_number(text)) return value(*d);
            return refuse(parameter, "field " + named(field.path) + " holds numbers, not " + named(text));
        case FieldType::boolean:
            if (text == "true" || text == "false") return value(text == "true");
            return refuse(parameter, "field " + named(field.path) + " holds true or false, not " + named(text));
        case FieldType::date:
            if (date_millis(text)) return value(text);
            return refuse(parameter, "field " + named(field.path) +
                                         " holds dates: give an RFC 3339 date-time or date, not " + named(text));
    }
    return refuse(parameter, "unsupported field type");
}

// A value of `search_after` for sort key `key`: what the index puts in `Hit::sort_values` for it.
bool fits_sort_key(const value& v, const SortKey& key, const CollectionFields& fields) {
    if (v.is_null()) return true;  // a missing value, sorted last
    if (key.field == "_score") return v.is_number();
    const Field* f = fields.find(key.field);
    if (f == nullptr) return false;
    switch (f->type) {
        case FieldType::string:
            return v.is_string();
        case FieldType::integer:
            return v.is_int64() || v.is_uint64() || (v.is_double() && v.get_double() == std::floor(v.get_double()));
        case FieldType::number:
            return v.is_number();
        case FieldType::boolean:
            return v.is_bool();
        case FieldType::date:
            return v.is_number();  // milliseconds since the epoch
    }
    return false;
}

enum class Op { eq, ne, gt, gte, lt, lte, in, prefix, exists, match };

std::optional<Op> op_of(std::string_view name) {
    static const std::map<std::string_view, Op> ops{
        {"eq", Op::eq},   {"ne", Op::ne}, {"gt", Op::gt},         {"gte", Op::gte},       {"lt", Op::lt},
        {"lte", Op::lte}, {"in", Op::in}, {"prefix", Op::prefix}, {"exists", Op::exists}, {"match", Op::match}};
    auto it = ops.find(name);
    if (it == ops.end()) return std::nullopt;
    return it->second;
}

class Builder {
public:
    Builder(const CollectionFields& fields, const QueryStringOptions& options)
        : fields_(fields), limit_(options.default_limit), max_limit_(options.max_limit) {}

    Result<void> add(const Param& p) {
        if (is_reserved(p.key)) {
            if (!seen_.insert(p.key).second) return refuse(p.key, "given twice");
            if (p.key == "q") return text(p, Query{MultiMatch{{}, p.value, Operator::or_}});
            if (p.key == "sort") return sort(p);
            if (p.key == "limit") return limit(p);
            if (p.key == "offset") return offset(p);
            if (p.key == "after") return after(p);
            if (p.key == "track_total_hits") return track_total_hits(p);
            // cursor: refused before any parameter is added
        }
        return filter(p);
    }

    Result<SearchRequest> finish(std::string_view collection) {
        SearchRequest request;
        request.collections = {std::string(collection)};
        for (auto& [field, range] : ranges_) filter_.push_back(Query{std::move(range)});
        for (auto* list : {&must_, &filter_, &must_not_}) {
            std::sort(list->begin(), list->end(),
                      [](const Query& a, const Query& b) { return serialize(to_json(a)) < serialize(to_json(b)); });
        }
        const std::size_t conditions = must_.size() + filter_.size() + must_not_.size();
        if (conditions == 1 && must_not_.empty()) {
            request.query = std::move(must_.empty() ? filter_.front() : must_.front());
        } else if (conditions > 0) {
            request.query = Query{Bool{std::move(must_), std::move(filter_), {}, std::move(must_not_), std::nullopt}};
        }
        request.sort = std::move(sort_);
        // The effective sort is spelled out (parse_search_request's rule), so `after` tokens agree with it.
        if (!sorted_ && is_scoring(request.query)) request.sort.push_back(SortKey{"_score", true});
        request.size = limit_;
        request.from = offset_;
        request.track_total_hits = track_total_hits_;
        if (offset_ > kMaxResultWindow - limit_) {
            return refuse("offset", "offset + limit is at most " + std::to_string(kMaxResultWindow) +
                                        "; page further with after=<the next token of the last page>");
        }
        if (!after_.empty()) {
            if (offset_ != 0) return refuse("offset", "offset must be 0 with after");
            if (after_.size() != request.sort.size() + 2) {
                return refuse("after", "this token is for another sort: it holds " + std::to_string(after_.size() - 2) +
                                           " sort values, the sort has " + std::to_string(request.sort.size()) +
                                           " keys");
            }
            for (std::size_t i = 0; i < request.sort.size(); ++i) {
                if (!fits_sort_key(after_[i], request.sort[i], fields_)) {
                    return refuse("after", "this token is for another sort: its value " + std::to_string(i + 1) +
                                               " does not fit sort key " + named(request.sort[i].field));
                }
            }
            request.search_after = std::move(after_);
        }
        return request;
    }

private:
    Result<void> text(const Param& p, Query clause) {
        if (words_of(p.value, 1).empty()) return refuse(p.key, "needs at least one word");
        must_.push_back(std::move(clause));
        return {};
    }

    Result<void> sort(const Param& p) {
        sorted_ = true;
        std::string_view rest = p.value;
        if (rest.empty()) return refuse(p.key, "needs one or more comma-separated fields");
        for (;;) {
            const std::size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            SortKey key;
            if (!item.empty() && item.front() == '-') {
                key.descending = true;
                item.remove_prefix(1);
            }
            if (item.empty()) return refuse(p.key, "a sort key is a field name, '-' before it for descending order");
            key.field = item;
            if (item == "_score") {
                key.descending = true;  // relevance sorts best first, as Elasticsearch's _score does
            } else {
                const Field* f = fields_.find(item);
                if (f == nullptr) return refuse(p.key, "unknown field " + named(item) + " in " + fields_.collection);
                if (f->multi)
                    return refuse(p.key, "cannot sort on " + named(item) + ": it holds several values per document");
            }
            if (sort_.size() == kMaxSortKeys)
                return refuse(p.key, "at most " + std::to_string(kMaxSortKeys) + " sort keys");
            sort_.push_back(std::move(key));
            if (comma == std::string_view::npos) return {};
            rest.remove_prefix(comma + 1);
        }
    }

    Result<void> limit(const Param& p) {
        auto n = parse_count(p.value);
        if (!n || *n < 1 || *n > max_limit_) return refuse(p.key, "limit must be 1.." + std::to_string(max_limit_));
        limit_ = static_cast<std::size_t>(*n);
        return {};
    }

    Result<void> offset(const Param& p) {
        auto n = parse_count(p.value);
        if (!n) return refuse(p.key, "offset must be a non-negative integer");
        if (*n > kMaxResultWindow) {
            return refuse(p.key, "offset + limit is at most " + std::to_string(kMaxResultWindow) +
                                     "; page further with after=<the next token of the last page>");
        }
        offset_ = static_cast<std::size_t>(*n);
        return {};
    }

    Result<void> after(const Param& p) {
        auto values = decode_search_after(p.value);
        if (!values) return std::move(values).error();
        after_ = std::move(*values);
        return {};
    }

    Result<void> track_total_hits(const Param& p) {
        if (p.value == "true") {
            track_total_hits_ = UINT64_MAX;
        } else if (p.value == "false") {
            track_total_hits_ = 0;
        } else if (auto n = parse_count(p.value)) {
            track_total_hits_ = *n;
        } else {
            return refuse(p.key, "track_total_hits must be true, false or a non-negative integer");
        }
        return {};
    }

    Result<void> filter(const Param& p) {
        std::string_view path = p.key;
        Op op = Op::eq;
        if (const std::size_t open = p.key.find('['); open != std::string::npos) {
            if (p.key.back() != ']' || p.key.find_first_of("[]", open + 1) != p.key.size() - 1) {
                return refuse(p.key, "write a condition as <field>=<value> or <field>[<operator>]=<value>");
            }
            path = std::string_view(p.key).substr(0, open);
            const std::string_view name = std::string_view(p.key).substr(open + 1, p.key.size() - open - 2);
            auto parsed = op_of(name);
            if (!parsed) {
                return refuse(p.key, "unknown operator " + named(name) +
                                         " (eq, ne, gt, gte, lt, lte, in, prefix, exists, match)");
            }
            op = *parsed;
        }
        const Field* f = fields_.find(path);
        if (f == nullptr) {
            if (path == p.key) {
                return refuse(p.key, "neither a search parameter (" + std::string(kReservedList) + ") nor a field of " +
                                         fields_.collection);
            }
            return refuse(p.key, "unknown field " + named(path) + " in " + fields_.collection);
        }
        const std::string field(path);
        switch (op) {
            case Op::eq:
            case Op::ne: {
                auto v = typed_value(p.value, *f, p.key);
                if (!v) return std::move(v).error();
                (op == Op::eq ? filter_ : must_not_).push_back(Query{Term{field, std::move(*v)}});
                return {};
            }
            case Op::gt:
            case Op::gte:
            case Op::lt:
            case Op::lte: {
                if (f->type == FieldType::boolean)
                    return refuse(p.key, "range does not apply to true/false field " + named(path));
                auto v = typed_value(p.value, *f, p.key);
                if (!v) return std::move(v).error();
                Range& r = ranges_.try_emplace(field, Range{field, {}, {}, {}, {}}).first->second;
                std::optional<value>& bound = op == Op::gt ? r.gt : op == Op::gte ? r.gte : op == Op::lt ? r.lt : r.lte;
                if (bound) return refuse(p.key, "this bound of " + named(path) + " is given twice");
                bound = std::move(*v);
                return {};
            }
            case Op::in:
                return terms(p, *f);
            case Op::prefix:
                if (f->type != FieldType::string) return refuse(p.key, "prefix applies to string fields only");
                filter_.push_back(Query{Prefix{field, p.value}});
                return {};
            case Op::exists:
                if (p.value != "true" && p.value != "false") return refuse(p.key, "exists takes true or false");
                (p.value == "true" ? filter_ : must_not_).push_back(Query{Exists{field}});
                return {};
            case Op::match:
                if (f->type != FieldType::string)
                    return refuse(p.key, "field " + named(path) + " is not text (a string field)");
                return text(p, Query{Match{field, p.value, Operator::or_}});
        }
        return {};
    }

    // Split before decoding, so a comma written %2C belongs to its value.
    Result<void> terms(const Param& p, const Field& f) {
        if (p.raw_value.empty())
            return refuse(p.key, "in takes 1 to " + std::to_string(kMaxTerms) + " comma-separated values");
        Terms t{f.path, {}};
        std::string_view rest = p.raw_value;
        for (;;) {
            const std::size_t comma = rest.find(',');
            if (t.values.size() == kMaxTerms)
                return refuse(p.key, "in takes at most " + std::to_string(kMaxTerms) + " values");
            auto piece = decode(rest.substr(0, comma));
            TESSERA_ASSERT(piece.has_value());  // the whole value decoded, and a '%' escape holds no ','
            auto v = typed_value(*piece, f, p.key);
            if (!v) return std::move(v).error();
            t.values.push_back(std::move(*v));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        filter_.push_back(Query{std::move(t)});
        return {};
    }

    const CollectionFields& fields_;
    std::size_t limit_;
    std::size_t max_limit_;
    std::size_t offset_ = 0;
    std::uint64_t track_total_hits_ = kDefaultTrackTotalHits;
    bool sorted_ = false;
    std::vector<SortKey> sort_;
    std::vector<value> after_;
    std::vector<Query> must_, filter_, must_not_;
    std::map<std::string, Range> ranges_;  // one range per field, whatever bounds the parameters give
    std::set<std::string> seen_;
};

}  // namespace

Result<std::optional<SearchRequest>> parse_query_string(std::string_view query,
                                                        const Catalog& catalog,
                                                        std::string_view collection,
                                                        const QueryStringOptions& options) {
    TESSERA_ASSERT(options.default_limit >= 1 && options.default_limit <= options.max_limit &&
                   options.max_limit <= kMaxSize);
    auto params = split(query);
    if (!params) return std::move(params).error();
    const Param* first_search = nullptr;
    const Param* cursor = nullptr;
    for (const auto& p : *params) {
        if (p.key == "cursor") {
            cursor = cursor ? cursor : &p;
        } else if (p.key != "limit" && first_search == nullptr) {
            first_search = &p;
        }
    }
    if (first_search == nullptr) return std::optional<SearchRequest>{};  // today's cursor paging
    if (cursor != nullptr) {
        return refuse(cursor->key, "cursor pages the plain list; a search (here " + named(first_search->key) +
                                       ") pages with offset or after");
    }
    const CollectionFields* fields = catalog.find(collection);
    if (fields == nullptr) return refuse(first_search->key, "collection " + named(collection) + " is not searchable");
    Builder builder(*fields, options);
    for (const auto& p : *params) {
        if (auto added = builder.add(p); !added) return std::move(added).error();
    }
    auto request = builder.finish(collection);
    if (!request) return std::move(request).error();
    return std::optional<SearchRequest>(std::move(*request));
}

std::string encode_search_after(const std::vector<value>& sort_values) {
    return common::base64url_encode(boost::json::serialize(array(sort_values.begin(), sort_values.end())));
}

Result<std::vector<value>> decode_search_after(std::string_view token) {
    const auto bad = [] { return refuse("after", "not a next token of this search"); };
    if (token.size() > kMaxAfterTokenBytes)
        return refuse("after", "a token is at most " + std::to_string(kMaxAfterTokenBytes) + " bytes");
    auto bytes = common::base64url_decode(token);
    if (!bytes) return bad();
    auto parsed = json::parse(*bytes, json::ParseLimits{kMaxAfterTokenBytes, 2});
    if (!parsed || !parsed->is_array()) return bad();
    const array& list = parsed->get_array();
    if (list.size() < 2 || list.size() > kMaxSortKeys + 2) return bad();
    for (const auto& v : list) {
        if (v.is_object() || v.is_array()) return bad();
    }
    if (!list[list.size() - 2].is_string() || !list.back().is_string()) return bad();
    return std::vector<value>(list.begin(), list.end());
}

}  // namespace tessera::search
