#include <tessera/search/query.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <filesystem>

namespace {

using namespace tessera::search;
using boost::json::parse;

const Catalog& bundled() {
    static const Catalog catalog =
        Catalog::from_registry(tessera::schema::Registry::open(std::filesystem::path(TESSERA_SOURCE_DIR) / "schemas").value());
    return catalog;
}

tessera::Result<SearchRequest> plans(std::string_view body) {
    boost::json::parse_options options;
    options.max_depth = 256;
    return parse_search_request(parse(body, {}, options), bundled(), {"plans"});
}

// The JSON Pointer an `invalid` error names.
std::string pointer_of(const tessera::Result<SearchRequest>& r) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == tessera::ErrorCode::malformed);
    return std::string(r.error().details().at("pointer").as_string());
}

}  // namespace

TEST_SUITE("search") {
    TEST_CASE("parse_search_request: seed 000's join queries parse into the AST") {
        auto r = plans(R"({"query": {"has_child": {"type": "planservices", "query":
                          {"has_child": {"type": "services", "query": {"match": {"name": "yearly physical"}}}}}}})");
        REQUIRE(r.has_value());
        const auto& outer = std::get<HasChild>(r->query.node);
        CHECK(outer.type == "planservices");
        const auto& inner = std::get<HasChild>(outer.query->node);
        CHECK(inner.type == "services");
        CHECK(std::get<Match>(inner.query->node) == Match{"name", "yearly physical", Operator::or_});
        // A join does not score: the default order is by collection and id.
        CHECK(r->sort.empty());
        CHECK(r->size == 10);

        auto copay = plans(R"({"query": {"has_child": {"type": "membercostshares", "query": {"range": {"copay": {"gte": 20}}}}}})");
        REQUIRE(copay.has_value());
        const auto& range = std::get<Range>(std::get<HasChild>(copay->query.node).query->node);
        CHECK(range.gte == boost::json::value(20));
    }

    TEST_CASE("parse_search_request: shorthand and long forms normalise to the same JSON") {
        auto a = plans(R"({"query": {"bool": {"must": {"match": {"planType": "in network"}}, "filter": [{"term": {"_org": "example.com"}}]}}})");
        auto b = plans(R"({"size": 10, "from": 0, "query": {"bool": {"filter": {"term": {"_org": {"value": "example.com"}}},
                          "must": [{"match": {"planType": {"query": "in network", "operator": "OR"}}}]}}, "sort": [{"_score": "desc"}]})");
        REQUIRE(a.has_value());
        REQUIRE(b.has_value());
        CHECK(serialize(to_json(*a)) == serialize(to_json(*b)));
        CHECK(a->sort == std::vector<SortKey>{{"_score", true}});
        CHECK(is_scoring(a->query));
        auto filtered = plans(R"({"query": {"bool": {"filter": {"match": {"planType": "in"}}}}})");
        REQUIRE(filtered.has_value());
        CHECK_FALSE(is_scoring(filtered->query));
    }

    TEST_CASE("parse_search_request: every refusal names the JSON Pointer of what it refuses") {
        CHECK(pointer_of(plans(R"({"query": {"match": {"nope": "x"}}})")) == "/query/match/nope");
        CHECK(pointer_of(plans(R"({"query": {"fuzzy": {"planType": "x"}}})")) == "/query/fuzzy");
        CHECK(pointer_of(plans(R"({"query": {"bool": {"must": [{"match_all": {}}, {"term": {"planType": 5}}]}}})")) ==
              "/query/bool/must/1/term/planType");
        CHECK(pointer_of(plans(R"({"query": {"match": {"planType": {"query": "x", "fuzziness": 2}}}})")) ==
              "/query/match/planType/fuzziness");
        CHECK(pointer_of(plans(R"({"query": {"has_child": {"type": "services", "query": {"match_all": {}}}}})")) ==
              "/query/has_child/type");
        CHECK(pointer_of(plans(R"({"highlight": {}})")) == "/highlight");
        CHECK(pointer_of(plans(R"({"from": 9995, "size": 10})")) == "/from");
        CHECK(pointer_of(plans(R"({"size": 5000})")) == "/size");
        CHECK(pointer_of(plans(R"({"sort": [{"planType": "sideways"}]})")) == "/sort/0/planType");
        CHECK(pointer_of(plans(R"({"search_after": ["x"]})")) == "/search_after");
        CHECK(pointer_of(plans(R"({"aggs": {"t": {"avg": {"field": "planType"}}}})")) == "/aggs/t/avg");
        CHECK(pointer_of(parse_search_request(parse(R"({"query": {"range": {"copay": {"gte": "a lot"}}}})"), bundled(),
                                              {"membercostshares"})) == "/query/range/copay/gte");
        CHECK(pointer_of(parse_search_request(parse(R"({"query": {"range": {"expire": {"gte": "yesterday"}}}})"), bundled(),
                                              {"guids"})) == "/query/range/expire/gte");
    }

    TEST_CASE("parse_search_request: limits on size, nesting and clauses") {
        std::string deep = R"({"match_all": {}})";
        for (int i = 0; i < 20; ++i) deep = R"({"bool": {"must": [)" + deep + "]}}";
        CHECK(pointer_of(plans(R"({"query": )" + deep + "}")).find("/query/bool/must/0") == 0);
        std::string wide = R"({"query": {"bool": {"should": [)";
        for (int i = 0; i < 1100; ++i) wide += std::string(i ? "," : "") + R"({"match_all": {}})";
        wide += "]}}}";
        CHECK_FALSE(plans(wide).has_value());
    }

    TEST_CASE("parse_search_request: search_after carries one value per sort key, then collection and id") {
        auto ok = plans(R"({"sort": ["planType"], "search_after": ["inNetwork", "plans", "p1"]})");
        REQUIRE(ok.has_value());
        CHECK(ok->search_after.size() == 3);
        CHECK(pointer_of(plans(R"({"sort": ["planType"], "search_after": [3, "plans", "p1"]})")) == "/search_after/0");
        CHECK(pointer_of(plans(R"({"from": 5, "sort": ["planType"], "search_after": ["a", "plans", "p1"]})")) == "/from");
    }

    TEST_CASE("parse_search_request: across collections a field must exist in one of them") {
        auto r = parse_search_request(parse(R"({"collections": ["services", "plans"], "query": {"match": {"name": "x"}}})"),
                                      bundled(), {});
        REQUIRE(r.has_value());
        CHECK(r->collections == std::vector<std::string>{"plans", "services"});
        auto all = parse_search_request(parse(R"({})"), bundled(), {});
        REQUIRE(all.has_value());
        CHECK(all->collections.size() == bundled().collections().size());
        CHECK(pointer_of(parse_search_request(parse(R"({"collections": ["nope"]})"), bundled(), {})) == "/collections/0");
    }

    TEST_CASE("words_of: words as unicode61 with diacritics removed makes them") {
        CHECK(words_of("Crème Brûlée, ÉTÉ!") == std::vector<std::string>{"creme", "brulee", "ete"});
        CHECK(words_of("well-baby 2017x") == std::vector<std::string>{"well", "baby", "2017x"});
        CHECK(words_of("a b c d", 2).size() == 2);
        CHECK(query_words("Yearly yearly PHYSICAL") == std::vector<std::string>{"yearly", "physical"});
        CHECK(date_millis("1970-01-02") == 86400000);
        CHECK(date_millis("1970-01-01T00:00:01.5Z") == 1500);
        CHECK_FALSE(date_millis("12-12-2017").has_value());
    }
}
