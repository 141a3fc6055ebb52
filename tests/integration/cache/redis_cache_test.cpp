// The Redis cache against a real redis-server: operations, TTLs that really expire, prefix
// isolation, binary keys and values, fill tickets across replicas, and Redis down or hung.

#include <tessera/cache/cache.hpp>

#include "support/redis_server.hpp"
#include "support/store_contract.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::cache::Cache;
using tessera::cache::CacheOptions;
using tessera::cache::kNoExpiry;
using tessera::test::RedisServer;

// One server for the ordinary tests; each cache gets its own prefix. Tests that stop or pause a
// server start their own.
RedisServer& shared_server() {
    static RedisServer server;
    return server;
}

std::string unique_prefix() {
    static std::atomic<int> counter{0};
    return "c" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

std::unique_ptr<Cache> open_cache(const std::string& url, const CacheOptions& options = {}) {
    auto opened = Cache::open(url, options);
    REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().to_string()));
    return std::move(*opened);
}

std::optional<std::string> get(Cache& cache, std::string_view key) {
    auto found = cache.get(key);
    REQUIRE_MESSAGE(found, (found ? "" : found.error().to_string()));
    return *found;
}

template <class F>
std::chrono::milliseconds time_of(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

void check_every_call_fails_with(Cache& cache, ErrorCode expected) {
    CHECK(cache.get("k").error().code() == expected);
    CHECK(cache.lookup("k").error().code() == expected);
    CHECK(cache.put("k", "v", 1s).error().code() == expected);
    CHECK(cache.fill("k", "v", 1s, {}).error().code() == expected);
    CHECK(cache.erase("k").error().code() == expected);
    CHECK(cache.clear().error().code() == expected);
}

}  // namespace

TEST_SUITE("cache.redis") {
    TEST_CASE("RedisCache: get, put, erase, clear, with counters") {
        const std::string prefix = unique_prefix();
        auto cache = open_cache(shared_server().url("/0?prefix=" + prefix));
        CHECK(cache->backend() == "redis");
        CHECK_FALSE(get(*cache, "a"));
        REQUIRE(cache->put("a", "1", kNoExpiry));
        REQUIRE(cache->put("b", "2", 60s));
        CHECK(get(*cache, "a") == "1");
        CHECK(get(*cache, "b") == "2");
        REQUIRE(cache->put("a", "one", kNoExpiry));
        CHECK(get(*cache, "a") == "one");
        CHECK(shared_server().command({"GET", "{" + prefix + "}:cache:v:a"}) == "one");
        REQUIRE(cache->erase("a"));
        REQUIRE(cache->erase("never-there"));
        CHECK_FALSE(get(*cache, "a"));
        CHECK(get(*cache, "b") == "2");
        for (int i = 0; i < 1200; ++i) REQUIRE(cache->put("many-" + std::to_string(i), "v", 60s));  // > one SCAN batch
        REQUIRE(cache->clear());
        CHECK_FALSE(get(*cache, "b"));
        CHECK_FALSE(get(*cache, "many-7"));
        CHECK(shared_server().command({"KEYS", "{" + prefix + "}:cache:[vi]:*"}).empty());
        const auto stats = cache->stats();
        CHECK(stats.hits == 4);
        CHECK(stats.misses == 4);
        CHECK(stats.puts == 1203);
        CHECK(stats.errors == 0);
        CHECK_FALSE(stats.entries);  // unknown to a Redis cache
    }

    TEST_CASE("RedisCache: an entry's TTL is Redis's, and it really expires") {
        auto cache = open_cache(shared_server().url("/0?prefix=" + unique_prefix()));
        REQUIRE(cache->put("forever", "1", kNoExpiry));
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(cache->put("short", "2", 200ms));
        CHECK(get(*cache, "short") == "2");
        REQUIRE(tessera::test::eventually([&] { return !get(*cache, "short"); }, 3000ms));
        CHECK(std::chrono::steady_clock::now() - start >= 190ms);
        CHECK(get(*cache, "forever") == "1");

        SUBCASE("a TTL of 0 or less stores nothing and drops the old entry") {
            REQUIRE(cache->put("forever", "new", 0ms));
            CHECK_FALSE(get(*cache, "forever"));
            CHECK(cache->stats().rejected == 1);
        }
    }

    TEST_CASE("RedisCache: the TTL is set on the key (PX), none for kNoExpiry") {
        const std::string prefix = unique_prefix();
        auto cache = open_cache(shared_server().url("/0?prefix=" + prefix));
        REQUIRE(cache->put("k", "v", 5000ms));
        const long pttl = std::stol(shared_server().command({"PTTL", "{" + prefix + "}:cache:v:k"}));
        CHECK(pttl > 4000);
        CHECK(pttl <= 5000);
        REQUIRE(cache->put("k", "v", kNoExpiry));
        CHECK(shared_server().command({"PTTL", "{" + prefix + "}:cache:v:k"}) == "-1");
    }

    TEST_CASE("RedisCache: prefixes isolate caches; clear touches only its own cache keys") {
        const std::string prefix = unique_prefix();
        auto a = open_cache(shared_server().url("/0?prefix=" + prefix));
        auto glob = open_cache(shared_server().url("/0?prefix=" + prefix + "*"));  // a glob character
        auto b = open_cache(shared_server().url("/0?prefix=" + prefix + "0"));
        REQUIRE(glob->put("k", "glob", kNoExpiry));
        REQUIRE(b->put("k", "b", kNoExpiry));
        REQUIRE(a->put("k", "a", kNoExpiry));
        CHECK(get(*a, "k") == "a");
        CHECK(get(*glob, "k") == "glob");
        CHECK(get(*b, "k") == "b");
        // Keys beside the cache's, under the same prefix (a store's, say), survive its clear.
        REQUIRE(shared_server().command({"SET", "{" + prefix + "}:d:doc", "store"}) == "OK");
        REQUIRE(shared_server().command({"SET", "{" + prefix + "}:cache-other", "x"}) == "OK");

        REQUIRE(glob->clear());
        CHECK(get(*a, "k") == "a");
        CHECK(get(*b, "k") == "b");
        CHECK_FALSE(get(*glob, "k"));
        REQUIRE(a->erase("k"));
        CHECK(get(*b, "k") == "b");
        REQUIRE(b->put("x", "1", kNoExpiry));
        REQUIRE(a->clear());
        CHECK(get(*b, "x") == "1");
        CHECK(shared_server().command({"GET", "{" + prefix + "}:d:doc"}) == "store");
        CHECK(shared_server().command({"GET", "{" + prefix + "}:cache-other"}) == "x");
    }

    TEST_CASE("RedisCache: keys and values are binary safe") {
        auto cache = open_cache(shared_server().url("/0?prefix=" + unique_prefix()));
        std::string every_byte;
        for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
        const std::string key = std::string("k\0\r\n *?[x]", 11) + every_byte;
        REQUIRE(cache->put(key, every_byte + every_byte, kNoExpiry));
        CHECK(get(*cache, key) == every_byte + every_byte);
        CHECK_FALSE(get(*cache, std::string("k\0", 2)));
        CHECK_FALSE(get(*cache, "k"));
        const auto looked = cache->lookup(key).value();
        CHECK(looked.value == every_byte + every_byte);
        REQUIRE(cache->put("", std::string(3, '\0'), kNoExpiry));  // the empty key is a key
        CHECK(get(*cache, "") == std::string(3, '\0'));
        REQUIRE(cache->erase(key));
        CHECK_FALSE(get(*cache, key));
    }

    TEST_CASE("RedisCache: entries over the limits are not stored, and drop what they replace") {
        CacheOptions options;
        options.max_key_bytes = 8;
        options.max_value_bytes = 100;
        auto cache = open_cache(shared_server().url("/0?prefix=" + unique_prefix()), options);
        REQUIRE(cache->put("k", "old", kNoExpiry));
        REQUIRE(cache->put("k", std::string(101, 'x'), kNoExpiry));
        CHECK_FALSE(get(*cache, "k"));
        REQUIRE(cache->put("123456789", "v", kNoExpiry));
        CHECK_FALSE(get(*cache, "123456789"));
        REQUIRE(cache->put("k", std::string(100, 'x'), kNoExpiry));
        CHECK(get(*cache, "k") == std::string(100, 'x'));
        CHECK(cache->stats().rejected == 2);
    }

    TEST_CASE("RedisCache: a fill loses to another replica's put, erase or clear since its lookup") {
        const std::string url = shared_server().url("/0?prefix=" + unique_prefix());
        auto reader = open_cache(url);
        auto writer = open_cache(url);  // another replica
        auto fill_after = [&](auto&& write, std::string_view key = "doc") {
            const auto looked = reader->lookup(key).value();
            REQUIRE_FALSE(looked.value);
            write();
            return reader->fill(key, "read before the write", 60s, looked.ticket).value();
        };
        // A key never erased (no marker): only the clear's epoch can refuse the fill.
        CHECK_FALSE(fill_after([&] { REQUIRE(writer->clear()); }, "fresh"));
        CHECK_FALSE(get(*reader, "fresh"));
        CHECK_FALSE(fill_after([&] { REQUIRE(writer->erase("doc")); }));
        CHECK_FALSE(get(*reader, "doc"));
        CHECK_FALSE(fill_after([&] { REQUIRE(writer->clear()); }));
        CHECK_FALSE(get(*reader, "doc"));
        CHECK_FALSE(fill_after([&] { REQUIRE(writer->put("doc", "new", 60s)); }));
        CHECK(get(*reader, "doc") == "new");
        REQUIRE(writer->erase("doc"));
        CHECK(fill_after([&] { REQUIRE(writer->put("other", "x", 60s)); }));
        CHECK(get(*writer, "doc") == "read before the write");
        REQUIRE(reader->erase("doc"));
        const auto looked = reader->lookup("doc").value();
        CHECK(reader->fill("doc", "first", kNoExpiry, looked.ticket).value());
        CHECK_FALSE(writer->fill("doc", "second", kNoExpiry, looked.ticket).value());
        CHECK(get(*writer, "doc") == "first");
    }

    TEST_CASE("RedisCache: a ticket from before an erase stays refused after the marker expired") {
        const std::string prefix = unique_prefix();
        CacheOptions options;
        options.invalidation_hold = 100ms;
        auto cache = open_cache(shared_server().url("/0?prefix=" + prefix), options);
        REQUIRE(cache->erase("doc"));
        const auto stale = cache->lookup("doc").value();  // sees the marker of that erase
        REQUIRE(cache->erase("doc"));
        const std::string marker = "{" + prefix + "}:cache:i:doc";
        REQUIRE(tessera::test::eventually([&] { return shared_server().command({"EXISTS", marker}) == "0"; }, 3000ms));
        CHECK_FALSE(cache->fill("doc", "stale", kNoExpiry, stale.ticket).value());
        CHECK_FALSE(get(*cache, "doc"));
        // With the marker gone, a fresh lookup can fill again.
        const auto fresh = cache->lookup("doc").value();
        CHECK(cache->fill("doc", "fresh", kNoExpiry, fresh.ticket).value());
        CHECK(get(*cache, "doc") == "fresh");
    }

    TEST_CASE("RedisCache: Redis down gives unavailable within the timeout; the cache recovers") {
        RedisServer server;
        const std::string url = server.url("/0?prefix=" + unique_prefix() + "&timeout_ms=300");
        auto cache = open_cache(url);
        REQUIRE(cache->put("k", "v", kNoExpiry));
        CHECK(get(*cache, "k") == "v");

        server.kill();
        const auto elapsed = time_of([&] { check_every_call_fails_with(*cache, ErrorCode::unavailable); });
        CHECK(elapsed < 2s);
        CHECK(cache->stats().errors == 6);
        auto cannot_open = Cache::open(url);
        REQUIRE_FALSE(cannot_open);
        CHECK(cannot_open.error().code() == ErrorCode::unavailable);

        server.start();  // no persistence: the entries are gone, the cache object is not
        CHECK_FALSE(get(*cache, "k"));
        REQUIRE(cache->put("k", "back", kNoExpiry));
        CHECK(get(*cache, "k") == "back");
    }

    TEST_CASE("RedisCache: a Redis that stops answering gives timeout within the timeout") {
        RedisServer server;
        CacheOptions options;
        options.redis_timeout = 200ms;  // from the options this time, not the URL
        auto cache = open_cache(server.url("/0?prefix=" + unique_prefix()), options);
        REQUIRE(cache->put("kept", "v", kNoExpiry));
        server.pause();
        const auto elapsed = time_of([&] { check_every_call_fails_with(*cache, ErrorCode::timeout); });
        CHECK(elapsed < 6 * 200ms + 1s);
        server.resume();
        // The calls that timed out were still sent: Redis runs them once it wakes (so "k" may be
        // anything now). Other keys are untouched.
        REQUIRE(tessera::test::eventually([&] { return cache->get("kept").has_value(); }, 3000ms));
        CHECK(get(*cache, "kept") == "v");
    }

    TEST_CASE("RedisCache: open refuses a bad URL and reports an unreachable server") {
        for (const char* bad : {"redis://", "redis://h:0", "redis://h/x", "redis://h?db=1", "redis://h?timeout_ms=0",
                                "redis://h?prefix=a{b}"}) {
            CAPTURE(bad);
            const auto opened = Cache::open(bad);
            REQUIRE_FALSE(opened);
            CHECK(opened.error().code() == ErrorCode::invalid);
        }
        RedisServer server;
        const std::string url = server.url("/0?timeout_ms=300");
        server.stop();
        const auto opened = Cache::open(url);
        REQUIRE_FALSE(opened);
        CHECK(opened.error().code() == ErrorCode::unavailable);
    }
}
