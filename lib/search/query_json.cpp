// The normalised JSON form of the AST (Elasticsearch DSL, every default spelled out), and the
// comparisons the recursive nodes need.
#include <tessera/search/query.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace tessera::search {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

const char* operator_name(Operator op) { return op == Operator::and_ ? "and" : "or"; }

array clauses(const std::vector<Query>& list) {
    array out;
    for (const auto& q : list) out.push_back(to_json(q));
    return out;
}

struct ToJson {
    value operator()(const MatchAll&) const { return object{{"match_all", object{}}}; }
    value operator()(const Match& m) const {
        return object{{"match", object{{m.field, object{{"query", m.text}, {"operator", operator_name(m.op)}}}}}};
    }
    value operator()(const MultiMatch& m) const {
        array fields;
        for (const auto& f : m.fields) fields.push_back(value(f));
        return object{{"multi_match", object{{"query", m.text}, {"fields", std::move(fields)}, {"type", "cross_fields"},
                                             {"operator", operator_name(m.op)}}}};
    }
    value operator()(const MatchPhrase& m) const {
        return object{{"match_phrase", object{{m.field, object{{"query", m.text}}}}}};
    }
    value operator()(const Term& t) const { return object{{"term", object{{t.field, object{{"value", t.value}}}}}}; }
    value operator()(const Terms& t) const {
        return object{{"terms", object{{t.field, array(t.values.begin(), t.values.end())}}}};
    }
    value operator()(const Range& r) const {
        object bounds;
        if (r.gt) bounds["gt"] = *r.gt;
        if (r.gte) bounds["gte"] = *r.gte;
        if (r.lt) bounds["lt"] = *r.lt;
        if (r.lte) bounds["lte"] = *r.lte;
        return object{{"range", object{{r.field, std::move(bounds)}}}};
    }
    value operator()(const Exists& e) const { return object{{"exists", object{{"field", e.field}}}}; }
    value operator()(const Prefix& p) const { return object{{"prefix", object{{p.field, object{{"value", p.value}}}}}}; }
    value operator()(const Ids& i) const {
        array values;
        for (const auto& id : i.values) values.push_back(value(id));
        return object{{"ids", object{{"values", std::move(values)}}}};
    }
    value operator()(const Bool& b) const {
        object body{{"must", clauses(b.must)}, {"filter", clauses(b.filter)}, {"should", clauses(b.should)},
                    {"must_not", clauses(b.must_not)}};
        if (b.minimum_should_match) body["minimum_should_match"] = *b.minimum_should_match;
        return object{{"bool", std::move(body)}};
    }
    value operator()(const HasChild& h) const {
        return object{{"has_child", object{{"type", h.type}, {"query", to_json(*h.query)}}}};
    }
    value operator()(const HasParent& h) const {
        return object{{"has_parent", object{{"parent_type", h.parent_type}, {"query", to_json(*h.query)}}}};
    }
};

bool same(const std::shared_ptr<const Query>& a, const std::shared_ptr<const Query>& b) {
    if (a == b) return true;
    return a && b && *a == *b;
}

}  // namespace

bool operator==(const Bool& a, const Bool& b) {
    return a.must == b.must && a.filter == b.filter && a.should == b.should && a.must_not == b.must_not &&
           a.minimum_should_match == b.minimum_should_match;
}
bool operator==(const HasChild& a, const HasChild& b) { return a.type == b.type && same(a.query, b.query); }
bool operator==(const HasParent& a, const HasParent& b) {
    return a.parent_type == b.parent_type && same(a.query, b.query);
}

value to_json(const Query& query) { return std::visit(ToJson{}, query.node); }

value to_json(const SearchRequest& request) {
    array collections;
    for (const auto& c : request.collections) collections.push_back(value(c));
    array sort;
    for (const auto& key : request.sort) {
        sort.push_back(object{{key.field, object{{"order", key.descending ? "desc" : "asc"}}}});
    }
    object out{{"collections", std::move(collections)},
               {"query", to_json(request.query)},
               {"sort", std::move(sort)},
               {"from", request.from},
               {"size", request.size},
               {"track_total_hits", request.track_total_hits}};
    if (!request.search_after.empty()) {
        out["search_after"] = array(request.search_after.begin(), request.search_after.end());
    }
    if (!request.aggregations.empty()) {
        object aggs;
        for (const auto& a : request.aggregations) {
            aggs[a.name] = object{{"terms", object{{"field", a.field}, {"size", a.size}}}};
        }
        out["aggs"] = std::move(aggs);
    }
    return out;
}

bool is_scoring(const Query& query) noexcept {
    if (std::holds_alternative<Match>(query.node) || std::holds_alternative<MultiMatch>(query.node) ||
        std::holds_alternative<MatchPhrase>(query.node)) {
        return true;
    }
    if (const auto* b = std::get_if<Bool>(&query.node)) {
        for (const auto& q : b->must) {
            if (is_scoring(q)) return true;
        }
        for (const auto& q : b->should) {
            if (is_scoring(q)) return true;
        }
    }
    return false;
}

}  // namespace tessera::search
