// Seed 000's flow over HTTP against each store backend: create a plan, conditional GET → 304,
// PATCH with If-Match, stale If-Match → 412, delete.

#include "support/examples.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using tessera::test::HttpClient;

namespace {

using tessera::test::example_plan;

void run_seed_flow(const std::string& store_url) {
    tessera::test::ServerOptions options;
    options.store = store_url;
    tessera::test::ServerProcess server(options);
    HttpClient client(server.base_url());

    const std::string plan = example_plan();
    const auto id = boost::json::parse(plan).at("objectId").as_string();
    const std::string path = "/api/plans/" + std::string(id);

    auto created = client.request("POST", "/api/plans/", {}, plan);
    REQUIRE(created.status == 201);
    CHECK(created.header("Location") == path);
    const std::string etag = created.header("ETag");
    REQUIRE_FALSE(etag.empty());

    auto duplicate = client.request("POST", "/api/plans/", {}, plan);
    CHECK(duplicate.status == 409);

    auto read = client.get(path);
    CHECK(read.status == 200);
    CHECK(read.header("ETag") == etag);
    CHECK(boost::json::parse(read.body) == boost::json::parse(plan));

    CHECK(client.get(path, {{"If-None-Match", etag}}).status == 304);

    auto patched = client.request("PATCH", path, {{"Content-Type", "application/merge-patch+json"}, {"If-Match", etag}},
                                  R"({"planType":"outOfNetwork"})");
    REQUIRE(patched.status == 200);
    const std::string new_etag = patched.header("ETag");
    CHECK(new_etag != etag);
    CHECK(boost::json::parse(patched.body).at("planType").as_string() == "outOfNetwork");

    auto stale = client.request("PATCH", path, {{"Content-Type", "application/merge-patch+json"}, {"If-Match", etag}},
                                R"({"planType":"inNetwork"})");
    CHECK(stale.status == 412);
    CHECK(stale.header("Content-Type") == "application/problem+json");

    CHECK(client.get(path, {{"If-None-Match", etag}}).status == 200);  // the old tag no longer matches

    auto invalid = client.request("PATCH", path, {{"Content-Type", "application/merge-patch+json"}},
                                  R"({"planCostShares":{"deductible":"lots"}})");
    CHECK(invalid.status == 422);

    auto listed = client.get("/api/plans/");
    CHECK(listed.status == 200);
    CHECK(boost::json::parse(listed.body).as_array().size() == 1);

    CHECK(client.request("DELETE", path).status == 204);
    CHECK(client.get(path).status == 404);
    CHECK(client.get("/readyz").status == 200);
}

}  // namespace

TEST_SUITE("crud.memory") {
    TEST_CASE("crud: seed 000 flow over HTTP (memory store)") { run_seed_flow("memory:"); }
}

TEST_SUITE("crud.sqlite") {
    TEST_CASE("crud: seed 000 flow over HTTP (SQLite store)") {
        tessera::test::TempDir dir;
        run_seed_flow("sqlite:" + (dir.path() / "t.db").string());
    }

    TEST_CASE("crud: documents survive a server restart (SQLite store)") {
        tessera::test::TempDir dir;
        tessera::test::ServerOptions options;
        options.store = "sqlite:" + (dir.path() / "t.db").string();
        options.schemas = TESSERA_SOURCE_DIR "/tests/data/schemas";
        std::string etag;
        {
            tessera::test::ServerProcess server(options);
            HttpClient client(server.base_url());
            auto created = client.request("POST", "/api/counters/keep", {}, R"({"value":41})");
            REQUIRE(created.status == 201);
            etag = created.header("ETag");
        }
        tessera::test::ServerProcess server(options);
        HttpClient client(server.base_url());
        auto read = client.get("/api/counters/keep");
        CHECK(read.status == 200);
        CHECK(read.header("ETag") == etag);
    }
}

TEST_SUITE("crud.redis") {
    TEST_CASE("crud: seed 000 flow over HTTP (Redis store)") {
        tessera::test::RedisServer redis;
        run_seed_flow(redis.url("/0?prefix=e2e"));
    }

    TEST_CASE("crud: Redis down gives 503 with Retry-After, and the server recovers by itself") {
        tessera::test::RedisServer redis;
        tessera::test::ServerOptions options;
        options.store = redis.url("/0?prefix=down&timeout_ms=300");
        options.schemas = TESSERA_SOURCE_DIR "/tests/data/schemas";
        tessera::test::ServerProcess server(options);
        HttpClient client(server.base_url());
        REQUIRE(client.request("POST", "/api/counters/r", {}, R"({"value":1})").status == 201);
        redis.stop();
        auto down = client.get("/api/counters/r");
        CHECK(down.status == 503);
        CHECK_FALSE(down.header("Retry-After").empty());
        CHECK(client.get("/readyz").status == 503);
        CHECK(client.get("/healthz").status == 200);  // alive, just not ready
        redis.start();  // no persistence: the data is gone, but service resumes
        CHECK(client.get("/readyz").status == 200);
        CHECK(client.request("POST", "/api/counters/r", {}, R"({"value":2})").status == 201);
        auto metrics = client.get("/metrics");
        CHECK(metrics.body.find("tessera_store_errors_total{code=\"unavailable\"}") != std::string::npos);
    }
}
