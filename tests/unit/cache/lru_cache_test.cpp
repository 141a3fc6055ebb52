// The in-process LRU cache: both bounds, recency, TTL on an injected clock, fill tickets against
// concurrent writers, a hammer from 8 threads, and the URLs Cache::open accepts.

#include <tessera/cache/lru_cache.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace tessera;
using namespace std::chrono_literals;
using cache::Cache;
using cache::CacheOptions;
using cache::LruCache;

namespace {

// A clock the test moves by hand; callable from any thread.
struct ManualClock {
    std::shared_ptr<std::atomic<std::int64_t>> ms = std::make_shared<std::atomic<std::int64_t>>(1'000'000);
    std::function<std::chrono::steady_clock::time_point()> function() const {
        return [ms = ms] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms->load())); };
    }
    void advance(std::chrono::milliseconds by) const { *ms += by.count(); }
};

std::optional<std::string> get(Cache& cache, std::string_view key) { return cache.get(key).value(); }

std::size_t cost(std::string_view key, std::string_view value) {
    return key.size() + value.size() + LruCache::kEntryOverhead;
}

CacheOptions bounds(std::size_t entries, std::size_t bytes = std::size_t{64} << 20) {
    CacheOptions options;
    options.max_entries = entries;
    options.max_bytes = bytes;
    return options;
}

}  // namespace

TEST_SUITE("cache") {
    TEST_CASE("LruCache: holds at most max_entries, evicting the oldest") {
        LruCache cache(bounds(4));
        for (int i = 0; i < 5; ++i) REQUIRE(cache.put("k" + std::to_string(i), "v", cache::kNoExpiry));
        CHECK_FALSE(get(cache, "k0"));
        for (int i = 1; i < 5; ++i) CHECK(get(cache, "k" + std::to_string(i)) == "v");
        const auto stats = cache.stats();
        CHECK(stats.entries == 4);
        CHECK(stats.evictions == 1);
        CHECK(stats.puts == 5);
        CHECK(stats.bytes == 4 * cost("k1", "v"));
    }

    TEST_CASE("LruCache: holds at most max_bytes, counting key + value + kEntryOverhead") {
        const std::string value(100, 'x');
        LruCache cache(bounds(100, 3 * cost("k0", value)));
        for (int i = 0; i < 3; ++i) REQUIRE(cache.put("k" + std::to_string(i), value, cache::kNoExpiry));
        CHECK(cache.stats().evictions == 0);
        CHECK(cache.stats().bytes == 3 * cost("k0", value));
        REQUIRE(cache.put("k3", value, cache::kNoExpiry));
        CHECK(cache.stats().evictions == 1);
        CHECK(cache.stats().entries == 3);
        CHECK_FALSE(get(cache, "k0"));
        // One bigger entry pushes out as many old ones as it takes.
        REQUIRE(cache.put("big", std::string(250, 'y'), cache::kNoExpiry));
        CHECK(cache.stats().entries == 2);
        CHECK(cache.stats().bytes <= 3 * cost("k0", value));
        CHECK(get(cache, "big") == std::string(250, 'y'));
        CHECK(get(cache, "k3") == value);
    }

    TEST_CASE("LruCache: a get refreshes an entry; the least recently used goes first") {
        LruCache cache(bounds(3));
        for (const char* key : {"a", "b", "c"}) REQUIRE(cache.put(key, key, cache::kNoExpiry));
        CHECK(get(cache, "a") == "a");  // now b is the oldest
        REQUIRE(cache.put("d", "d", cache::kNoExpiry));
        CHECK_FALSE(get(cache, "b"));
        CHECK(get(cache, "a") == "a");
        // Recency now a, d, c (newest first). A put refreshes too: c becomes the newest, d the oldest.
        REQUIRE(cache.put("c", "c2", cache::kNoExpiry));
        REQUIRE(cache.put("e", "e", cache::kNoExpiry));
        CHECK_FALSE(get(cache, "d"));
        CHECK(get(cache, "c") == "c2");
        CHECK(get(cache, "a") == "a");
        CHECK(get(cache, "e") == "e");
        CHECK(cache.stats().evictions == 2);
    }

    TEST_CASE("LruCache: an entry is never served once its TTL has passed") {
        ManualClock clock;
        CacheOptions options = bounds(10);
        options.clock = clock.function();
        LruCache cache(options);
        REQUIRE(cache.put("short", "1", 100ms));
        REQUIRE(cache.put("forever", "2", cache::kNoExpiry));
        REQUIRE(cache.put("huge", "3", std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max() / 2)));
        clock.advance(99ms);
        CHECK(get(cache, "short") == "1");
        clock.advance(1ms);
        CHECK_FALSE(get(cache, "short"));  // expires at exactly its TTL
        CHECK(cache.stats().expirations == 1);
        CHECK(cache.stats().entries == 2);
        clock.advance(std::chrono::hours(24 * 365 * 10));
        CHECK(get(cache, "forever") == "2");
        CHECK(get(cache, "huge") == "3");

        SUBCASE("a TTL of 0 or less stores nothing and drops the old entry") {
            REQUIRE(cache.put("forever", "new", 0ms));
            CHECK_FALSE(get(cache, "forever"));
            REQUIRE(cache.put("huge", "new", -5ms));
            CHECK_FALSE(get(cache, "huge"));
            CHECK(cache.stats().rejected == 2);
            CHECK(cache.stats().entries == 0);
        }
    }

    TEST_CASE("LruCache: overwriting adjusts the bytes") {
        LruCache cache(bounds(10));
        REQUIRE(cache.put("k", std::string(1000, 'a'), cache::kNoExpiry));
        CHECK(cache.stats().bytes == cost("k", std::string(1000, 'a')));
        REQUIRE(cache.put("k", "b", cache::kNoExpiry));
        CHECK(cache.stats().bytes == cost("k", "b"));
        CHECK(cache.stats().entries == 1);
        CHECK(get(cache, "k") == "b");
        REQUIRE(cache.erase("k"));
        CHECK(cache.stats().bytes == 0);
        CHECK(cache.stats().entries == 0);
        CHECK_FALSE(get(cache, "k"));
    }

    TEST_CASE("LruCache: entries over the limits are not stored, and drop what they replace") {
        CacheOptions options = bounds(10, 1000);
        options.max_key_bytes = 8;
        options.max_value_bytes = 500;
        LruCache cache(options);
        REQUIRE(cache.put("k", "old", cache::kNoExpiry));
        REQUIRE(cache.put("k", std::string(501, 'x'), cache::kNoExpiry));
        CHECK_FALSE(get(cache, "k"));  // never the value the put replaced
        REQUIRE(cache.put("123456789", "v", cache::kNoExpiry));
        CHECK_FALSE(get(cache, "123456789"));
        REQUIRE(cache.put("k", std::string(500, 'x'), cache::kNoExpiry));
        CHECK(get(cache, "k") == std::string(500, 'x'));
        // Within max_value_bytes but more than the byte bound can hold.
        LruCache small(bounds(10, 300));
        REQUIRE(small.put("k", std::string(200, 'x'), cache::kNoExpiry));
        CHECK_FALSE(get(small, "k"));
        CHECK(cache.stats().rejected == 2);
        CHECK(small.stats().rejected == 1);
        CHECK(small.stats().entries == 0);
    }

    TEST_CASE("LruCache: keys and values are bytes, NULs included") {
        LruCache cache(bounds(10));
        const std::string key("a\0b", 3);
        const std::string value("\0\xff\0", 3);
        REQUIRE(cache.put(key, value, cache::kNoExpiry));
        CHECK(get(cache, key) == value);
        CHECK_FALSE(get(cache, "a"));
        CHECK_FALSE(get(cache, std::string("a\0c", 3)));
    }

    TEST_CASE("LruCache: a fill loses to a put, erase or clear since its lookup") {
        LruCache cache(bounds(10));
        auto fill_after = [&](auto&& writer, std::string_view key = "doc") {
            const auto looked = cache.lookup(key).value();
            REQUIRE_FALSE(looked.value);
            writer();
            return cache.fill(key, "read before the write", cache::kNoExpiry, looked.ticket).value();
        };
        CHECK_FALSE(fill_after([&] { REQUIRE(cache.clear()); }, "fresh"));
        CHECK_FALSE(get(cache, "fresh"));
        CHECK_FALSE(fill_after([&] { REQUIRE(cache.erase("doc")); }));
        CHECK_FALSE(get(cache, "doc"));
        CHECK_FALSE(fill_after([&] { REQUIRE(cache.clear()); }));
        CHECK_FALSE(get(cache, "doc"));
        CHECK_FALSE(fill_after([&] {
            REQUIRE(cache.put("doc", "new", cache::kNoExpiry));
            REQUIRE(cache.erase("doc"));
        }));
        CHECK_FALSE(get(cache, "doc"));
        CHECK_FALSE(fill_after([&] { REQUIRE(cache.put("doc", "new", cache::kNoExpiry)); }));
        CHECK(get(cache, "doc") == "new");
        REQUIRE(cache.erase("doc"));

        // Writes to other keys do not get in the way (they may share a guard slot by chance; these do not).
        CHECK(fill_after([&] { REQUIRE(cache.put("other", "x", cache::kNoExpiry)); }));
        CHECK(get(cache, "doc") == "read before the write");
        // A second fill of the same miss finds the entry there and stores nothing.
        REQUIRE(cache.erase("doc"));
        const auto looked = cache.lookup("doc").value();
        CHECK(cache.fill("doc", "first", cache::kNoExpiry, looked.ticket).value());
        CHECK_FALSE(cache.fill("doc", "second", cache::kNoExpiry, looked.ticket).value());
        CHECK(get(cache, "doc") == "first");
        CHECK(cache.lookup("doc").value().value == "first");
        CHECK(cache.stats().rejected == 6);
    }

    TEST_CASE("LruCache: 8 threads hammering keep the bounds and the counters consistent") {
        constexpr std::size_t kEntries = 600;  // 2 shards of 300
        constexpr std::size_t kBytes = 600 * 200;
        LruCache cache(bounds(kEntries, kBytes));
        std::atomic<std::uint64_t> gets{0};
        std::atomic<std::uint64_t> hits{0};
        std::atomic<bool> wrong_value{false};
        std::atomic<bool> done{false};
        std::atomic<bool> over_bounds{false};
        std::thread watcher([&] {
            while (!done) {
                const auto stats = cache.stats();
                if (*stats.entries > kEntries || *stats.bytes > kBytes) over_bounds = true;
            }
        });
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                std::mt19937 random(static_cast<unsigned>(t));
                for (int i = 0; i < 20000; ++i) {
                    const std::string key = "key-" + std::to_string(random() % 2000);
                    const std::string value = key + ":" + std::string(random() % 100, 'v');
                    switch (random() % 4) {
                        case 0: (void)cache.put(key, value, cache::kNoExpiry); break;
                        case 1: (void)cache.erase(key); break;
                        case 2: {
                            const auto looked = cache.lookup(key).value();
                            ++gets;
                            if (looked.value) {
                                ++hits;
                                if (!looked.value->starts_with(key + ":")) wrong_value = true;
                            } else {
                                (void)cache.fill(key, value, cache::kNoExpiry, looked.ticket);
                            }
                            break;
                        }
                        default: {
                            const auto found = cache.get(key).value();
                            ++gets;
                            if (found) {
                                ++hits;
                                if (!found->starts_with(key + ":")) wrong_value = true;
                            }
                        }
                    }
                }
            });
        }
        for (auto& thread : threads) thread.join();
        done = true;
        watcher.join();
        const auto stats = cache.stats();
        CHECK_FALSE(wrong_value);
        CHECK_FALSE(over_bounds);
        CHECK(stats.hits == hits);
        CHECK(stats.hits + stats.misses == gets);
        CHECK(*stats.entries <= kEntries);
        CHECK(*stats.bytes <= kBytes);
        CHECK(stats.hits > 0);
        CHECK(*stats.evictions > 0);
        // The byte count is the sum of what is held: erasing everything brings it to 0.
        for (int k = 0; k < 2000; ++k) REQUIRE(cache.erase("key-" + std::to_string(k)));
        CHECK(cache.stats().entries == 0);
        CHECK(cache.stats().bytes == 0);
    }

    TEST_CASE("LruCache: clear drops every entry") {
        LruCache cache(bounds(10000));
        for (int i = 0; i < 5000; ++i) REQUIRE(cache.put(std::to_string(i), "v", cache::kNoExpiry));
        CHECK(cache.stats().entries == 5000);
        REQUIRE(cache.clear());
        CHECK(cache.stats().entries == 0);
        CHECK(cache.stats().bytes == 0);
        CHECK_FALSE(get(cache, "42"));
    }

    TEST_CASE("LruCache: Cache::open takes lru:, off and none, and refuses bad URLs") {
        auto defaults = Cache::open("lru:").value();
        CHECK(defaults->backend() == "lru");

        auto two = Cache::open("lru:2").value();
        for (const char* key : {"a", "b", "c"}) REQUIRE(two->put(key, "v", cache::kNoExpiry));
        CHECK(two->stats().entries == 2);

        auto by_bytes = Cache::open("lru:100?bytes=1KiB").value();
        REQUIRE(by_bytes->put("a", std::string(600, 'x'), cache::kNoExpiry));
        REQUIRE(by_bytes->put("b", std::string(600, 'x'), cache::kNoExpiry));
        CHECK(by_bytes->stats().entries == 1);
        CHECK(by_bytes->stats().bytes <= 1024);
        CHECK(Cache::open("lru:10?bytes=1000").value()->backend() == "lru");
        CHECK(Cache::open("lru:10?bytes=64MiB&bytes=1GiB").value()->backend() == "lru");

        for (const char* name : {"off", "none"}) {
            auto off = Cache::open(name).value();
            CHECK(off->backend() == "off");
            REQUIRE(off->put("a", "v", cache::kNoExpiry));
            CHECK_FALSE(get(*off, "a"));
            CHECK(off->stats().misses == 1);
        }

        for (const char* bad : {"", "lru", "lru:0", "lru:x", "lru:-1", "lru:10x", "lru:10?", "lru:10?bytes=0",
                                "lru:10?bytes=1TiB", "lru:10?bytes=", "lru:10?entries=5", "memory:", "mysql://x",
                                "LRU:10", "offf"}) {
            CAPTURE(bad);
            const auto opened = Cache::open(bad);
            REQUIRE_FALSE(opened);
            CHECK(opened.error().code() == ErrorCode::invalid);
        }
        // A bad Redis URL is refused before any connection is tried, without its password in the message.
        for (const char* bad : {"redis://:hunter2@/0", "redis://u:hunter2@host:99999", "redis://:hunter2@h/x"}) {
            CAPTURE(bad);
            const auto opened = Cache::open(bad);
            REQUIRE_FALSE(opened);
            if (opened.error().code() == ErrorCode::unsupported) continue;  // Redis compiled out
            CHECK(opened.error().code() == ErrorCode::invalid);
            CHECK(opened.error().message().find("hunter2") == std::string::npos);
            CHECK(opened.error().message().find("***") != std::string::npos);
        }
    }
}
