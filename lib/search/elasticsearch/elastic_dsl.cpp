#include "search/elasticsearch/elastic_dsl.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace tessera::search::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

using Context = std::vector<std::string>;  // the collections whose documents a clause tests

const char* operator_name(Operator op) { return op == Operator::and_ ? "and" : "or"; }

// Our semantics (query.hpp): only text clauses score. ES scores term, range, match_all... too, so in
// a scoring position every other clause goes under a bool filter, which scores 0.
value non_scoring(value clause, bool scoring) {
    if (!scoring) return clause;
    return object{{"bool", object{{"filter", array{std::move(clause)}}}}};
}

value any_of(array clauses) {
    if (clauses.size() == 1) return std::move(clauses[0]);
    return object{{"bool", object{{"should", std::move(clauses)}, {"minimum_should_match", 1}}}};
}

class Translator {
public:
    explicit Translator(const ElasticLayout& layout) : layout_(layout) {}

    value query(const Query& q, const Context& context, bool scoring) {
        return std::visit([&](const auto& node) { return translate(node, context, scoring); }, q.node);
    }

    std::optional<Error> error;

private:
    // The keyword or typed field for exact values; the analysed subfield for words.
    std::string text_field(const std::string& path) const {
        return layout_.mapped_type(path) == FieldType::string ? path + "." + kTextSubfield : path;
    }

    value fail(Error e) {
        if (!error) error = std::move(e);
        return object{{"match_none", object{}}};
    }

    value translate(const MatchAll&, const Context&, bool scoring) {
        return non_scoring(object{{"match_all", object{}}}, scoring);
    }
    value translate(const Match& m, const Context&, bool) {
        return object{{"match", object{{text_field(m.field), object{{"query", m.text}, {"operator", operator_name(m.op)}}}}}};
    }
    value translate(const MultiMatch& m, const Context& context, bool) {
        array fields;
        for (const auto& f : m.fields.empty() ? layout_.string_fields(context) : m.fields) fields.push_back(value(text_field(f)));
        if (fields.empty()) return object{{"match_none", object{}}};
        // query.hpp: the fields act as one — ES's cross_fields (they share one analyzer, as it needs).
        return object{{"multi_match", object{{"query", m.text},
                                             {"type", "cross_fields"},
                                             {"fields", std::move(fields)},
                                             {"operator", operator_name(m.op)}}}};
    }
    value translate(const MatchPhrase& m, const Context&, bool) {
        return object{{"match_phrase", object{{text_field(m.field), object{{"query", m.text}}}}}};
    }
    value translate(const Term& t, const Context&, bool scoring) {
        return non_scoring(object{{"term", object{{t.field, object{{"value", t.value}}}}}}, scoring);
    }
    value translate(const Terms& t, const Context&, bool scoring) {
        return non_scoring(object{{"terms", object{{t.field, array(t.values.begin(), t.values.end())}}}}, scoring);
    }
    value translate(const Range& r, const Context&, bool scoring) {
        object bounds;
        if (r.gt) bounds["gt"] = *r.gt;
        if (r.gte) bounds["gte"] = *r.gte;
        if (r.lt) bounds["lt"] = *r.lt;
        if (r.lte) bounds["lte"] = *r.lte;
        return non_scoring(object{{"range", object{{r.field, std::move(bounds)}}}}, scoring);
    }
    value translate(const Exists& e, const Context&, bool scoring) {
        return non_scoring(object{{"exists", object{{"field", e.field}}}}, scoring);
    }
    value translate(const Prefix& p, const Context&, bool scoring) {
        return non_scoring(object{{"prefix", object{{p.field, object{{"value", p.value}}}}}}, scoring);
    }
    value translate(const Ids& ids, const Context&, bool scoring) {
        array values;
        for (const auto& id : ids.values) values.push_back(value(id));
        return non_scoring(object{{"terms", object{{kIdField, std::move(values)}}}}, scoring);
    }
    value translate(const Bool& b, const Context& context, bool scoring) {
        object out;
        auto list = [&](const char* name, const std::vector<Query>& clauses, bool scores) {
            if (clauses.empty()) return;
            array a;
            for (const auto& q : clauses) a.push_back(query(q, context, scores));
            out[name] = std::move(a);
        };
        list("must", b.must, scoring);
        list("filter", b.filter, false);
        list("should", b.should, scoring);
        list("must_not", b.must_not, false);
        if (b.minimum_should_match) out["minimum_should_match"] = *b.minimum_should_match;
        return object{{"bool", std::move(out)}};
    }
    value translate(const HasChild& h, const Context& context, bool scoring) {
        // One has_child per searched collection that parents `type`: the relation is named by edge.
        const Context inner{h.type};
        array clauses;
        for (const auto& parent : context) {
            const CollectionFields* c = layout_.catalog().find(parent);
            if (c == nullptr || !c->has_child(h.type)) continue;
            if (!layout_.joins(parent, h.type)) {
                return fail(make_error(ErrorCode::unsupported,
                                       "has_child " + parent + " -> " + h.type + " is not a join relation in Elasticsearch",
                                       {{"reason", "see docs/elasticsearch.md: edges ES's join cannot hold"}}));
            }
            clauses.push_back(object{{"has_child", object{{"type", layout_.catalog().relation_name(parent, h.type)},
                                                          {"query", query(*h.query, inner, false)},
                                                          {"score_mode", "none"}}}});
        }
        if (clauses.empty()) return fail(make_error(ErrorCode::invalid, "no searched collection has children in " + h.type));
        return non_scoring(any_of(std::move(clauses)), scoring);
    }
    value translate(const HasParent& h, const Context& context, bool scoring) {
        const bool parents_one = std::any_of(context.begin(), context.end(), [&](const std::string& child) {
            return layout_.joins(h.parent_type, child);
        });
        const auto names = layout_.parent_names(h.parent_type);
        if (!parents_one || names.empty()) {
            return fail(make_error(ErrorCode::unsupported,
                                   "has_parent " + h.parent_type + " is not a join relation of the searched collections"));
        }
        const Context inner{h.parent_type};
        array clauses;
        for (const auto& name : names) {
            clauses.push_back(object{{"has_parent", object{{"parent_type", name},
                                                           {"query", query(*h.query, inner, false)},
                                                           {"score", false}}}});
        }
        return non_scoring(any_of(std::move(clauses)), scoring);
    }

    const ElasticLayout& layout_;
};

const char* order_name(bool descending) { return descending ? "desc" : "asc"; }

value bucket_key(const object& bucket, std::optional<FieldType> type) {
    const value* key = bucket.if_contains("key");
    const value* text = bucket.if_contains("key_as_string");
    if (type == FieldType::boolean && text && text->is_string()) return value(text->get_string() == "true");
    if (type == FieldType::date && text && text->is_string()) return *text;
    return key ? *key : value();
}

std::uint64_t as_count(const value* v) {
    if (v == nullptr) return 0;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
    return 0;
}

Error bad_response(std::string what, const value& response) {
    std::string text = boost::json::serialize(response);
    if (text.size() > 512) text.resize(512);
    return make_error(ErrorCode::internal, "unexpected Elasticsearch search response: " + what,
                      {{"backend", object{{"elasticsearch", object{{"response", text}}}}}});
}

}  // namespace

std::vector<SortKey> effective_sort(const SearchRequest& request) {
    if (request.sort.empty() && is_scoring(request.query)) return {SortKey{"_score", true}};
    return request.sort;
}

Result<object> to_search_body(const SearchRequest& request, const ElasticLayout& layout) {
    for (const auto& c : request.collections) {
        if (layout.catalog().find(c) == nullptr) return make_error(ErrorCode::invalid, "collection " + c + " is not in the catalog");
    }
    if (request.collections.empty()) return make_error(ErrorCode::invalid, "a search names one or more collections");
    const auto sort = effective_sort(request);
    if (!request.search_after.empty()) {
        if (request.search_after.size() != sort.size() + 2) {
            return make_error(ErrorCode::invalid, "search_after takes one value per sort key, then the collection and the id",
                              {{"pointer", "/search_after"}});
        }
        if (request.from != 0) return make_error(ErrorCode::invalid, "from must be 0 with search_after", {{"pointer", "/from"}});
    }

    Translator translator(layout);
    value query = translator.query(request.query, request.collections, true);
    if (translator.error) return std::move(*translator.error);
    array collections;
    for (const auto& c : request.collections) collections.push_back(value(c));
    object body{
        {"query", object{{"bool", object{{"must", array{std::move(query)}},
                                         {"filter", array{object{{"terms", object{{kCollectionField, std::move(collections)}}}}}}}}}},
        {"from", request.from},
        {"size", request.size},
        {"version", true},
        {"_source", array{kCollectionField, kIdField}},
    };

    array sort_json;
    for (const auto& key : sort) {
        if (key.field == "_score") {
            sort_json.push_back(object{{"_score", object{{"order", order_name(key.descending)}}}});
        } else {
            sort_json.push_back(object{{key.field, object{{"order", order_name(key.descending)}, {"missing", "_last"}}}});
        }
    }
    // query.hpp: ties are broken by collection, then id, ascending — stable pages, and search_after.
    sort_json.push_back(object{{kCollectionField, object{{"order", "asc"}}}});
    sort_json.push_back(object{{kIdField, object{{"order", "asc"}}}});
    body["sort"] = std::move(sort_json);
    // ES leaves scores out when sorting by a field; a hit's score is part of our result.
    if (!request.sort.empty() && is_scoring(request.query)) body["track_scores"] = true;

    // ES takes an int up to 2^31-1 or a bool.
    if (request.track_total_hits == 0) {
        body["track_total_hits"] = false;
    } else if (request.track_total_hits >= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
        body["track_total_hits"] = true;
    } else {
        body["track_total_hits"] = request.track_total_hits;
    }
    if (!request.search_after.empty()) body["search_after"] = array(request.search_after.begin(), request.search_after.end());
    if (!request.aggregations.empty()) {
        object aggs;
        for (const auto& a : request.aggregations) {
            aggs[a.name] = object{{"terms", object{{"field", a.field},
                                                   {"size", a.size},
                                                   {"order", array{object{{"_count", "desc"}}, object{{"_key", "asc"}}}}}}};
        }
        body["aggs"] = std::move(aggs);
    }
    return body;
}

Result<SearchResult> from_search_response(const value& response, const SearchRequest& request, const ElasticLayout& layout) {
    if (!response.is_object()) return bad_response("not an object", response);
    const object& root = response.get_object();
    if (const value* shards = root.if_contains("_shards"); shards && shards->is_object()) {
        if (as_count(shards->get_object().if_contains("failed")) > 0) {
            return make_error(ErrorCode::unavailable, "Elasticsearch answered with partial results (shards failed)",
                              {{"backend", object{{"elasticsearch", object{{"_shards", *shards}}}}}});
        }
    }
    const value* hits = root.if_contains("hits");
    if (hits == nullptr || !hits->is_object()) return bad_response("no hits", response);
    SearchResult result;
    result.total_exact = request.track_total_hits != 0;
    if (const value* total = hits->get_object().if_contains("total"); total && total->is_object()) {
        result.total = as_count(total->get_object().if_contains("value"));
        const value* relation = total->get_object().if_contains("relation");
        result.total_exact = !(relation && relation->is_string() && relation->get_string() == "gte");
    }
    const value* list = hits->get_object().if_contains("hits");
    if (list == nullptr || !list->is_array()) return bad_response("no hits.hits", response);
    for (const value& item : list->get_array()) {
        if (!item.is_object()) return bad_response("a hit is not an object", response);
        const object& h = item.get_object();
        Hit hit;
        const value* source = h.if_contains("_source");
        const value* collection = source && source->is_object() ? source->get_object().if_contains(kCollectionField) : nullptr;
        const value* id = source && source->is_object() ? source->get_object().if_contains(kIdField) : nullptr;
        if (collection && collection->is_string() && id && id->is_string()) {
            hit.collection = collection->get_string();
            hit.id = id->get_string();
        } else if (const value* doc_id = h.if_contains("_id"); doc_id && doc_id->is_string()) {
            // _id is "<collection>/<id>"; collection names hold no '/'.
            const std::string_view text = doc_id->get_string();
            const auto slash = text.find('/');
            if (slash == std::string_view::npos) return bad_response("a hit's _id is not collection/id", response);
            hit.collection = text.substr(0, slash);
            hit.id = text.substr(slash + 1);
        } else {
            return bad_response("a hit without _id", response);
        }
        hit.version = as_count(h.if_contains("_version"));
        if (const value* score = h.if_contains("_score"); score && score->is_number()) hit.score = score->to_number<double>();
        if (const value* sort = h.if_contains("sort"); sort && sort->is_array()) {
            hit.sort_values.assign(sort->get_array().begin(), sort->get_array().end());
        }
        result.hits.push_back(std::move(hit));
    }
    if (!request.aggregations.empty()) {
        const value* aggs = root.if_contains("aggregations");
        if (aggs == nullptr || !aggs->is_object()) return bad_response("no aggregations", response);
        for (const auto& a : request.aggregations) {
            const value* agg = aggs->get_object().if_contains(a.name);
            const value* buckets = agg && agg->is_object() ? agg->get_object().if_contains("buckets") : nullptr;
            if (buckets == nullptr || !buckets->is_array()) return bad_response("no buckets for " + a.name, response);
            std::vector<Bucket> out;
            const auto type = layout.mapped_type(a.field);
            for (const value& b : buckets->get_array()) {
                if (!b.is_object()) return bad_response("a bucket is not an object", response);
                out.push_back(Bucket{bucket_key(b.get_object(), type), as_count(b.get_object().if_contains("doc_count"))});
            }
            result.aggregations.emplace_back(a.name, std::move(out));
        }
    }
    return result;
}

}  // namespace tessera::search::internal
