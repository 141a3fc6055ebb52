// Parses the Elasticsearch DSL subset of query.hpp into the AST, checking every member against the
// catalog. Every refusal names the JSON Pointer of what it refuses.
#include <tessera/search/query.hpp>

#include <tessera/json/pointer.hpp>
#include <tessera/json/text.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cmath>
#include <set>

namespace tessera::search {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

Error refuse(const std::string& pointer, std::string message) {
    boost::json::object details{{"pointer", pointer}};
    details["errors"] = boost::json::array{boost::json::object{{"pointer", pointer}, {"message", message}}};
    return Error(ErrorCode::malformed, message + (pointer.empty() ? "" : " (at " + pointer + ")"), std::move(details));
}

std::string at(const std::string& base, std::string_view key) { return json::append_token(base, key); }
std::string at(const std::string& base, std::size_t index) { return json::append_index(base, index); }

std::string named(std::string_view s) { return "'" + json::excerpt(s, 64) + "'"; }

// The integer in `v`, if it holds one (an integral double too).
std::optional<std::int64_t> as_integer(const value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_double()) {
        const double d = v.get_double();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::optional<std::size_t> as_count(const value& v) {
    auto n = as_integer(v);
    if (!n || *n < 0) return std::nullopt;
    return static_cast<std::size_t>(*n);
}

// The one member of a `{"name": ...}` object.
Result<std::pair<std::string_view, const value*>> single_member(const value& v, const std::string& pointer,
                                                                std::string_view what) {
    if (!v.is_object()) return refuse(pointer, std::string(what) + " must be an object");
    const object& o = v.get_object();
    if (o.size() != 1) return refuse(pointer, std::string(what) + " must have exactly one member");
    const auto& [key, member] = *o.begin();
    return std::pair<std::string_view, const value*>{std::string_view(key), &member};
}

class Parser {
public:
    explicit Parser(const Catalog& catalog) : catalog_(catalog) {}

    // The collections a field lookup searches.
    using Scope = std::vector<std::string>;

    Result<Query> query(const value& v, const std::string& pointer, const Scope& scope, std::size_t depth) {
        if (depth > kMaxDepth) return refuse(pointer, "queries nest at most " + std::to_string(kMaxDepth) + " levels");
        if (++clauses_ > kMaxClauses) return refuse(pointer, "a query has at most " + std::to_string(kMaxClauses) + " clauses");
        auto member = single_member(v, pointer, "a query");
        if (!member) return std::move(member).error();
        const auto [kind, body] = *member;
        const std::string here = at(pointer, kind);
        if (kind == "match_all") {
            if (!body->is_object() || !body->get_object().empty()) return refuse(here, "match_all takes no parameters");
            return Query{MatchAll{}};
        }
        if (kind == "match") return match(*body, here, scope);
        if (kind == "match_phrase") return match_phrase(*body, here, scope);
        if (kind == "multi_match") return multi_match(*body, here, scope);
        if (kind == "term") return term(*body, here, scope);
        if (kind == "terms") return terms(*body, here, scope);
        if (kind == "range") return range(*body, here, scope);
        if (kind == "exists") return exists(*body, here, scope);
        if (kind == "prefix") return prefix(*body, here, scope);
        if (kind == "ids") return ids(*body, here);
        if (kind == "bool") return boolean(*body, here, scope, depth);
        if (kind == "has_child") return has_child(*body, here, scope, depth);
        if (kind == "has_parent") return has_parent(*body, here, scope, depth);
        return refuse(here, "unsupported query " + named(kind) +
                                " (supported: bool, match, multi_match, match_phrase, term, terms, range, exists, prefix, "
                                "ids, match_all, has_child, has_parent)");
    }

    // The field `path` in `scope`: it must exist in one of the collections, with one type throughout.
    Result<Field> field(std::string_view path, const std::string& pointer, const Scope& scope) {
        std::optional<Field> found;
        for (const auto& name : scope) {
            const CollectionFields* c = catalog_.find(name);
            const Field* f = c ? c->find(path) : nullptr;
            if (f == nullptr) continue;
            if (found && found->type != f->type) {
                return refuse(pointer, "field " + named(path) + " has different types in the searched collections");
            }
            if (!found) found = *f;
            else found->multi = found->multi || f->multi;
        }
        if (!found) return refuse(pointer, "unknown field " + named(path) + " in " + scope_name(scope));
        return *found;
    }

    // `v` as a value of `field`'s type (integers normalised).
    Result<value> typed_value(const value& v, const Field& f, const std::string& pointer) {
        switch (f.type) {
            case FieldType::string:
                if (!v.is_string()) return refuse(pointer, "field " + named(f.path) + " holds strings");
                if (v.get_string().size() > kMaxTextBytes) return refuse(pointer, "a value is at most 4096 bytes");
                return v;
            case FieldType::integer:
                if (auto n = as_integer(v)) return value(*n);
                return refuse(pointer, "field " + named(f.path) + " holds integers");
            case FieldType::number:
                if (v.is_number()) return value(v.to_number<double>());
                return refuse(pointer, "field " + named(f.path) + " holds numbers");
            case FieldType::boolean:
                if (v.is_bool()) return v;
                return refuse(pointer, "field " + named(f.path) + " holds true or false");
            case FieldType::date:
                if (v.is_string() && date_millis(v.get_string())) return v;
                return refuse(pointer, "field " + named(f.path) + " holds dates: give an RFC 3339 date-time or date");
        }
        return refuse(pointer, "unsupported field type");
    }

    const Catalog& catalog() const noexcept { return catalog_; }

private:
    static std::string scope_name(const Scope& scope) {
        std::string out;
        for (const auto& s : scope) out += (out.empty() ? "" : ", ") + s;
        return out.empty() ? "no collection" : out;
    }

    Result<std::string> text_of(const value& v, const std::string& pointer) {
        if (!v.is_string()) return refuse(pointer, "text must be a string");
        if (v.get_string().size() > kMaxTextBytes) return refuse(pointer, "text is at most 4096 bytes");
        return std::string(v.get_string());
    }

    Result<Operator> operator_of(const value& v, const std::string& pointer) {
        if (v.is_string()) {
            std::string op(v.get_string());
            std::transform(op.begin(), op.end(), op.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (op == "or") return Operator::or_;
            if (op == "and") return Operator::and_;
        }
        return refuse(pointer, "operator must be \"or\" or \"and\"");
    }

    Result<Field> text_field(std::string_view path, const std::string& pointer, const Scope& scope) {
        auto f = field(path, pointer, scope);
        if (!f) return f;
        if (f->type != FieldType::string) return refuse(pointer, "field " + named(path) + " is not text (a string field)");
        return f;
    }

    // {"f": "text"} or {"f": {"query": "text", <allowed...>}}: the field, its text and the options object.
    struct FieldText {
        std::string field;
        std::string text;
        const object* options = nullptr;
        std::string options_pointer;
    };
    Result<FieldText> field_text(const value& body, const std::string& pointer, const Scope& scope,
                                 std::initializer_list<std::string_view> allowed) {
        auto member = single_member(body, pointer, "this query");
        if (!member) return std::move(member).error();
        const auto [name, spec] = *member;
        const std::string here = at(pointer, name);
        auto f = text_field(name, here, scope);
        if (!f) return std::move(f).error();
        FieldText out{std::string(name), {}, nullptr, here};
        if (!spec->is_object()) {
            auto text = text_of(*spec, here);
            if (!text) return std::move(text).error();
            out.text = std::move(*text);
            return out;
        }
        const object& o = spec->get_object();
        for (const auto& [key, v] : o) {
            if (key != "query" && std::find(allowed.begin(), allowed.end(), std::string_view(key)) == allowed.end()) {
                return refuse(at(here, key), "unsupported parameter " + named(key));
            }
        }
        const value* q = o.if_contains("query");
        if (q == nullptr) return refuse(here, "missing \"query\"");
        auto text = text_of(*q, at(here, "query"));
        if (!text) return std::move(text).error();
        out.text = std::move(*text);
        out.options = &o;
        return out;
    }

    Result<Query> match(const value& body, const std::string& pointer, const Scope& scope) {
        auto ft = field_text(body, pointer, scope, {"operator"});
        if (!ft) return std::move(ft).error();
        Match m{ft->field, ft->text, Operator::or_};
        if (ft->options) {
            if (const value* op = ft->options->if_contains("operator")) {
                auto parsed = operator_of(*op, at(ft->options_pointer, "operator"));
                if (!parsed) return std::move(parsed).error();
                m.op = *parsed;
            }
        }
        return Query{std::move(m)};
    }

    Result<Query> match_phrase(const value& body, const std::string& pointer, const Scope& scope) {
        auto ft = field_text(body, pointer, scope, {});
        if (!ft) return std::move(ft).error();
        return Query{MatchPhrase{ft->field, ft->text}};
    }

    Result<Query> multi_match(const value& body, const std::string& pointer, const Scope& scope) {
        if (!body.is_object()) return refuse(pointer, "multi_match must be an object");
        MultiMatch m;
        bool has_query = false;
        for (const auto& [key, v] : body.get_object()) {
            const std::string here = at(pointer, key);
            if (key == "query") {
                auto text = text_of(v, here);
                if (!text) return std::move(text).error();
                m.text = std::move(*text);
                has_query = true;
            } else if (key == "operator") {
                auto op = operator_of(v, here);
                if (!op) return std::move(op).error();
                m.op = *op;
            } else if (key == "type") {
                if (!v.is_string() || v.get_string() != "cross_fields") {
                    return refuse(here, "multi_match supports type \"cross_fields\" only (the fields are searched as one)");
                }
            } else if (key == "fields") {
                if (!v.is_array()) return refuse(here, "fields must be an array of field names");
                std::set<std::string> seen;
                for (std::size_t i = 0; i < v.get_array().size(); ++i) {
                    const value& f = v.get_array()[i];
                    if (!f.is_string()) return refuse(at(here, i), "a field name must be a string");
                    auto checked = text_field(f.get_string(), at(here, i), scope);
                    if (!checked) return std::move(checked).error();
                    if (seen.insert(std::string(f.get_string())).second) m.fields.emplace_back(f.get_string());
                }
                if (m.fields.size() > kMaxSortKeys * 8) return refuse(here, "at most 64 fields");
            } else {
                return refuse(here, "unsupported parameter " + named(key));
            }
        }
        if (!has_query) return refuse(pointer, "missing \"query\"");
        return Query{std::move(m)};
    }

    // {"f": v} or {"f": {"value": v}}
    Result<Query> term(const value& body, const std::string& pointer, const Scope& scope) {
        auto member = single_member(body, pointer, "term");
        if (!member) return std::move(member).error();
        const auto [name, spec] = *member;
        std::string here = at(pointer, name);
        auto f = field(name, here, scope);
        if (!f) return std::move(f).error();
        const value* v = spec;
        if (spec->is_object()) {
            const object& o = spec->get_object();
            for (const auto& [key, x] : o) {
                if (key != "value") return refuse(at(here, key), "unsupported parameter " + named(key));
            }
            v = o.if_contains("value");
            if (v == nullptr) return refuse(here, "missing \"value\"");
            here = at(here, "value");
        }
        auto typed = typed_value(*v, *f, here);
        if (!typed) return std::move(typed).error();
        return Query{Term{std::string(name), std::move(*typed)}};
    }

    Result<Query> terms(const value& body, const std::string& pointer, const Scope& scope) {
        auto member = single_member(body, pointer, "terms");
        if (!member) return std::move(member).error();
        const auto [name, spec] = *member;
        const std::string here = at(pointer, name);
        auto f = field(name, here, scope);
        if (!f) return std::move(f).error();
        if (!spec->is_array() || spec->get_array().empty()) return refuse(here, "terms needs a non-empty array of values");
        if (spec->get_array().size() > kMaxTerms) return refuse(here, "terms takes at most 1024 values");
        Terms t{std::string(name), {}};
        for (std::size_t i = 0; i < spec->get_array().size(); ++i) {
            auto typed = typed_value(spec->get_array()[i], *f, at(here, i));
            if (!typed) return std::move(typed).error();
            t.values.push_back(std::move(*typed));
        }
        return Query{std::move(t)};
    }

    Result<Query> range(const value& body, const std::string& pointer, const Scope& scope) {
        auto member = single_member(body, pointer, "range");
        if (!member) return std::move(member).error();
        const auto [name, spec] = *member;
        const std::string here = at(pointer, name);
        auto f = field(name, here, scope);
        if (!f) return std::move(f).error();
        if (f->type == FieldType::boolean) return refuse(here, "range does not apply to true/false field " + named(name));
        if (!spec->is_object() || spec->get_object().empty()) return refuse(here, "range needs gt, gte, lt or lte");
        Range r{std::string(name), {}, {}, {}, {}};
        for (const auto& [key, v] : spec->get_object()) {
            const std::string bound = at(here, key);
            std::optional<value>* slot = key == "gt" ? &r.gt : key == "gte" ? &r.gte : key == "lt" ? &r.lt : key == "lte" ? &r.lte : nullptr;
            if (slot == nullptr) return refuse(bound, "unsupported range parameter " + named(key) + " (gt, gte, lt, lte)");
            auto typed = typed_value(v, *f, bound);
            if (!typed) return std::move(typed).error();
            *slot = std::move(*typed);
        }
        return Query{std::move(r)};
    }

    Result<Query> exists(const value& body, const std::string& pointer, const Scope& scope) {
        if (!body.is_object()) return refuse(pointer, "exists must be an object");
        for (const auto& [key, v] : body.get_object()) {
            if (key != "field") return refuse(at(pointer, key), "unsupported parameter " + named(key));
        }
        const value* name = body.get_object().if_contains("field");
        if (name == nullptr || !name->is_string()) return refuse(at(pointer, "field"), "exists needs a field name");
        auto f = field(name->get_string(), at(pointer, "field"), scope);
        if (!f) return std::move(f).error();
        return Query{Exists{std::string(name->get_string())}};
    }

    Result<Query> prefix(const value& body, const std::string& pointer, const Scope& scope) {
        auto member = single_member(body, pointer, "prefix");
        if (!member) return std::move(member).error();
        const auto [name, spec] = *member;
        std::string here = at(pointer, name);
        auto f = field(name, here, scope);
        if (!f) return std::move(f).error();
        if (f->type != FieldType::string) return refuse(here, "prefix applies to string fields only");
        const value* v = spec;
        if (spec->is_object()) {
            for (const auto& [key, x] : spec->get_object()) {
                if (key != "value") return refuse(at(here, key), "unsupported parameter " + named(key));
            }
            v = spec->get_object().if_contains("value");
            if (v == nullptr) return refuse(here, "missing \"value\"");
            here = at(here, "value");
        }
        auto typed = typed_value(*v, *f, here);
        if (!typed) return std::move(typed).error();
        return Query{Prefix{std::string(name), std::string(typed->get_string())}};
    }

    Result<Query> ids(const value& body, const std::string& pointer) {
        if (!body.is_object()) return refuse(pointer, "ids must be an object");
        for (const auto& [key, v] : body.get_object()) {
            if (key != "values") return refuse(at(pointer, key), "unsupported parameter " + named(key));
        }
        const value* values = body.get_object().if_contains("values");
        const std::string here = at(pointer, "values");
        if (values == nullptr || !values->is_array()) return refuse(here, "ids needs an array of ids");
        if (values->get_array().size() > kMaxTerms) return refuse(here, "ids takes at most 1024 ids");
        Ids out;
        for (std::size_t i = 0; i < values->get_array().size(); ++i) {
            const value& id = values->get_array()[i];
            if (!id.is_string() || id.get_string().size() > kMaxTextBytes) return refuse(at(here, i), "an id must be a string");
            out.values.emplace_back(id.get_string());
        }
        return Query{std::move(out)};
    }

    Result<Query> boolean(const value& body, const std::string& pointer, const Scope& scope, std::size_t depth) {
        if (!body.is_object()) return refuse(pointer, "bool must be an object");
        Bool b;
        for (const auto& [key, v] : body.get_object()) {
            const std::string here = at(pointer, key);
            std::vector<Query>* list = key == "must" ? &b.must : key == "filter" ? &b.filter : key == "should" ? &b.should
                                     : key == "must_not" ? &b.must_not : nullptr;
            if (list != nullptr) {
                // A clause list, or one clause (Elasticsearch takes both).
                if (v.is_array()) {
                    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
                        auto q = query(v.get_array()[i], at(here, i), scope, depth + 1);
                        if (!q) return q;
                        list->push_back(std::move(*q));
                    }
                } else {
                    auto q = query(v, here, scope, depth + 1);
                    if (!q) return q;
                    list->push_back(std::move(*q));
                }
            } else if (key == "minimum_should_match") {
                std::optional<std::int64_t> n = as_integer(v);
                if (!n && v.is_string()) {
                    // "2" as Elasticsearch also takes it; percentages are not in the subset.
                    const auto& s = v.get_string();
                    if (!s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                        n = std::stoll(std::string(s));
                    }
                }
                if (!n || *n < 0) return refuse(here, "minimum_should_match must be a non-negative integer");
                b.minimum_should_match = static_cast<std::uint32_t>(std::min<std::int64_t>(*n, 1u << 30));
            } else {
                return refuse(here, "unsupported bool parameter " + named(key) + " (must, filter, should, must_not, minimum_should_match)");
            }
        }
        return Query{std::move(b)};
    }

    // has_child / has_parent: {"type"|"parent_type": C, "query": {...}} (+ "score_mode": "none" / "score": false).
    Result<std::pair<std::string, Query>> join(const value& body, const std::string& pointer, std::string_view type_key,
                                               bool to_child, const Scope& scope, std::size_t depth) {
        if (!body.is_object()) return refuse(pointer, "this query must be an object");
        const object& o = body.get_object();
        for (const auto& [key, v] : o) {
            const std::string here = at(pointer, key);
            if (key == type_key || key == "query") continue;
            if (to_child && key == "score_mode" && v.is_string() && v.get_string() == "none") continue;
            if (!to_child && key == "score" && v.is_bool() && !v.get_bool()) continue;
            return refuse(here, "unsupported parameter " + named(key) + " (joins do not score here)");
        }
        const value* type = o.if_contains(type_key);
        const std::string type_pointer = at(pointer, type_key);
        if (type == nullptr || !type->is_string()) return refuse(type_pointer, "missing the collection name");
        const std::string name(type->get_string());
        bool related = false;
        for (const auto& s : scope) {
            const CollectionFields* c = catalog_.find(s);
            if (c && (to_child ? c->has_child(name) : c->has_parent(name))) related = true;
        }
        if (!related) {
            return refuse(type_pointer, named(name) + " is not a " + (to_child ? "child" : "parent") + " collection of " +
                                            scope_name(scope));
        }
        const value* q = o.if_contains("query");
        if (q == nullptr) return refuse(pointer, "missing \"query\"");
        auto inner = query(*q, at(pointer, "query"), Scope{name}, depth + 1);
        if (!inner) return std::move(inner).error();
        return std::pair<std::string, Query>{name, std::move(*inner)};
    }

    Result<Query> has_child(const value& body, const std::string& pointer, const Scope& scope, std::size_t depth) {
        auto j = join(body, pointer, "type", true, scope, depth);
        if (!j) return std::move(j).error();
        return Query{HasChild{std::move(j->first), std::make_shared<const Query>(std::move(j->second))}};
    }

    Result<Query> has_parent(const value& body, const std::string& pointer, const Scope& scope, std::size_t depth) {
        auto j = join(body, pointer, "parent_type", false, scope, depth);
        if (!j) return std::move(j).error();
        return Query{HasParent{std::move(j->first), std::make_shared<const Query>(std::move(j->second))}};
    }

    const Catalog& catalog_;
    std::size_t clauses_ = 0;
};

Result<std::vector<SortKey>> parse_sort(const value& v, const std::string& pointer, Parser& parser,
                                        const Parser::Scope& scope) {
    std::vector<SortKey> keys;
    const array single{v};
    const array& list = v.is_array() ? v.get_array() : single;
    if (list.size() > kMaxSortKeys) return refuse(pointer, "at most 8 sort keys");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string here = v.is_array() ? at(pointer, i) : pointer;
        const value& item = list[i];
        SortKey key;
        std::string item_pointer = here;
        if (item.is_string()) {
            key.field = item.get_string();
        } else {
            auto member = single_member(item, here, "a sort key");
            if (!member) return std::move(member).error();
            key.field = member->first;
            item_pointer = at(here, member->first);
            const value* order = member->second;
            if (order->is_object()) {
                for (const auto& [k, x] : order->get_object()) {
                    if (k != "order") return refuse(at(item_pointer, k), "unsupported sort parameter " + named(k));
                }
                order = order->get_object().if_contains("order");
                if (order == nullptr) return refuse(item_pointer, "missing \"order\"");
                item_pointer = at(item_pointer, "order");
            }
            if (!order->is_string() || (order->get_string() != "asc" && order->get_string() != "desc")) {
                return refuse(item_pointer, "order must be \"asc\" or \"desc\"");
            }
            key.descending = order->get_string() == "desc";
            if (key.field == "_score") {
                keys.push_back(std::move(key));
                continue;
            }
        }
        if (key.field == "_score") {
            key.descending = true;  // Elasticsearch's default for _score
        } else {
            auto f = parser.field(key.field, here, scope);
            if (!f) return std::move(f).error();
            if (f->multi) return refuse(here, "cannot sort on " + named(key.field) + ": it holds several values per document");
        }
        keys.push_back(std::move(key));
    }
    return keys;
}

Result<std::uint64_t> parse_track_total_hits(const value& v, const std::string& pointer) {
    if (v.is_bool()) return v.get_bool() ? UINT64_MAX : 0;
    if (auto n = as_integer(v); n && *n >= 0) return static_cast<std::uint64_t>(*n);
    return refuse(pointer, "track_total_hits must be true, false or a non-negative integer");
}

bool is_aggregation_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

Result<std::vector<TermsAggregation>> parse_aggregations(const value& v, const std::string& pointer, Parser& parser,
                                                         const Parser::Scope& scope) {
    if (!v.is_object()) return refuse(pointer, "aggs must be an object of named aggregations");
    if (v.get_object().size() > kMaxAggregations) return refuse(pointer, "at most 8 aggregations");
    std::vector<TermsAggregation> out;
    for (const auto& [name, spec] : v.get_object()) {
        const std::string here = at(pointer, name);
        if (!is_aggregation_name(name)) return refuse(here, "an aggregation name is 1-64 letters, digits, '_', '-' or '.'");
        auto member = single_member(spec, here, "an aggregation");
        if (!member) return std::move(member).error();
        if (member->first != "terms") return refuse(at(here, member->first), "only terms aggregations are supported");
        const std::string terms_pointer = at(here, "terms");
        if (!member->second->is_object()) return refuse(terms_pointer, "terms must be an object");
        TermsAggregation agg{std::string(name), {}, 10};
        for (const auto& [key, x] : member->second->get_object()) {
            const std::string p = at(terms_pointer, key);
            if (key == "field") {
                if (!x.is_string()) return refuse(p, "field must be a field name");
                auto f = parser.field(x.get_string(), p, scope);
                if (!f) return std::move(f).error();
                agg.field = x.get_string();
            } else if (key == "size") {
                auto n = as_count(x);
                if (!n || *n < 1 || *n > kMaxBuckets) return refuse(p, "size must be 1..1000");
                agg.size = *n;
            } else {
                return refuse(p, "unsupported parameter " + named(key) + " (field, size)");
            }
        }
        if (agg.field.empty()) return refuse(terms_pointer, "missing \"field\"");
        out.push_back(std::move(agg));
    }
    return out;
}

// search_after: one value per sort key, then collection and id.
Result<void> check_search_after(const SearchRequest& request, const std::string& pointer, Parser& parser) {
    const auto& after = request.search_after;
    if (after.size() != request.sort.size() + 2) {
        return refuse(pointer, "search_after takes " + std::to_string(request.sort.size() + 2) +
                                   " values: one per sort key, then the collection and the id (the \"next\" token gives them)");
    }
    for (std::size_t i = 0; i < request.sort.size(); ++i) {
        const std::string here = at(pointer, i);
        if (after[i].is_null()) continue;  // a missing value, sorted last
        if (request.sort[i].field == "_score") {
            if (!after[i].is_number()) return refuse(here, "a score is a number");
            continue;
        }
        auto f = parser.field(request.sort[i].field, here, request.collections);
        if (!f) return std::move(f).error();
        if (f->type == FieldType::date ? !after[i].is_number() : !parser.typed_value(after[i], *f, here)) {
            return refuse(here, "this value does not fit sort key " + named(request.sort[i].field));
        }
    }
    for (std::size_t i = request.sort.size(); i < after.size(); ++i) {
        if (!after[i].is_string()) return refuse(at(pointer, i), "the collection and the id are strings");
    }
    return {};
}

}  // namespace

Result<Query> parse_query(const value& query, const Catalog& catalog, std::string_view collection) {
    Parser parser(catalog);
    return parser.query(query, "", {std::string(collection)}, 0);
}

Result<SearchRequest> parse_search_request(const value& body, const Catalog& catalog, std::vector<std::string> collections) {
    if (!body.is_object()) return refuse("", "a search body must be a JSON object");
    const object& o = body.get_object();
    SearchRequest request;
    if (const value* listed = o.if_contains("collections")) {
        if (!collections.empty()) return refuse("/collections", "this endpoint searches its own collection");
        if (!listed->is_array() || listed->get_array().empty() || listed->get_array().size() > 64) {
            return refuse("/collections", "collections must be a non-empty array of collection names");
        }
        for (std::size_t i = 0; i < listed->get_array().size(); ++i) {
            const value& name = listed->get_array()[i];
            if (!name.is_string() || catalog.find(name.get_string()) == nullptr) {
                return refuse(json::append_index("/collections", i), "no such searchable collection");
            }
            if (std::find(collections.begin(), collections.end(), name.get_string()) == collections.end()) {
                collections.emplace_back(name.get_string());
            }
        }
    }
    if (collections.empty()) {
        for (const auto& c : catalog.collections()) collections.push_back(c.collection);
    }
    for (const auto& c : collections) {
        if (catalog.find(c) == nullptr) return refuse("", "collection " + named(c) + " is not searchable");
    }
    std::sort(collections.begin(), collections.end());
    request.collections = std::move(collections);

    Parser parser(catalog);
    bool sorted = false;
    const value* after = nullptr;
    for (const auto& [key, v] : o) {
        const std::string here = at("", key);
        if (key == "collections") continue;
        if (key == "query") {
            auto q = parser.query(v, here, request.collections, 0);
            if (!q) return std::move(q).error();
            request.query = std::move(*q);
        } else if (key == "sort") {
            auto s = parse_sort(v, here, parser, request.collections);
            if (!s) return std::move(s).error();
            request.sort = std::move(*s);
            sorted = true;
        } else if (key == "from") {
            auto n = as_count(v);
            if (!n) return refuse(here, "from must be a non-negative integer");
            request.from = *n;
        } else if (key == "size") {
            auto n = as_count(v);
            if (!n || *n > kMaxSize) return refuse(here, "size must be 0.." + std::to_string(kMaxSize));
            request.size = *n;
        } else if (key == "search_after") {
            if (!v.is_array()) return refuse(here, "search_after must be the array of sort values of the last hit");
            after = &v;
        } else if (key == "track_total_hits") {
            auto t = parse_track_total_hits(v, here);
            if (!t) return std::move(t).error();
            request.track_total_hits = *t;
        } else if (key == "aggs" || key == "aggregations") {
            auto aggs = parse_aggregations(v, here, parser, request.collections);
            if (!aggs) return std::move(aggs).error();
            request.aggregations = std::move(*aggs);
        } else {
            return refuse(here, "unsupported search parameter " + named(key) +
                                    " (query, sort, from, size, search_after, track_total_hits, aggs)");
        }
    }
    // The effective sort is spelled out, so backends and search_after agree on it.
    if (!sorted && is_scoring(request.query)) request.sort.push_back(SortKey{"_score", true});
    if (request.from + request.size > kMaxResultWindow) {
        return refuse("/from", "from + size is at most " + std::to_string(kMaxResultWindow) + "; page further with search_after");
    }
    if (after != nullptr) {
        if (request.from != 0) return refuse("/from", "from must be 0 with search_after");
        request.search_after.assign(after->get_array().begin(), after->get_array().end());
        if (auto checked = check_search_after(request, "/search_after", parser); !checked) return std::move(checked).error();
    }
    return request;
}

}  // namespace tessera::search
