// Search against the real tessera-server: seed 000's queries over HTTP, query-string validation, the
// response cache under concurrent writers, and the circuit breaker around an Elasticsearch that fails
// (a local HTTP server playing ES: none can be installed here).

#include "support/examples.hpp"
#include "support/http_client.hpp"
#include "support/http_stub.hpp"
#include "support/server_process.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

using tessera::test::HttpClient;
using boost::json::parse;

namespace {

using tessera::test::example_plan;

const std::vector<std::pair<std::string, std::string>> kJson{{"Content-Type", "application/json"}};

boost::json::value body_of(const tessera::test::HttpResponse& r) {
    INFO(r.body);
    return parse(r.body);
}

std::vector<std::string> hit_ids(const tessera::test::HttpResponse& r) {
    std::vector<std::string> ids;
    const auto body = body_of(r);
    if (!body.is_object() || !body.as_object().contains("hits")) return {"(not a search answer: " + r.body + ")"};
    for (const auto& hit : body.at("hits").as_array()) ids.emplace_back(hit.at("id").as_string());
    return ids;
}

tessera::test::ServerOptions search_server(std::vector<std::string> extra = {}) {
    tessera::test::ServerOptions options;
    options.extra_args = {"--search", "sqlite::memory:"};
    options.extra_args.insert(options.extra_args.end(), extra.begin(), extra.end());
    return options;
}

}  // namespace

TEST_SUITE("search") {
    TEST_CASE("search: seed 000's queries over HTTP, with the assembled plan as the document") {
        tessera::test::ServerProcess server(search_server());
        HttpClient client(server.base_url());
        auto created = client.request("POST", "/api/plans/?refresh=wait_for", kJson, example_plan());
        REQUIRE(created.status == 201);

        // Plans having a plan service whose service's name matches.
        auto found = client.request("POST", "/api/plans/_search", kJson,
                                    R"({"query": {"has_child": {"type": "planservices", "query":
                                        {"has_child": {"type": "services", "query": {"match": {"name": "physical"}}}}}}})");
        REQUIRE(found.status == 200);
        const auto body = body_of(found);
        CHECK(body.at("total") == 1);
        const auto& hit = body.at("hits").at(0);
        CHECK(hit.at("id") == "12xvxc345ssdsds-508");
        CHECK(hit.at("collection") == "plans");
        CHECK(hit.at("etag") == boost::json::value(created.header("ETag")));
        // The root's document is the assembled graph, as GET returns it.
        CHECK(hit.at("document") == parse(client.get("/api/plans/12xvxc345ssdsds-508").body));

        // Plans having a cost share with copay >= 100 (through a plan service), none with >= 1000.
        const std::string copay = R"({"query": {"has_child": {"type": "planservices", "query": {"has_child":
            {"type": "membercostshares", "query": {"range": {"copay": {"gte": N}}}}}}}})";
        auto with = [&](std::string n) {
            std::string q = copay;
            q.replace(q.find('N'), 1, n);
            return client.request("POST", "/api/plans/_search", kJson, q);
        };
        CHECK(hit_ids(with("100")) == std::vector<std::string>{"12xvxc345ssdsds-508"});
        CHECK(hit_ids(with("1000")).empty());

        // Children of a plan.
        auto children = client.request("POST", "/api/planservices/_search", kJson,
                                       R"({"query": {"has_parent": {"parent_type": "plans", "query": {"ids": {"values": ["12xvxc345ssdsds-508"]}}}}})");
        CHECK(hit_ids(children) == std::vector<std::string>{"27283xvx9asdff-504", "27283xvx9sdf-507"});

        // Query strings: a filter, free text, across collections.
        CHECK(hit_ids(client.get("/api/plans?planType=inNetwork")) == std::vector<std::string>{"12xvxc345ssdsds-508"});
        CHECK(hit_ids(client.get("/api/plans?planType=outOfNetwork")).empty());
        // Brackets as clients send them, unencoded, and percent-encoded.
        CHECK(hit_ids(client.get("/api/membercostshares?copay[gte]=100")) == std::vector<std::string>{"1234512xvc1314sdfsd-506"});
        CHECK(hit_ids(client.get("/api/membercostshares?copay%5Blt%5D=10&sort=-copay")) == std::vector<std::string>{"1234512xvc1314asdfs-503"});
        auto text = client.get("/api/services?q=well+baby");
        CHECK(hit_ids(text) == std::vector<std::string>{"1234520xvc30sfs-505"});
        CHECK(body_of(text).at("hits").at(0).at("score").as_double() > 0);
        auto all = client.request("POST", "/api/_search", kJson, R"({"query": {"term": {"_org": "example.com"}}, "size": 0})");
        CHECK(body_of(all).at("total") == 8);
        // Without search parameters the list still pages by cursor (a JSON array).
        CHECK(body_of(client.get("/api/plans?limit=10")).is_array());

        // A delete with refresh=wait_for is gone from the next search.
        REQUIRE(client.request("DELETE", "/api/plans/12xvxc345ssdsds-508?refresh=wait_for").status == 204);
        CHECK(hit_ids(client.get("/api/plans?planType=inNetwork")).empty());
        CHECK(client.get("/metrics").body.find("tessera_search_requests_total") != std::string::npos);
        const auto openapi = body_of(client.get("/openapi.json"));
        CHECK(openapi.at("paths").as_object().contains("/api/plans/_search"));
        CHECK(openapi.at("paths").as_object().contains("/api/_search"));
    }

    TEST_CASE("search: bad queries are 400 problems naming what is wrong, and change nothing") {
        tessera::test::ServerProcess server(search_server());
        HttpClient client(server.base_url());
        auto problem = [&](const tessera::test::HttpResponse& r) {
            CHECK(r.status == 400);
            CHECK(r.header("Content-Type") == "application/problem+json");
            return r.body;
        };
        CHECK(problem(client.get("/api/plans?nope=1")).find("nope") != std::string::npos);
        CHECK(problem(client.get("/api/membercostshares?copay=lots")).find("copay") != std::string::npos);
        CHECK(problem(client.get("/api/plans?limit=20&offset=9990")).find("offset") != std::string::npos);
        CHECK(problem(client.get("/api/plans?sort=-nope")).find("sort") != std::string::npos);
        CHECK(problem(client.get("/api/plans?q=x&cursor=abc")).find("cursor") != std::string::npos);
        CHECK(problem(client.request("POST", "/api/plans/_search", kJson, R"({"query": {"fuzzy": {}}})"))
                  .find("/query/fuzzy") != std::string::npos);
        CHECK(problem(client.request("POST", "/api/plans/_search", kJson, R"({"query": {"match": {"planType": 5}}})"))
                  .find("/query/match/planType") != std::string::npos);
        CHECK(problem(client.request("POST", "/api/plans/?refresh=sometimes", kJson, example_plan())).find("refresh") !=
              std::string::npos);
        CHECK(client.get("/api/plans/12xvxc345ssdsds-508").status == 404);  // the refused write changed nothing
        CHECK(client.request("GET", "/api/plans/_search").status == 405);
        CHECK(problem(client.request("POST", "/api/plans/_search", kJson, R"({"search_after": "!!!"})")).find("/search_after") !=
              std::string::npos);
    }

    TEST_CASE("search: after an acknowledged write no stale cached result is served (8 threads)") {
        tessera::test::ServerProcess server(search_server({"--cache", "lru:1000"}));
        constexpr int kThreads = 8, kRounds = 25;
        std::atomic<int> stale{0}, hits{0}, failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                HttpClient client(server.base_url());
                const std::string id = "svc-" + std::to_string(t);
                for (int round = 0; round < kRounds; ++round) {
                    // A name only this write carries; the search right after must find it, the one
                    // for the previous name must not.
                    const std::string name = "w" + std::to_string(t) + "r" + std::to_string(round);
                    const std::string doc = R"({"objectId": ")" + id + R"(", "objectType": "service", "_org": "o", "name": ")" + name + R"("})";
                    auto put = client.request("PUT", "/api/services/" + id + "?refresh=wait_for", kJson, doc);
                    if (put.status != 200 && put.status != 201) {
                        ++failures;
                        continue;
                    }
                    for (int look = 0; look < 2; ++look) {  // the second look may come from the cache
                        auto now = client.get("/api/services?name=" + name);
                        if (now.header("X-Cache") == "hit") ++hits;
                        if (now.status != 200 || hit_ids(now) != std::vector<std::string>{id}) ++stale;
                        if (round > 0) {
                            auto before = client.get("/api/services?name=w" + std::to_string(t) + "r" + std::to_string(round - 1));
                            if (before.status != 200 || !hit_ids(before).empty()) ++stale;
                        }
                    }
                }
            });
        }
        for (auto& thread : threads) thread.join();
        CHECK(failures == 0);
        CHECK(stale == 0);
        CHECK(hits > 0);  // the cache did answer (else this test would prove nothing about it)
    }

    TEST_CASE("search: the circuit breaker opens on a failing Elasticsearch, answers 503 + Retry-After without calling it, and recovers") {
        // Plays Elasticsearch 8: healthy for start-up, then failing searches until told otherwise.
        std::atomic<bool> failing{false};
        std::atomic<int> searches{0};
        tessera::test::HttpStub es([&](const tessera::test::StubRequest& r) {
            if (r.method == "GET" && r.path() == "/") {
                return tessera::test::StubResponse::json(200, R"({"name":"stub","cluster_name":"stub","version":{"number":"8.13.4"},"tagline":"You Know, for Search"})");
            }
            if (r.path().ends_with("/_search")) {
                ++searches;
                if (failing) return tessera::test::StubResponse::json(503, R"({"error":{"type":"unavailable"},"status":503})");
                return tessera::test::StubResponse::json(
                    200, R"({"took":1,"timed_out":false,"hits":{"total":{"value":0,"relation":"eq"},"max_score":null,"hits":[]}})");
            }
            if (r.path().ends_with("/_bulk")) return tessera::test::StubResponse::json(200, R"({"took":1,"errors":false,"items":[]})");
            return tessera::test::StubResponse::json(200, R"({"acknowledged":true})");
        });
        tessera::test::ServerOptions options;
        options.extra_args = {"--search", es.url(), "--cache", "off", "--breaker-failures", "3", "--breaker-open", "1s",
                              "--search-retries", "1"};
        tessera::test::ServerProcess server(options);
        HttpClient client(server.base_url());
        CHECK(client.get("/api/plans?planType=x").status == 200);

        failing = true;
        for (int i = 0; i < 3; ++i) CHECK(client.get("/api/plans?planType=x").status == 503);
        const int before = searches.load();
        auto refused = client.get("/api/plans?planType=x");
        CHECK(refused.status == 503);
        CHECK_FALSE(refused.header("Retry-After").empty());
        CHECK(searches.load() == before);  // open: Elasticsearch was not called
        CHECK(client.get("/metrics").body.find("tessera_search_breaker_state{state=\"open\"} 1") != std::string::npos);

        failing = false;
        // Closes by itself: after the open period a probe goes through and succeeds.
        bool recovered = false;
        for (int i = 0; i < 40 && !recovered; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            recovered = client.get("/api/plans?planType=x").status == 200;
        }
        CHECK(recovered);
        CHECK(client.get("/metrics").body.find("tessera_search_breaker_state{state=\"closed\"} 1") != std::string::npos);
    }
}
