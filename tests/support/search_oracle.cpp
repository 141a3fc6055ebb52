#include "search_oracle.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cmath>
#include <variant>

namespace tessera::test {
namespace {

using boost::json::value;
using namespace tessera::search;

// A value as the index compares it: numbers as numbers (integers exact), strings byte-wise.
using Scalar = std::variant<std::monostate, std::int64_t, double, std::string>;

Scalar scalar(const value& v, FieldType type) {
    switch (type) {
        case FieldType::string: return v.is_string() ? Scalar(std::string(v.get_string())) : Scalar{};
        case FieldType::integer:
            if (v.is_int64()) return v.get_int64();
            if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
            if (v.is_double() && v.get_double() == std::floor(v.get_double())) return static_cast<std::int64_t>(v.get_double());
            return {};
        case FieldType::number: return v.is_number() ? Scalar(v.to_number<double>()) : Scalar{};
        case FieldType::boolean: return v.is_bool() ? Scalar(std::int64_t{v.get_bool() ? 1 : 0}) : Scalar{};
        case FieldType::date:
            if (v.is_string()) {
                if (auto ms = date_millis(v.get_string())) return *ms;
            }
            return {};
    }
    return {};
}

bool is_null(const Scalar& s) { return std::holds_alternative<std::monostate>(s); }

// -1, 0, 1 (both non-null, of one kind: numbers or strings).
int compare(const Scalar& a, const Scalar& b) {
    if (const auto* sa = std::get_if<std::string>(&a)) {
        const auto& sb = std::get<std::string>(b);
        return *sa < sb ? -1 : *sa > sb ? 1 : 0;
    }
    auto number = [](const Scalar& s) {
        if (const auto* i = std::get_if<std::int64_t>(&s)) return static_cast<long double>(*i);
        return static_cast<long double>(std::get<double>(s));
    };
    const long double x = number(a), y = number(b);
    return x < y ? -1 : x > y ? 1 : 0;
}

void collect(const value& node, std::string_view path, std::vector<const value*>& out) {
    if (node.is_array()) {
        for (const auto& e : node.get_array()) collect(e, path, out);
        return;
    }
    if (path.empty()) {
        out.push_back(&node);
        return;
    }
    if (!node.is_object()) return;
    const auto dot = path.find('.');
    const std::string_view head = path.substr(0, dot);
    const std::string_view rest = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (const value* child = node.get_object().if_contains(head)) collect(*child, rest, out);
}

std::vector<Scalar> values_of(const value& body, const Field& field) {
    std::vector<const value*> found;
    collect(body, field.path, found);
    std::vector<Scalar> out;
    for (const value* v : found) {
        Scalar s = scalar(*v, field.type);
        if (!is_null(s)) out.push_back(std::move(s));
    }
    return out;
}

// The words of a string field (all its values, in order).
std::vector<std::string> tokens_of(const value& body, const Field& field) {
    std::vector<std::string> tokens;
    for (const auto& s : values_of(body, field)) {
        for (auto& w : words_of(std::get<std::string>(s), SIZE_MAX)) tokens.push_back(std::move(w));
    }
    return tokens;
}

std::size_t occurrences(const std::vector<std::string>& tokens, const std::vector<std::string>& phrase) {
    if (phrase.empty() || tokens.size() < phrase.size()) return 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i + phrase.size() <= tokens.size(); ++i) {
        if (std::equal(phrase.begin(), phrase.end(), tokens.begin() + static_cast<std::ptrdiff_t>(i))) ++n;
    }
    return n;
}

std::vector<std::pair<std::string, std::string>> links_of(const value& node) {
    std::vector<std::pair<std::string, std::string>> out;
    if (node.is_array()) {
        for (const auto& e : node.get_array()) {
            auto more = links_of(e);
            out.insert(out.end(), more.begin(), more.end());
        }
    } else if (node.is_object()) {
        const auto& o = node.get_object();
        if (o.size() == 1 && o.contains("$entity") && o.at("$entity").is_string()) {
            const std::string_view target = o.at("$entity").get_string();
            const auto slash = target.find('/');
            if (slash != std::string_view::npos) out.emplace_back(target.substr(0, slash), target.substr(slash + 1));
            return out;
        }
        for (const auto& [k, v] : o) {
            auto more = links_of(v);
            out.insert(out.end(), more.begin(), more.end());
        }
    }
    return out;
}

// The text clause's phrases and the fields it searches in `c` (none: it cannot match there).
struct TextClause {
    std::vector<std::vector<std::string>> phrases;
    std::vector<const Field*> fields;
    bool all = false;  // operator and
};

std::optional<TextClause> text_clause(const Query& q, const CollectionFields& c) {
    TextClause t;
    auto string_field = [&](const std::string& path) -> const Field* {
        const Field* f = c.find(path);
        return f != nullptr && f->type == FieldType::string ? f : nullptr;
    };
    if (const auto* m = std::get_if<Match>(&q.node)) {
        if (const Field* f = string_field(m->field)) t.fields.push_back(f);
        for (auto& w : query_words(m->text)) t.phrases.push_back({w});
        t.all = m->op == Operator::and_;
    } else if (const auto* m = std::get_if<MatchPhrase>(&q.node)) {
        if (const Field* f = string_field(m->field)) t.fields.push_back(f);
        auto words = words_of(m->text);
        if (!words.empty()) t.phrases.push_back(std::move(words));
    } else if (const auto* m = std::get_if<MultiMatch>(&q.node)) {
        if (m->fields.empty()) {
            for (const auto& f : c.fields) {
                if (f.type == FieldType::string) t.fields.push_back(&f);
            }
        } else {
            for (const auto& name : m->fields) {
                if (const Field* f = string_field(name)) t.fields.push_back(f);
            }
        }
        for (auto& w : query_words(m->text)) t.phrases.push_back({w});
        t.all = m->op == Operator::and_;
    } else {
        return std::nullopt;
    }
    if (t.fields.empty() || t.phrases.empty()) return std::nullopt;
    return t;
}

std::size_t phrase_count(const TextClause& t, std::size_t phrase, const value& body) {
    std::size_t n = 0;
    for (const Field* f : t.fields) n += occurrences(tokens_of(body, *f), t.phrases[phrase]);
    return n;
}

bool text_matches(const TextClause& t, const value& body) {
    bool any = false, all = true;
    for (std::size_t i = 0; i < t.phrases.size(); ++i) {
        const bool hit = phrase_count(t, i, body) > 0;
        any = any || hit;
        all = all && hit;
    }
    return t.all ? all : any;
}

bool is_text(const Query& q) {
    return std::holds_alternative<Match>(q.node) || std::holds_alternative<MatchPhrase>(q.node) ||
           std::holds_alternative<MultiMatch>(q.node);
}

// Scoring leaves in the order the index sums them: must before should at each level.
void scoring_leaves(const Query& q, std::vector<const Query*>& out) {
    if (const auto* b = std::get_if<Bool>(&q.node)) {
        for (const auto& c : b->must) scoring_leaves(c, out);
        for (const auto& c : b->should) scoring_leaves(c, out);
    } else if (is_text(q)) {
        out.push_back(&q);
    }
}

}  // namespace

struct SearchOracle::Scored {
    std::string collection;
    std::string id;
    std::size_t collection_index = 0;
    std::uint64_t version = 0;
    double score = 0;
    std::vector<Scalar> keys;
};

SearchOracle::SearchOracle(Catalog catalog) : catalog_(std::move(catalog)) {}

const std::multimap<std::string, std::pair<std::string, std::string>>& SearchOracle::parents() const {
    if (parents_) return *parents_;
    parents_.emplace();
    for (const auto& [collection, rows] : entries_) {
        for (const auto& [id, e] : rows) {
            if (!e.live) continue;
            for (const auto& [lc, lid] : links_of(e.body)) parents_->emplace(lc + "/" + lid, std::make_pair(collection, id));
        }
    }
    return *parents_;
}

void SearchOracle::apply(const IndexOp& op) {
    parents_.reset();
    Entry& e = entries_[op.collection][op.id];
    if (e.version >= op.version) return;
    e.version = op.version;
    e.live = op.kind == IndexOp::Kind::upsert;
    e.body = e.live ? boost::json::parse(op.body) : value();
}

bool SearchOracle::matches(const Query& q, const std::string& collection, const std::string& id, const Entry& e) const {
    const CollectionFields* c = catalog_.find(collection);
    if (c == nullptr || !e.live) return false;
    if (is_text(q)) {
        auto t = text_clause(q, *c);
        return t && text_matches(*t, e.body);
    }
    if (std::holds_alternative<MatchAll>(q.node)) return true;
    if (const auto* ids = std::get_if<Ids>(&q.node)) {
        return std::find(ids->values.begin(), ids->values.end(), id) != ids->values.end();
    }
    if (const auto* b = std::get_if<Bool>(&q.node)) {
        for (const auto& x : b->must) {
            if (!matches(x, collection, id, e)) return false;
        }
        for (const auto& x : b->filter) {
            if (!matches(x, collection, id, e)) return false;
        }
        for (const auto& x : b->must_not) {
            if (matches(x, collection, id, e)) return false;
        }
        const std::uint32_t minimum =
            b->minimum_should_match.value_or(!b->should.empty() && b->must.empty() && b->filter.empty() ? 1u : 0u);
        std::uint32_t hits = 0;
        for (const auto& x : b->should) hits += matches(x, collection, id, e) ? 1 : 0;
        return hits >= minimum;
    }
    if (const auto* h = std::get_if<HasChild>(&q.node)) {
        auto children = entries_.find(h->type);
        if (children == entries_.end()) return false;
        for (const auto& [child_collection, child_id] : links_of(e.body)) {
            if (child_collection != h->type) continue;
            auto child = children->second.find(child_id);
            if (child != children->second.end() && matches(*h->query, h->type, child_id, child->second)) return true;
        }
        return false;
    }
    if (const auto* h = std::get_if<HasParent>(&q.node)) {
        auto parent_rows = entries_.find(h->parent_type);
        if (parent_rows == entries_.end()) return false;
        auto [begin, end] = parents().equal_range(collection + "/" + id);
        for (auto it = begin; it != end; ++it) {
            if (it->second.first != h->parent_type) continue;
            const Entry& parent = parent_rows->second.at(it->second.second);
            if (matches(*h->query, h->parent_type, it->second.second, parent)) return true;
        }
        return false;
    }
    // Field conditions: a multi-valued field matches if any value does.
    auto field_of = [&](const std::string& path) { return c->find(path); };
    if (const auto* t = std::get_if<Term>(&q.node)) {
        const Field* f = field_of(t->field);
        if (f == nullptr) return false;
        const Scalar want = scalar(t->value, f->type);
        for (const auto& v : values_of(e.body, *f)) {
            if (!is_null(want) && compare(v, want) == 0) return true;
        }
        return false;
    }
    if (const auto* t = std::get_if<Terms>(&q.node)) {
        const Field* f = field_of(t->field);
        if (f == nullptr) return false;
        for (const auto& v : values_of(e.body, *f)) {
            for (const auto& w : t->values) {
                const Scalar want = scalar(w, f->type);
                if (!is_null(want) && compare(v, want) == 0) return true;
            }
        }
        return false;
    }
    if (const auto* r = std::get_if<Range>(&q.node)) {
        const Field* f = field_of(r->field);
        if (f == nullptr) return false;
        for (const auto& v : values_of(e.body, *f)) {
            auto holds = [&](const std::optional<value>& bound, auto ok) {
                if (!bound) return true;
                const Scalar b = scalar(*bound, f->type);
                return !is_null(b) && ok(compare(v, b));
            };
            if (holds(r->gt, [](int c) { return c > 0; }) && holds(r->gte, [](int c) { return c >= 0; }) &&
                holds(r->lt, [](int c) { return c < 0; }) && holds(r->lte, [](int c) { return c <= 0; })) {
                return true;
            }
        }
        return false;
    }
    if (const auto* x = std::get_if<Exists>(&q.node)) {
        const Field* f = field_of(x->field);
        return f != nullptr && !values_of(e.body, *f).empty();
    }
    if (const auto* p = std::get_if<Prefix>(&q.node)) {
        const Field* f = field_of(p->field);
        if (f == nullptr) return false;
        for (const auto& v : values_of(e.body, *f)) {
            if (std::get<std::string>(v).starts_with(p->value)) return true;
        }
        return false;
    }
    return false;
}

// The row's tokens in all its text columns.
static double row_tokens(const CollectionFields& c, const value& body) {
    double n = 0;
    for (const auto& f : c.fields) {
        if (f.type == FieldType::string) n += static_cast<double>(tokens_of(body, f).size());
    }
    return n;
}

const SearchOracle::LeafStats& SearchOracle::stats(const Query& leaf, const std::string& collection) const {
    auto key = std::make_pair(&leaf, collection);
    if (auto it = stats_.find(key); it != stats_.end()) return it->second;
    const CollectionFields* c = catalog_.find(collection);
    auto t = text_clause(leaf, *c);
    LeafStats s;
    const auto& rows = entries_.at(collection);
    double n_rows = 0, total_tokens = 0;
    for (const auto& [id, row] : rows) {
        if (!row.live) continue;
        n_rows += 1;
        total_tokens += row_tokens(*c, row.body);
    }
    s.avgdl = total_tokens / n_rows;
    for (std::size_t i = 0; t && i < t->phrases.size(); ++i) {
        double hits = 0;
        for (const auto& [id, row] : rows) {
            if (row.live && phrase_count(*t, i, row.body) > 0) hits += 1;
        }
        double idf = std::log((n_rows - hits + 0.5) / (hits + 0.5));
        if (idf <= 0.0) idf = 1e-6;
        s.idf.push_back(idf);
    }
    return stats_.emplace(key, std::move(s)).first->second;
}

double SearchOracle::bm25(const Query& leaf, const std::string& collection, const Entry& e) const {
    const CollectionFields* c = catalog_.find(collection);
    auto t = text_clause(leaf, *c);
    if (!t || !text_matches(*t, e.body)) return 0;
    // SQLite FTS5's bm25(): N rows, avgdl over all text columns, IDF floored at 1e-6, D = the row's
    // tokens in all columns; the index negates it back.
    const LeafStats& s = stats(leaf, collection);
    const double k1 = 1.2, b = 0.75;
    const double d = row_tokens(*c, e.body);
    double score = 0.0;
    for (std::size_t i = 0; i < t->phrases.size(); ++i) {
        const double freq = static_cast<double>(phrase_count(*t, i, e.body));
        score += s.idf[i] * ((freq * (k1 + 1.0)) / (freq + k1 * (1 - b + b * d / s.avgdl)));
    }
    return -(-1.0 * score);
}

double SearchOracle::score(const Query& q, const std::string& collection, const std::string&, const Entry& e) const {
    std::vector<const Query*> leaves;
    scoring_leaves(q, leaves);
    const CollectionFields* c = catalog_.find(collection);
    double total = 0;
    bool first = true;
    for (const Query* leaf : leaves) {
        if (!text_clause(*leaf, *c)) continue;  // the index has no clause for it here
        const double s = bm25(*leaf, collection, e);
        total = first ? s : total + s;
        first = false;
    }
    return total;
}

search::SearchResult SearchOracle::search(const SearchRequest& request) const {
    stats_.clear();
    std::vector<Scored> matched;
    for (std::size_t ci = 0; ci < catalog_.collections().size(); ++ci) {
        const auto& c = catalog_.collections()[ci];
        if (std::find(request.collections.begin(), request.collections.end(), c.collection) == request.collections.end()) {
            continue;
        }
        auto rows = entries_.find(c.collection);
        if (rows == entries_.end()) continue;
        for (const auto& [id, e] : rows->second) {
            if (!matches(request.query, c.collection, id, e)) continue;
            Scored s{c.collection, id, ci, e.version, score(request.query, c.collection, id, e), {}};
            for (const auto& key : request.sort) {
                if (key.field == "_score") {
                    s.keys.emplace_back(s.score);
                    continue;
                }
                const Field* f = c.find(key.field);
                auto values = f == nullptr ? std::vector<Scalar>{} : values_of(e.body, *f);
                s.keys.push_back(values.empty() ? Scalar{} : values.front());
            }
            matched.push_back(std::move(s));
        }
    }
    // -1 if a sorts before b.
    auto order = [&](const Scored& a, const Scored& b) {
        for (std::size_t k = 0; k < request.sort.size(); ++k) {
            const bool an = is_null(a.keys[k]), bn = is_null(b.keys[k]);
            if (an != bn) return an ? 1 : -1;  // missing values last, both directions
            if (an) continue;
            int c = compare(a.keys[k], b.keys[k]);
            if (request.sort[k].descending) c = -c;
            if (c != 0) return c;
        }
        if (a.collection_index != b.collection_index) return a.collection_index < b.collection_index ? -1 : 1;
        return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    };
    std::sort(matched.begin(), matched.end(), [&](const Scored& a, const Scored& b) { return order(a, b) < 0; });

    SearchResult result;
    result.total = std::min<std::uint64_t>(matched.size(), request.track_total_hits);
    result.total_exact = matched.size() <= request.track_total_hits;
    if (request.track_total_hits == 0) {
        result.total = 0;
        result.total_exact = false;
    }
    std::size_t start = request.from;
    if (!request.search_after.empty()) {
        Scored after;
        for (std::size_t k = 0; k < request.sort.size(); ++k) {
            const value& v = request.search_after[k];
            if (v.is_null()) {
                after.keys.emplace_back();
            } else if (request.sort[k].field == "_score") {
                after.keys.emplace_back(v.to_number<double>());
            } else {
                FieldType type = FieldType::string;
                for (const auto& name : request.collections) {
                    if (const auto* cf = catalog_.find(name); cf && cf->find(request.sort[k].field)) {
                        type = cf->find(request.sort[k].field)->type;
                    }
                }
                after.keys.push_back(type == FieldType::date && v.is_number() ? Scalar(static_cast<std::int64_t>(v.to_number<double>()))
                                                                            : scalar(v, type));
            }
        }
        const std::string after_collection(request.search_after[request.sort.size()].get_string());
        for (std::size_t ci = 0; ci < catalog_.collections().size(); ++ci) {
            if (catalog_.collections()[ci].collection == after_collection) after.collection_index = ci;
        }
        after.id = std::string(request.search_after[request.sort.size() + 1].get_string());
        start = 0;
        while (start < matched.size() && order(matched[start], after) <= 0) ++start;
    }
    for (std::size_t i = start; i < matched.size() && result.hits.size() < request.size; ++i) {
        const Scored& s = matched[i];
        Hit hit{s.collection, s.id, s.version, s.score, {}};
        result.hits.push_back(std::move(hit));
    }
    for (const auto& agg : request.aggregations) {
        std::vector<std::pair<Scalar, std::uint64_t>> counts;
        FieldType type = FieldType::string;
        for (const auto& s : matched) {
            const CollectionFields* c = catalog_.find(s.collection);
            const Field* f = c->find(agg.field);
            if (f == nullptr) continue;
            type = f->type;
            auto values = values_of(entries_.at(s.collection).at(s.id).body, *f);
            std::vector<Scalar> distinct;
            for (auto& v : values) {
                if (std::none_of(distinct.begin(), distinct.end(), [&](const Scalar& d) { return compare(d, v) == 0; })) {
                    distinct.push_back(v);
                }
            }
            for (auto& v : distinct) {
                auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& p) { return compare(p.first, v) == 0; });
                if (it == counts.end()) {
                    counts.emplace_back(v, 1);
                } else {
                    ++it->second;
                }
            }
        }
        std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
            if (a.second != b.second) return a.second > b.second;
            return compare(a.first, b.first) < 0;
        });
        std::vector<Bucket> buckets;
        for (std::size_t i = 0; i < counts.size() && i < agg.size; ++i) {
            value key;
            const Scalar& k = counts[i].first;
            if (const auto* s = std::get_if<std::string>(&k)) key = value(*s);
            else if (const auto* n = std::get_if<std::int64_t>(&k)) key = type == FieldType::boolean ? value(*n != 0) : value(*n);
            else key = value(std::get<double>(k));
            buckets.push_back(Bucket{std::move(key), counts[i].second});
        }
        result.aggregations.emplace_back(agg.name, std::move(buckets));
    }
    return result;
}

}  // namespace tessera::test
