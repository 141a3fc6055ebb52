// Object graphs (seed 000's plans and their entities) against the durable backends.

#include "support/graph_contract.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <unistd.h>

namespace {

std::unique_ptr<tessera::store::Store> open_or_fail(const std::string& url) {
    auto store = tessera::store::Store::open(url);
    REQUIRE_MESSAGE(store, (store ? "" : store.error().to_string()));
    return std::move(*store);
}

}  // namespace

TEST_SUITE("graph.sqlite") {
    TEST_CASE("graph contract: SQLite store") {
        tessera::test::TempDir dir;
        std::atomic<int> n{0};
        tessera::test::run_graph_contract(
            [&] { return open_or_fail("sqlite:" + (dir.path() / ("g" + std::to_string(++n) + ".db")).string()); });
    }
}

#ifdef TESSERA_WITH_REDIS
TEST_SUITE("graph.redis") {
    TEST_CASE("graph contract: Redis store") {
        static tessera::test::RedisServer server;
        static std::atomic<int> n{0};
        tessera::test::run_graph_contract([&] {
            return open_or_fail(server.url("/0?prefix=g" + std::to_string(getpid()) + "-" + std::to_string(++n)));
        });
    }
}
#endif
