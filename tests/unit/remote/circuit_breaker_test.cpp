// The circuit breaker's states and transitions on an injected clock: opening on failures (count and
// ratio) over a rolling window, refusing with the time to wait, probing, reopening for longer,
// recovering by itself, and consistent counts under threads.

#include <tessera/remote/circuit_breaker.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace tessera;
using namespace std::chrono_literals;
using remote::BreakerState;

namespace {

// Time stands still unless a test moves it; atomic so that threads may share it.
struct FakeClock {
    std::atomic<std::int64_t> ms{3'600'000};
    std::chrono::steady_clock::time_point now() const {
        return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms.load()));
    }
    void advance(std::chrono::milliseconds by) { ms += by.count(); }
};

remote::BreakerOptions options_on(FakeClock& clock) {
    remote::BreakerOptions options;
    options.name = "elasticsearch";
    options.clock = [&clock] { return clock.now(); };
    return options;
}

void fail(remote::CircuitBreaker& breaker, int times) {
    for (int i = 0; i < times; ++i) breaker.acquire().value().record_failure();
}

void succeed(remote::CircuitBreaker& breaker, int times) {
    for (int i = 0; i < times; ++i) breaker.acquire().value().record_success();
}

// Opens `breaker` (default options: 5 failures) and lets its open period pass.
void open_then_wait(remote::CircuitBreaker& breaker, FakeClock& clock, std::chrono::milliseconds open_for = 5s) {
    fail(breaker, 5);
    REQUIRE(breaker.state() == BreakerState::open);
    clock.advance(open_for);
    REQUIRE(breaker.state() == BreakerState::half_open);
}

}  // namespace

TEST_SUITE("remote") {
    TEST_CASE("CircuitBreaker: state names") {
        CHECK(remote::to_string(BreakerState::closed) == "closed");
        CHECK(remote::to_string(BreakerState::open) == "open");
        CHECK(remote::to_string(BreakerState::half_open) == "half_open");
    }

    TEST_CASE("CircuitBreaker: opens after the configured failures, not before") {
        FakeClock clock;
        auto options = options_on(clock);
        int threshold = 5;
        SUBCASE("default threshold") {}
        SUBCASE("threshold 3") { threshold = options.failure_threshold = 3; }
        SUBCASE("threshold 1") { threshold = options.failure_threshold = 1; }
        remote::CircuitBreaker breaker(options);
        fail(breaker, threshold - 1);
        CHECK(breaker.state() == BreakerState::closed);
        fail(breaker, 1);
        CHECK(breaker.state() == BreakerState::open);
        const auto stats = breaker.stats();
        CHECK(stats.state == BreakerState::open);
        CHECK(stats.opened == 1);
        CHECK(stats.failures == static_cast<std::uint64_t>(threshold));
        CHECK(stats.successes == 0);
        CHECK(stats.rejected == 0);
    }

    TEST_CASE("CircuitBreaker: while open it refuses at once, saying how long to wait") {
        FakeClock clock;
        remote::CircuitBreaker breaker(options_on(clock));
        fail(breaker, 5);
        clock.advance(2s);
        auto refused = breaker.acquire();
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.error().code() == ErrorCode::unavailable);
        CHECK(refused.error().retryable());
        CHECK(refused.error().retry_after() == 3000ms);
        CHECK(refused.error().details().at("retry_after_ms").as_int64() == 3000);
        CHECK(refused.error().message().find("elasticsearch") != std::string::npos);
        clock.advance(2999ms);
        CHECK(breaker.acquire().error().retry_after() == 1ms);
        CHECK(breaker.stats().rejected == 2);
        CHECK(breaker.stats().opened == 1);
    }

    TEST_CASE("CircuitBreaker: the failure ratio keeps a busy, mostly healthy dependency closed") {
        FakeClock clock;
        auto options = options_on(clock);
        SUBCASE("ratio 0.5: failures must be half the window's outcomes") {
            remote::CircuitBreaker breaker(options);
            succeed(breaker, 20);
            fail(breaker, 19);  // 19 of 39
            CHECK(breaker.state() == BreakerState::closed);
            fail(breaker, 1);  // 20 of 40
            CHECK(breaker.state() == BreakerState::open);
        }
        SUBCASE("ratio 0: the count alone decides") {
            options.failure_ratio = 0;
            remote::CircuitBreaker breaker(options);
            succeed(breaker, 100);
            fail(breaker, 4);
            CHECK(breaker.state() == BreakerState::closed);
            fail(breaker, 1);
            CHECK(breaker.state() == BreakerState::open);
        }
    }

    TEST_CASE("CircuitBreaker: the rolling window forgets old failures") {
        FakeClock clock;
        remote::CircuitBreaker breaker(options_on(clock));  // 10 s in buckets of 1 s
        fail(breaker, 4);
        SUBCASE("10 s later they are gone") {
            clock.advance(10s);
            fail(breaker, 4);
            CHECK(breaker.state() == BreakerState::closed);
            fail(breaker, 1);
            CHECK(breaker.state() == BreakerState::open);
        }
        SUBCASE("13 s later they are gone, though their bucket was not reused") {
            clock.advance(13s);
            fail(breaker, 4);
            CHECK(breaker.state() == BreakerState::closed);
        }
        SUBCASE("9 s later they still count") {
            clock.advance(9s);
            fail(breaker, 1);
            CHECK(breaker.state() == BreakerState::open);
        }
        SUBCASE("successes roll off as well") {
            succeed(breaker, 100);
            clock.advance(10s);
            fail(breaker, 5);  // 5 of 5 in the window: the 100 successes no longer dilute them
            CHECK(breaker.state() == BreakerState::open);
        }
    }

    TEST_CASE("CircuitBreaker: half-open lets one probe through, and its success closes") {
        FakeClock clock;
        remote::CircuitBreaker breaker(options_on(clock));
        fail(breaker, 5);
        clock.advance(4999ms);
        CHECK(breaker.state() == BreakerState::open);
        clock.advance(1ms);
        CHECK(breaker.state() == BreakerState::half_open);

        auto probe = breaker.acquire();
        REQUIRE(probe.has_value());
        CHECK(probe->is_probe());
        auto second = breaker.acquire();
        REQUIRE_FALSE(second.has_value());
        CHECK(second.error().code() == ErrorCode::unavailable);
        CHECK(second.error().retry_after() == 1000ms);

        probe->record_success();
        CHECK(breaker.state() == BreakerState::closed);
        auto after = breaker.acquire();
        REQUIRE(after.has_value());
        CHECK_FALSE(after->is_probe());
        after->record_success();
        // The window starts afresh: the failures that opened the breaker are not held against it.
        fail(breaker, 4);
        CHECK(breaker.state() == BreakerState::closed);
        CHECK(breaker.stats().opened == 1);
    }

    TEST_CASE("CircuitBreaker: a failed probe reopens it, each time for twice as long, up to the cap") {
        FakeClock clock;
        auto options = options_on(clock);
        options.max_open_duration = 12s;
        remote::CircuitBreaker breaker(options);
        open_then_wait(breaker, clock);

        breaker.acquire().value().record_failure();
        CHECK(breaker.state() == BreakerState::open);
        CHECK(breaker.acquire().error().retry_after() == 10000ms);
        clock.advance(10s);
        breaker.acquire().value().record_failure();
        CHECK(breaker.acquire().error().retry_after() == 12000ms);  // 20 s, capped
        clock.advance(12s);
        breaker.acquire().value().record_success();
        CHECK(breaker.state() == BreakerState::closed);
        CHECK(breaker.stats().opened == 3);

        fail(breaker, 5);  // a fresh opening waits the base period again
        CHECK(breaker.acquire().error().retry_after() == 5000ms);
    }

    TEST_CASE("CircuitBreaker: half_open_probes = 2 takes two successes to close") {
        FakeClock clock;
        auto options = options_on(clock);
        options.half_open_probes = 2;
        remote::CircuitBreaker breaker(options);
        open_then_wait(breaker, clock);
        auto first = breaker.acquire();
        auto second = breaker.acquire();
        REQUIRE(first.has_value());
        REQUIRE(second.has_value());
        CHECK_FALSE(breaker.acquire().has_value());
        first->record_success();
        CHECK(breaker.state() == BreakerState::half_open);
        CHECK_FALSE(breaker.acquire().has_value());  // the first's slot is spent, not free again
        second->record_success();
        CHECK(breaker.state() == BreakerState::closed);
    }

    TEST_CASE("CircuitBreaker: recovers by itself when the dependency does") {
        FakeClock clock;
        remote::CircuitBreaker breaker(options_on(clock));
        bool dependency_up = false;
        int dependency_calls = 0;
        auto request = [&] {
            auto permit = breaker.acquire();
            if (!permit) return false;
            ++dependency_calls;
            if (dependency_up) {
                permit->record_success();
            } else {
                permit->record_failure();
            }
            return dependency_up;
        };
        for (int i = 0; i < 5; ++i) CHECK_FALSE(request());
        CHECK(dependency_calls == 5);
        for (int second = 1; second <= 20; ++second) {
            clock.advance(1s);
            if (second == 12) dependency_up = true;
            request();
        }
        // Down: probes at 5 s (fails, reopens for 10 s), up at 12 s, probe at 15 s closes it.
        CHECK(breaker.state() == BreakerState::closed);
        CHECK(dependency_calls == 5 + 1 + 6);  // the first 5, a probe at 5 s, 15..20 s
        for (int i = 0; i < 10; ++i) CHECK(request());
        const auto stats = breaker.stats();
        CHECK(stats.opened == 2);
        CHECK(stats.failures == 6);
        CHECK(stats.successes == 16);
        CHECK(stats.rejected == 13);  // one call a second at 1..4 s and at 6..14 s
    }

    TEST_CASE("CircuitBreaker: a permit dropped without an outcome counts neither way but frees its probe slot") {
        FakeClock clock;
        remote::CircuitBreaker breaker(options_on(clock));
        for (int i = 0; i < 20; ++i) (void)breaker.acquire();
        CHECK(breaker.stats().abandoned == 20);
        CHECK(breaker.stats().failures == 0);
        CHECK(breaker.state() == BreakerState::closed);

        open_then_wait(breaker, clock);
        {
            auto probe = breaker.acquire();
            REQUIRE(probe.has_value());
            CHECK(probe->is_probe());
            auto moved = std::move(*probe);  // the moved-from permit is empty: it is not abandoned twice
        }
        CHECK(breaker.stats().abandoned == 21);
        CHECK(breaker.state() == BreakerState::half_open);
        auto next = breaker.acquire();
        REQUIRE(next.has_value());
        CHECK(next->is_probe());
        next->record_success();
        CHECK(breaker.state() == BreakerState::closed);
    }

    TEST_CASE("CircuitBreaker: an outcome from before a transition is counted but decides nothing") {
        FakeClock clock;
        auto options = options_on(clock);
        SUBCASE("a call begun while closed ends while half-open") {
            remote::CircuitBreaker breaker(options);
            auto late = breaker.acquire().value();
            open_then_wait(breaker, clock);
            late.record_failure();  // must not reopen the half-open breaker
            CHECK(breaker.state() == BreakerState::half_open);
            CHECK(breaker.stats().failures == 6);
            auto probe = breaker.acquire();
            REQUIRE(probe.has_value());
            CHECK(probe->is_probe());
        }
        SUBCASE("a call begun while closed ends after the breaker closed again") {
            remote::CircuitBreaker breaker(options);
            auto late = breaker.acquire().value();
            open_then_wait(breaker, clock);
            breaker.acquire().value().record_success();
            REQUIRE(breaker.state() == BreakerState::closed);
            fail(breaker, 4);
            late.record_failure();  // not in the new window
            CHECK(breaker.state() == BreakerState::closed);
        }
        SUBCASE("a probe of an earlier half-open period cannot close the breaker") {
            options.half_open_probes = 2;
            remote::CircuitBreaker breaker(options);
            open_then_wait(breaker, clock);
            auto failing = breaker.acquire().value();
            auto slow = breaker.acquire().value();
            failing.record_failure();
            REQUIRE(breaker.state() == BreakerState::open);
            clock.advance(10s);
            REQUIRE(breaker.state() == BreakerState::half_open);
            slow.record_success();  // a success of the last period: this one still needs its own two
            CHECK(breaker.state() == BreakerState::half_open);
            CHECK(breaker.acquire().has_value());
            CHECK(breaker.acquire().has_value());
            CHECK(breaker.stats().successes == 1);
        }
    }

    TEST_CASE("CircuitBreaker: 8 threads through opens and recoveries; the counts add up, one probe at a time") {
        FakeClock clock;
        auto options = options_on(clock);
        options.window = 500ms;  // in 5 buckets of 100 ms
        options.buckets = 5;
        options.open_duration = 100ms;
        options.max_open_duration = 400ms;
        remote::CircuitBreaker breaker(options);
        constexpr int kThreads = 8;
        constexpr int kCalls = 4000;
        std::atomic<int> admitted{0}, refused{0}, succeeded{0}, failed{0}, dropped{0}, without_wait{0};
        std::atomic<int> probes_out{0}, most_probes_out{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kCalls; ++i) {
                    clock.advance(1ms);  // 32 s in all, however the threads are scheduled
                    // The dependency is down one second in two: the breaker opens, probes and
                    // closes again some 16 times.
                    const bool down = (clock.ms.load() / 1000) % 2 == 0;
                    auto permit = breaker.acquire();
                    if (!permit) {
                        if (!permit.error().retry_after()) ++without_wait;
                        ++refused;
                        continue;
                    }
                    ++admitted;
                    if (permit->is_probe()) {
                        const int out = ++probes_out;
                        int most = most_probes_out.load();
                        while (out > most && !most_probes_out.compare_exchange_weak(most, out)) {
                        }
                        --probes_out;
                    }
                    if ((i + t) % 7 == 0) {
                        ++dropped;
                        continue;  // abandoned
                    }
                    if (down) {
                        permit->record_failure();
                        ++failed;
                    } else {
                        permit->record_success();
                        ++succeeded;
                    }
                }
            });
        }
        for (auto& thread : threads) thread.join();
        const auto stats = breaker.stats();
        CHECK(admitted + refused == kThreads * kCalls);
        CHECK(stats.rejected == static_cast<std::uint64_t>(refused.load()));
        CHECK(stats.successes == static_cast<std::uint64_t>(succeeded.load()));
        CHECK(stats.failures == static_cast<std::uint64_t>(failed.load()));
        CHECK(stats.abandoned == static_cast<std::uint64_t>(dropped.load()));
        CHECK(stats.opened >= 10);
        CHECK(refused > 0);
        CHECK(without_wait == 0);
        CHECK(most_probes_out == 1);
    }
}
