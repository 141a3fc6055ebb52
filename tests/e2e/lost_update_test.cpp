// No lost update over HTTP: 16 clients each increment a counter 50 times with GET → PATCH If-Match,
// retrying on 412. The final value must equal the number of successful PATCHes (800).

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

TEST_SUITE("lost_update") {
    TEST_CASE("lost update: 16 concurrent clients x 50 If-Match increments = 800") {
        tessera::test::TempDir dir;
        tessera::test::ServerOptions options;
        options.store = "sqlite:" + (dir.path() / "t.db").string();
        options.schemas = TESSERA_SOURCE_DIR "/tests/data/schemas";
        options.extra_args = {"--access-log", "off"};
        tessera::test::ServerProcess server(options);
        {
            tessera::test::HttpClient client(server.base_url());
            REQUIRE(client.request("POST", "/api/counters/shared", {}, R"({"value":0})").status == 201);
        }

        constexpr int kClients = 16;
        constexpr int kIncrements = 50;
        std::atomic<int> successes{0};
        std::atomic<int> precondition_failures{0};
        std::atomic<int> unexpected{0};
        std::vector<std::thread> clients;
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&] {
                tessera::test::HttpClient client(server.base_url());
                for (int done = 0, attempts = 0; done < kIncrements && attempts < 5000; ++attempts) {
                    auto read = client.get("/api/counters/shared");
                    if (read.status != 200) {
                        ++unexpected;
                        continue;
                    }
                    const auto value = boost::json::parse(read.body).at("value").as_int64();
                    auto write = client.request(
                        "PATCH", "/api/counters/shared",
                        {{"Content-Type", "application/merge-patch+json"}, {"If-Match", read.header("ETag")}},
                        R"({"value":)" + std::to_string(value + 1) + "}");
                    if (write.status == 200) {
                        ++successes;
                        ++done;
                    } else if (write.status == 412) {
                        ++precondition_failures;
                    } else {
                        ++unexpected;
                    }
                }
            });
        }
        for (auto& t : clients) t.join();

        tessera::test::HttpClient client(server.base_url());
        const auto final_value = boost::json::parse(client.get("/api/counters/shared").body).at("value").as_int64();
        MESSAGE("412 retries: " << precondition_failures.load());
        CHECK(unexpected.load() == 0);
        CHECK(successes.load() == kClients * kIncrements);
        CHECK(final_value == successes.load());
    }
}
