#include <tessera/search/search_index.hpp>

#include "support/search_oracle.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace {

using namespace tessera::search;
using boost::json::array;
using boost::json::object;
using boost::json::parse;
using boost::json::serialize;
using boost::json::value;

const Catalog& bundled() {
    static const Catalog catalog =
        Catalog::from_registry(tessera::schema::Registry::open(std::filesystem::path(TESSERA_SOURCE_DIR) / "schemas").value());
    return catalog;
}

std::unique_ptr<SearchIndex> memory_index(const Catalog& catalog) {
    return SearchIndex::open("sqlite::memory:", catalog).value();
}

IndexOp upsert(std::string collection, std::string id, std::uint64_t version, value body) {
    return IndexOp{IndexOp::Kind::upsert, std::move(collection), std::move(id), version, serialize(body), "", ""};
}

value link(std::string_view target) { return object{{"$entity", target}}; }

// Seed 000's example plan (examples/data/plan.json) as the engine stores it — its entities split out
// and linked — plus a second plan with other services and cost shares.
std::vector<IndexOp> seed_plans() {
    std::vector<IndexOp> ops;
    std::uint64_t v = 1;
    auto share = [&](std::string id, int deductible, int copay) {
        ops.push_back(upsert("membercostshares", id, v++,
                             object{{"objectId", id}, {"objectType", "membercostshare"}, {"_org", "example.com"},
                                    {"deductible", deductible}, {"copay", copay}}));
    };
    auto service = [&](std::string id, std::string name) {
        ops.push_back(upsert("services", id, v++,
                             object{{"objectId", id}, {"objectType", "service"}, {"_org", "example.com"}, {"name", name}}));
    };
    auto planservice = [&](std::string id, std::string svc, std::string cost) {
        ops.push_back(upsert("planservices", id, v++,
                             object{{"objectId", id}, {"objectType", "planservice"}, {"_org", "example.com"},
                                    {"linkedService", link("services/" + svc)},
                                    {"planserviceCostShares", link("membercostshares/" + cost)}}));
    };
    auto plan = [&](std::string id, std::string cost, std::vector<std::string> services, std::string type) {
        array linked;
        for (const auto& s : services) linked.push_back(link("planservices/" + s));
        ops.push_back(upsert("plans", id, v++,
                             object{{"objectId", id}, {"objectType", "plan"}, {"_org", "example.com"},
                                    {"planType", type}, {"creationDate", "12-12-2017"},
                                    {"planCostShares", link("membercostshares/" + cost)},
                                    {"linkedPlanServices", std::move(linked)}}));
    };
    share("1234vxc2324sdf-501", 2000, 23);
    service("1234520xvc30asdf-502", "Yearly physical");
    share("1234512xvc1314asdfs-503", 10, 0);
    planservice("27283xvx9asdff-504", "1234520xvc30asdf-502", "1234512xvc1314asdfs-503");
    service("1234520xvc30sfs-505", "well baby");
    share("1234512xvc1314sdfsd-506", 10, 175);
    planservice("27283xvx9sdf-507", "1234520xvc30sfs-505", "1234512xvc1314sdfsd-506");
    plan("12xvxc345ssdsds-508", "1234vxc2324sdf-501", {"27283xvx9asdff-504", "27283xvx9sdf-507"}, "inNetwork");

    share("p2-cost", 500, 40);
    service("p2-svc", "Dental cleaning");
    share("p2-ps-cost", 0, 15);
    planservice("p2-ps", "p2-svc", "p2-ps-cost");
    plan("p2", "p2-cost", {"p2-ps"}, "outOfNetwork");
    return ops;
}

std::vector<std::string> ids_of(const SearchResult& r) {
    std::vector<std::string> ids;
    for (const auto& h : r.hits) ids.push_back(h.collection + "/" + h.id);
    return ids;
}

SearchResult run(SearchIndex& index, std::string_view body, std::vector<std::string> collections) {
    auto request = parse_search_request(parse(body), bundled(), std::move(collections));
    REQUIRE_MESSAGE(request.has_value(), request.error().to_string());
    auto result = index.search(*request);
    REQUIRE_MESSAGE(result.has_value(), result.error().to_string());
    return *result;
}

// ---- the differential test's world: films with roles and reviews (shared between parents) ----

Catalog film_catalog() {
    return Catalog::from_collections({
        {"films",
         {{"available", FieldType::boolean, false, true}, {"rating", FieldType::number, false, true}, {"released", FieldType::date, false, true},
          {"studio.city", FieldType::string, false, true}, {"studio.name", FieldType::string, false, true}, {"tags", FieldType::string, true, true},
          {"title", FieldType::string, false, true}, {"year", FieldType::integer, false, true}, {"scores", FieldType::integer, true, true}},
         {"reviews", "roles"},
         {},
         {}},
        {"roles", {{"billing", FieldType::integer, false, true}, {"character", FieldType::string, false, true}, {"name", FieldType::string, false, true}}, {"reviews"}, {}, {}},
        {"reviews", {{"stars", FieldType::integer, false, true}, {"text", FieldType::string, false, true}, {"verified", FieldType::boolean, false, true}}, {}, {}, {}},
    });
}

const std::vector<std::string> kWords = {
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
    "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
    "xray", "yankee", "zulu", "red", "green", "blue", "night", "day", "river", "stone", "2017", "x9",
    "café", "Crème", "naïve", "Zürich", "résumé", "ÉTÉ", "piñata", "Ålborg"};

class World {
public:
    explicit World(std::uint32_t seed) : rng_(seed) {}

    std::string words(int min, int max) {
        std::string out;
        const int n = uniform(min, max);
        for (int i = 0; i < n; ++i) {
            std::string w = pick(kWords);
            if (uniform(0, 4) == 0 && w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 32);
            out += (i ? (uniform(0, 5) == 0 ? ", " : " ") : "") + w;
        }
        return out;
    }
    int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool chance(int percent) { return uniform(1, 100) <= percent; }
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[static_cast<std::size_t>(uniform(0, static_cast<int>(v.size()) - 1))];
    }
    std::string date() {
        char buf[40];
        std::snprintf(buf, sizeof buf, "20%02d-%02d-%02dT%02d:00:00Z", uniform(0, 25), uniform(1, 12), uniform(1, 28), uniform(0, 23));
        return buf;
    }

    value film(const std::vector<std::string>& roles, const std::vector<std::string>& reviews) {
        object o;
        if (chance(90)) o["title"] = words(1, 5);
        if (chance(80)) {
            array tags;
            for (int i = uniform(0, 3); i > 0; --i) tags.push_back(value(words(1, 2)));
            o["tags"] = std::move(tags);
        }
        if (chance(85)) o["rating"] = uniform(0, 100) / 10.0;
        if (chance(85)) o["year"] = uniform(1990, 2025);
        if (chance(80)) o["released"] = date();
        if (chance(80)) o["available"] = chance(50);
        if (chance(70)) {
            object studio;
            if (chance(90)) studio["name"] = words(1, 2);
            if (chance(70)) studio["city"] = pick(kWords);
            o["studio"] = std::move(studio);
        }
        if (chance(50)) {
            array s;
            for (int i = uniform(1, 3); i > 0; --i) s.push_back(uniform(1, 10));
            o["scores"] = std::move(s);
        }
        array cast;
        for (int i = uniform(0, 3); i > 0 && !roles.empty(); --i) cast.push_back(link("roles/" + pick(roles)));
        o["cast"] = std::move(cast);
        array critics;
        for (int i = uniform(0, 2); i > 0 && !reviews.empty(); --i) critics.push_back(link("reviews/" + pick(reviews)));
        o["critics"] = std::move(critics);
        return o;
    }
    value role(const std::vector<std::string>& reviews) {
        object o;
        if (chance(95)) o["name"] = words(1, 3);
        if (chance(80)) o["character"] = words(1, 2);
        if (chance(85)) o["billing"] = uniform(1, 20);
        if (chance(40) && !reviews.empty()) o["review"] = link("reviews/" + pick(reviews));
        return o;
    }
    value review() {
        object o;
        if (chance(95)) o["text"] = words(2, 8);
        if (chance(90)) o["stars"] = uniform(1, 5);
        if (chance(85)) o["verified"] = chance(50);
        return o;
    }

    std::mt19937 rng_;
};

// Random queries over the film catalog: every clause type, nested bools, joins, sorts, pages.
class QueryGenerator {
public:
    QueryGenerator(World& world, const Catalog& catalog) : w_(world), catalog_(catalog) {}

    value leaf(const std::string& collection, int depth) {
        const CollectionFields& c = *catalog_.find(collection);
        const Field& f = w_.pick(c.fields);
        std::vector<const Field*> strings;
        for (const auto& x : c.fields) {
            if (x.type == FieldType::string) strings.push_back(&x);
        }
        const int kind = w_.uniform(0, depth < 2 ? 12 : 10);
        switch (kind) {
            case 0: {
                const Field& s = *w_.pick(strings);
                return object{{"match", object{{s.path, object{{"query", w_.words(1, 3)}, {"operator", w_.chance(40) ? "and" : "or"}}}}}};
            }
            case 1: {
                const Field& s = *w_.pick(strings);
                return object{{"match_phrase", object{{s.path, w_.words(1, 2)}}}};
            }
            case 2: {
                array fields;
                for (const Field* s : strings) {
                    if (w_.chance(50)) fields.push_back(value(s->path));
                }
                return object{{"multi_match", object{{"query", w_.words(1, 3)}, {"fields", std::move(fields)}, {"operator", w_.chance(30) ? "and" : "or"}}}};
            }
            case 3: return object{{"term", object{{f.path, sample(f)}}}};
            case 4: {
                array values;
                for (int i = w_.uniform(1, 4); i > 0; --i) values.push_back(sample(f));
                return object{{"terms", object{{f.path, std::move(values)}}}};
            }
            case 5: {
                if (f.type == FieldType::boolean) return object{{"exists", object{{"field", f.path}}}};
                object bounds;
                const char* lower[] = {"gt", "gte"};
                const char* upper[] = {"lt", "lte"};
                if (w_.chance(70)) bounds[lower[w_.uniform(0, 1)]] = sample(f);
                if (w_.chance(70) || bounds.empty()) bounds[upper[w_.uniform(0, 1)]] = sample(f);
                return object{{"range", object{{f.path, std::move(bounds)}}}};
            }
            case 6: return object{{"exists", object{{"field", f.path}}}};
            case 7: {
                const Field& s = *w_.pick(strings);
                std::string p = sample(s).as_string().c_str();
                p = p.substr(0, static_cast<std::size_t>(w_.uniform(0, 3)));
                return object{{"prefix", object{{s.path, p}}}};
            }
            case 8: {
                array ids;
                for (int i = w_.uniform(1, 5); i > 0; --i) ids.push_back(value(std::to_string(w_.uniform(0, 2100))));
                return object{{"ids", object{{"values", std::move(ids)}}}};
            }
            case 9: return object{{"match_all", object{}}};
            case 10: return boolean(collection, depth + 1);
            default: return join(collection, depth + 1);
        }
    }

    value boolean(const std::string& collection, int depth) {
        object b;
        for (const char* kind : {"must", "filter", "should", "must_not"}) {
            if (!w_.chance(45)) continue;
            array clauses;
            for (int i = w_.uniform(1, 3); i > 0; --i) clauses.push_back(leaf(collection, depth));
            b[kind] = std::move(clauses);
        }
        if (w_.chance(25)) b["minimum_should_match"] = w_.uniform(0, 2);
        return object{{"bool", std::move(b)}};
    }

    value join(const std::string& collection, int depth) {
        const CollectionFields& c = *catalog_.find(collection);
        if (!c.children.empty() && (c.parents.empty() || w_.chance(50))) {
            const std::string& child = w_.pick(c.children);
            return object{{"has_child", object{{"type", child}, {"query", leaf(child, depth)}}}};
        }
        if (!c.parents.empty()) {
            const std::string& parent = w_.pick(c.parents);
            return object{{"has_parent", object{{"parent_type", parent}, {"query", leaf(parent, depth)}}}};
        }
        return object{{"match_all", object{}}};
    }

    value sample(const Field& f) {
        switch (f.type) {
            case FieldType::string: return value(w_.chance(30) ? w_.pick(kWords) : w_.words(1, 2));
            case FieldType::integer: return f.path == "year" ? w_.uniform(1990, 2025) : w_.uniform(0, 20);
            case FieldType::number: return w_.uniform(0, 100) / 10.0;
            case FieldType::boolean: return w_.chance(50);
            case FieldType::date: return value(w_.date());
        }
        return nullptr;
    }

    value request(std::string& collection) {
        static const std::vector<std::string> kCollections{"films", "roles", "reviews"};
        collection = w_.pick(kCollections);
        object body{{"query", w_.chance(20) ? leaf(collection, 0) : boolean(collection, 0)}};
        const CollectionFields& c = *catalog_.find(collection);
        array sort;
        for (int i = w_.uniform(0, 2); i > 0; --i) {
            if (w_.chance(25)) {
                sort.push_back(object{{"_score", w_.chance(80) ? "desc" : "asc"}});
                continue;
            }
            const Field& f = w_.pick(c.fields);
            if (f.multi) continue;
            sort.push_back(object{{f.path, w_.chance(50) ? "desc" : "asc"}});
        }
        if (!sort.empty() || w_.chance(50)) body["sort"] = std::move(sort);
        body["from"] = w_.uniform(0, 3) == 0 ? w_.uniform(0, 30) : 0;
        body["size"] = w_.uniform(1, 15);
        const int track = w_.uniform(0, 3);
        if (track == 1) body["track_total_hits"] = true;
        if (track == 2) body["track_total_hits"] = w_.uniform(0, 40);
        if (w_.chance(20)) {
            const Field& f = w_.pick(c.fields);
            body["aggs"] = object{{"by", object{{"terms", object{{"field", f.path}, {"size", w_.uniform(1, 8)}}}}}};
        }
        return body;
    }

private:
    World& w_;
    const Catalog& catalog_;
};

void check_same(const SearchResult& index, const SearchResult& oracle, const std::string& what) {
    INFO(what);
    REQUIRE(ids_of(index) == ids_of(oracle));
    for (std::size_t i = 0; i < index.hits.size(); ++i) {
        CHECK(index.hits[i].version == oracle.hits[i].version);
        CHECK(std::fabs(index.hits[i].score - oracle.hits[i].score) <= 1e-9 * std::max(1.0, std::fabs(oracle.hits[i].score)));
    }
    CHECK(index.total == oracle.total);
    CHECK(index.total_exact == oracle.total_exact);
    REQUIRE(index.aggregations.size() == oracle.aggregations.size());
    for (std::size_t a = 0; a < index.aggregations.size(); ++a) {
        CHECK(index.aggregations[a].first == oracle.aggregations[a].first);
        REQUIRE(index.aggregations[a].second.size() == oracle.aggregations[a].second.size());
        for (std::size_t b = 0; b < index.aggregations[a].second.size(); ++b) {
            CHECK(serialize(index.aggregations[a].second[b].key) == serialize(oracle.aggregations[a].second[b].key));
            CHECK(index.aggregations[a].second[b].count == oracle.aggregations[a].second[b].count);
        }
    }
}

}  // namespace

TEST_SUITE("search") {
    TEST_CASE("SqliteIndex: seed 000's queries — services by name, cost shares by copay, children of a plan") {
        auto index = memory_index(bundled());
        const auto ops = seed_plans();
        auto applied = index->apply(ops);
        REQUIRE(applied.has_value());
        CHECK(applied->applied == ops.size());

        // Plans having a plan service whose service's name matches.
        auto yearly = run(*index, R"({"query": {"has_child": {"type": "planservices", "query":
            {"has_child": {"type": "services", "query": {"match": {"name": "YEARLY"}}}}}}})", {"plans"});
        CHECK(ids_of(yearly) == std::vector<std::string>{"plans/12xvxc345ssdsds-508"});
        CHECK(yearly.total == 1);

        // Plans having a cost share (their own, or a plan service's) with copay >= 100.
        auto copay = run(*index, R"({"query": {"bool": {"should": [
            {"has_child": {"type": "membercostshares", "query": {"range": {"copay": {"gte": 100}}}}},
            {"has_child": {"type": "planservices", "query": {"has_child": {"type": "membercostshares",
                "query": {"range": {"copay": {"gte": 100}}}}}}}]}}})", {"plans"});
        CHECK(ids_of(copay) == std::vector<std::string>{"plans/12xvxc345ssdsds-508"});
        auto own = run(*index, R"({"query": {"has_child": {"type": "membercostshares", "query": {"range": {"copay": {"gte": 30}}}}}})",
                       {"plans"});
        CHECK(ids_of(own) == std::vector<std::string>{"plans/p2"});

        // Children of a plan: the plan services whose parent is it.
        auto children = run(*index, R"({"query": {"has_parent": {"parent_type": "plans", "query": {"ids": {"values": ["12xvxc345ssdsds-508"]}}}}})",
                            {"planservices"});
        CHECK(ids_of(children) == std::vector<std::string>{"planservices/27283xvx9asdff-504", "planservices/27283xvx9sdf-507"});

        // A shared cost share is found under both of its parent kinds.
        auto shares = run(*index, R"({"query": {"has_parent": {"parent_type": "planservices", "query": {"match_all": {}}}}, "size": 10})",
                          {"membercostshares"});
        CHECK(shares.total == 3);

        // Text is folded: case and diacritics do not matter; terms are exact.
        auto dental = run(*index, R"({"query": {"match": {"name": "déntal"}}})", {"services"});
        CHECK(ids_of(dental) == std::vector<std::string>{"services/p2-svc"});
        CHECK(dental.hits[0].score > 0);
        CHECK(run(*index, R"({"query": {"term": {"name": "dental cleaning"}}})", {"services"}).hits.empty());
        CHECK(run(*index, R"({"query": {"term": {"name": "Dental cleaning"}}})", {"services"}).hits.size() == 1);

        // Across collections, with a terms aggregation.
        auto everything = run(*index, R"({"query": {"term": {"_org": "example.com"}}, "size": 0, "aggs": {"kinds": {"terms": {"field": "objectType"}}}})", {});
        CHECK(everything.total == ops.size());
        REQUIRE(everything.aggregations.size() == 1);
        CHECK(everything.aggregations[0].second.front().key == value("membercostshare"));
        CHECK(everything.aggregations[0].second.front().count == 5);
    }

    TEST_CASE("SqliteIndex: newer versions win; duplicates, reordering and deletes cannot bring back an older state") {
        auto index = memory_index(bundled());
        auto v = [&](std::uint64_t version, std::string name) {
            return upsert("services", "s1", version, object{{"objectId", "s1"}, {"objectType", "service"}, {"_org", "o"}, {"name", name}});
        };
        const IndexOp remove{IndexOp::Kind::remove, "services", "s1", 7, "", "", ""};
        CHECK(index->apply(std::vector{v(5, "five")})->applied == 1);
        CHECK(index->apply(std::vector{v(5, "five")})->stale == 1);         // duplicate
        CHECK(index->apply(std::vector{v(3, "three")})->stale == 1);        // older, delivered late
        CHECK(index->apply(std::vector{v(6, "six"), remove})->applied == 2);
        CHECK(index->apply(std::vector{v(6, "six")})->stale == 1);          // re-delivered after the delete
        CHECK(index->version_of("services", "s1").value() == std::optional<std::uint64_t>(7));
        CHECK(run(*index, R"({"query": {"match": {"name": "six"}}})", {"services"}).hits.empty());
        CHECK(run(*index, R"({})", {"services"}).total == 0);
        CHECK(index->apply(std::vector{v(8, "eight")})->applied == 1);     // a re-create after the delete
        CHECK(ids_of(run(*index, R"({"query": {"match": {"name": "eight"}}})", {"services"})) == std::vector<std::string>{"services/s1"});
        CHECK(run(*index, R"({"query": {"match": {"name": "six"}}})", {"services"}).hits.empty());
        auto state = index->state().value();
        CHECK(state.entries == 1);
        CHECK(state.max_version == 8);
        CHECK(index->clear("services").has_value());
        CHECK(index->state()->entries == 0);
        CHECK(index->version_of("services", "s1").value() == std::nullopt);
    }

    TEST_CASE("SqliteIndex: 500 random queries over 5,000 random objects agree with a brute-force evaluator") {
        const Catalog catalog = film_catalog();
        auto index = memory_index(catalog);
        tessera::test::SearchOracle oracle(catalog);
        World world(20261204);
        std::vector<std::string> role_ids, review_ids;
        std::vector<IndexOp> ops;
        std::uint64_t version = 0;
        for (int i = 0; i < 1000; ++i) {
            review_ids.push_back(std::to_string(i));
            ops.push_back(upsert("reviews", review_ids.back(), ++version, world.review()));
        }
        for (int i = 0; i < 2000; ++i) {
            role_ids.push_back(std::to_string(i));
            ops.push_back(upsert("roles", role_ids.back(), ++version, world.role(review_ids)));
        }
        for (int i = 0; i < 2000; ++i) ops.push_back(upsert("films", std::to_string(i), ++version, world.film(role_ids, review_ids)));
        // Updates, deletes, and stale deliveries of both.
        std::vector<IndexOp> later;
        for (int i = 0; i < 600; ++i) {
            const std::string id = std::to_string(world.uniform(0, 1999));
            if (world.chance(70)) {
                later.push_back(upsert("films", id, ++version, world.film(role_ids, review_ids)));
            } else {
                later.push_back(IndexOp{IndexOp::Kind::remove, world.chance(50) ? "films" : "roles", id, ++version, "", "", ""});
            }
        }
        std::vector<IndexOp> stale(later.begin(), later.begin() + 200);
        for (auto& op : stale) op.version -= 1;
        std::shuffle(later.begin(), later.end(), world.rng_);
        for (const auto* batch : {&ops, &later, &stale}) {
            for (std::size_t i = 0; i < batch->size(); i += 500) {
                const std::size_t n = std::min<std::size_t>(500, batch->size() - i);
                REQUIRE(index->apply(std::span(*batch).subspan(i, n)).has_value());
            }
            for (const auto& op : *batch) oracle.apply(op);
        }

        QueryGenerator generator(world, catalog);
        int with_hits = 0, paged = 0, scored = 0;
        for (int q = 0; q < 500; ++q) {
            std::string collection;
            const value body = generator.request(collection);
            auto request = parse_search_request(body, catalog, {collection});
            REQUIRE_MESSAGE(request.has_value(), (std::string(serialize(body)) + ": " + request.error().to_string()));
            auto found = index->search(*request);
            REQUIRE_MESSAGE(found.has_value(), (std::string(serialize(body)) + ": " + found.error().to_string()));
            const auto expected = oracle.search(*request);
            check_same(*found, expected, std::string(serialize(body)));
            with_hits += found->hits.empty() ? 0 : 1;
            scored += !found->hits.empty() && found->hits[0].score > 0 ? 1 : 0;
            // The next page through search_after.
            if (!found->hits.empty()) {
                request->from = 0;
                request->search_after = found->hits.back().sort_values;
                auto next = index->search(*request);
                REQUIRE_MESSAGE(next.has_value(), next.error().to_string());
                check_same(*next, oracle.search(*request), "search_after of " + std::string(serialize(body)));
                ++paged;
            }
        }
        // The generator must exercise what it claims to.
        CHECK(with_hits > 150);
        CHECK(scored > 30);
        CHECK(paged == with_hits);
    }

    TEST_CASE("SqliteIndex: a search past its time limit is abandoned as a timeout, and the index stays usable") {
        IndexOptions options;
        options.query_timeout = std::chrono::microseconds(1);
        auto index = SearchIndex::open("sqlite::memory:", bundled(), options).value();
        std::vector<IndexOp> ops;
        for (int i = 0; i < 3000; ++i) {
            const std::string id = "s" + std::to_string(i);
            ops.push_back(upsert("services", id, static_cast<std::uint64_t>(i + 1),
                                 object{{"objectId", id}, {"objectType", "service"}, {"_org", "o"}, {"name", "n " + id}}));
        }
        REQUIRE(index->apply(ops).has_value());
        auto request = parse_search_request(parse(R"({"query": {"prefix": {"name": "n"}}, "size": 1000, "track_total_hits": true})"),
                                            bundled(), {"services"}).value();
        auto slow = index->search(request);
        REQUIRE_FALSE(slow.has_value());
        CHECK(slow.error().code() == tessera::ErrorCode::timeout);
        CHECK(index->version_of("services", "s1").value() == std::optional<std::uint64_t>(2));
        CHECK(index->state()->entries == 3000);
    }

    TEST_CASE("SearchIndex::open: URLs") {
        CHECK(SearchIndex::open("sqlite::memory:", bundled()).has_value());
        CHECK(SearchIndex::open("sqlite:", bundled()).error().code() == tessera::ErrorCode::invalid);
        CHECK(SearchIndex::open("sqlite://host/x", bundled()).error().code() == tessera::ErrorCode::invalid);
        CHECK(SearchIndex::open("ftp://x", bundled()).error().code() == tessera::ErrorCode::invalid);
    }
}
