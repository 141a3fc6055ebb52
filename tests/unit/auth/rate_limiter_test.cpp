// The in-process token bucket: burst, refill, exactness under threads, bounded memory.

#include <tessera/auth/rate_limiter.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace tessera;

TEST_SUITE("auth") {
    TEST_CASE("parse_rate: N/s, N/min, N/h") {
        CHECK(auth::parse_rate("100/s").value() == auth::RateLimit{100, 100});
        CHECK(auth::parse_rate("60/min").value().per_second == doctest::Approx(1));
        CHECK(auth::parse_rate("7200/h").value().per_second == doctest::Approx(2));
        CHECK(auth::parse_rate("30/min").value().burst == 1);  // a bucket holds at least one request
        for (const char* bad : {"100", "0/s", "-1/s", "10/day", "x/s", "/s", ""}) {
            CAPTURE(bad);
            CHECK(auth::parse_rate(bad).error().code() == ErrorCode::invalid);
        }
        CHECK(auth::RateLimiter::open("mysql://x").error().code() == ErrorCode::invalid);
    }

    TEST_CASE("a bucket gives its burst, then refuses with when to retry; keys are separate") {
        auto limiter = auth::RateLimiter::open("memory:").value();
        const auth::RateLimit limit{0.01, 3};  // one token per 100 s: no refill during the test
        for (int i = 0; i < 3; ++i) {
            const auto decision = limiter->acquire("a", limit);
            CHECK(decision.allowed);
            CHECK(decision.remaining == 2 - i);
            CHECK(decision.limit == 3);
        }
        const auto refused = limiter->acquire("a", limit);
        CHECK_FALSE(refused.allowed);
        CHECK(refused.retry_after > std::chrono::seconds(90));
        CHECK(refused.reset > std::chrono::seconds(290));
        CHECK(limiter->acquire("b", limit).allowed);
        CHECK(limiter->acquire("a", auth::RateLimit{}).allowed);  // unlimited
    }

    TEST_CASE("exact under concurrency: 8 threads share one bucket of 1000") {
        auto limiter = auth::RateLimiter::open("memory:").value();
        const auth::RateLimit limit{0.001, 1000};
        std::atomic<int> allowed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 500; ++i) allowed += limiter->acquire("shared", limit).allowed ? 1 : 0;
            });
        }
        for (auto& thread : threads) thread.join();
        CHECK(allowed == 1000);
    }

    TEST_CASE("memory stays bounded: beyond max_buckets, buckets are forgotten") {
        auth::RateLimiterOptions options;
        options.max_buckets = 160;  // 10 per shard
        auto limiter = auth::RateLimiter::open("memory:", options).value();
        const auth::RateLimit limit{0.001, 1};
        for (int i = 0; i < 100000; ++i) CHECK(limiter->acquire("client-" + std::to_string(i), limit).allowed);
    }
}
