// Backoff with full jitter, what is retried and how often, and calls through a circuit breaker:
// sleeping and randomness are injected, so nothing here waits.

#include <tessera/remote/retry.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

using namespace tessera;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// Records the waits instead of waiting; draws a fixed value.
struct Recorder {
    std::vector<milliseconds> sleeps;
    double uniform = 0.5;
    remote::RetryOptions options() {
        remote::RetryOptions out;
        out.sleep = [this](milliseconds wait) { sleeps.push_back(wait); };
        out.random = [this] { return uniform; };
        return out;
    }
};

// A dependency that fails with `code` for its first `failures` calls, then answers 42.
struct Flaky {
    ErrorCode code = ErrorCode::unavailable;
    int failures = 1'000'000;
    int calls = 0;
    Result<int> operator()() {
        ++calls;
        if (calls <= failures) return Error(code, "attempt " + std::to_string(calls));
        return 42;
    }
};

}  // namespace

TEST_SUITE("remote") {
    TEST_CASE("backoff: the ceiling grows by the multiplier up to max_delay, and never overflows") {
        const remote::RetryPolicy policy;  // 100 ms, x2, capped at 2 s
        const std::vector<milliseconds> expected{100ms, 200ms, 400ms, 800ms, 1600ms, 2000ms, 2000ms};
        for (int attempt = 1; attempt <= 7; ++attempt) {
            CAPTURE(attempt);
            CHECK(remote::backoff_ceiling(policy, attempt) == expected[static_cast<std::size_t>(attempt - 1)]);
        }
        CHECK(remote::backoff_ceiling(policy, 100000) == 2000ms);
        CHECK(remote::backoff_ceiling(remote::RetryPolicy{5, 300ms, 1000ms, 1.0}, 9) == 300ms);
        CHECK(remote::backoff_ceiling(remote::RetryPolicy{5, 0ms, 1000ms, 2.0}, 2000) == 0ms);
        CHECK(remote::backoff_ceiling(remote::RetryPolicy{5, 500ms, 200ms, 2.0}, 1) == 200ms);
    }

    TEST_CASE("backoff: full jitter spreads the wait over [0, ceiling]") {
        const remote::RetryPolicy policy;
        CHECK(remote::backoff_delay(policy, 3, 0.0) == 0ms);
        CHECK(remote::backoff_delay(policy, 3, 0.5) == 200ms);
        CHECK(remote::backoff_delay(policy, 3, 0.25) == 100ms);
        CHECK(remote::backoff_delay(policy, 3, std::nextafter(1.0, 0.0)) == 399ms);
        CHECK(remote::backoff_delay(policy, 40, 0.5) == 1000ms);  // half the cap, not half of 100 * 2^39
        // Out of range draws are clamped, never stretched past the ceiling.
        CHECK(remote::backoff_delay(policy, 3, -1.0) == 0ms);
        CHECK(remote::backoff_delay(policy, 3, 7.0) == 400ms);
        CHECK(remote::backoff_delay(policy, 3, std::nan("")) == 0ms);
        for (int attempt = 1; attempt <= 10; ++attempt) {
            for (int k = 0; k < 1000; ++k) {
                const auto delay = remote::backoff_delay(policy, attempt, k / 1000.0);
                CHECK(delay >= 0ms);
                CHECK(delay <= remote::backoff_ceiling(policy, attempt));
            }
        }
    }

    TEST_CASE("with_retry: a success is returned at once") {
        Recorder recorder;
        Flaky flaky{ErrorCode::unavailable, 0};
        auto result = remote::with_retry(remote::RetryPolicy{}, flaky, recorder.options());
        CHECK(result.value() == 42);
        CHECK(flaky.calls == 1);
        CHECK(recorder.sleeps.empty());
    }

    TEST_CASE("with_retry: an error that is not retryable is returned without a retry") {
        Recorder recorder;
        Flaky flaky;
        SUBCASE("invalid") { flaky.code = ErrorCode::invalid; }
        SUBCASE("malformed") { flaky.code = ErrorCode::malformed; }
        SUBCASE("not_found") { flaky.code = ErrorCode::not_found; }
        SUBCASE("internal") { flaky.code = ErrorCode::internal; }
        SUBCASE("rate_limited") { flaky.code = ErrorCode::rate_limited; }
        auto result = remote::with_retry(remote::RetryPolicy{}, flaky, recorder.options());
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().code() == flaky.code);
        CHECK(flaky.calls == 1);
        CHECK(recorder.sleeps.empty());
    }

    TEST_CASE("with_retry: retryable errors are tried max_attempts times in all, with jittered waits") {
        Recorder recorder;
        Flaky flaky;
        remote::RetryPolicy policy;
        SUBCASE("unavailable") {}
        SUBCASE("timeout") { flaky.code = ErrorCode::timeout; }
        SUBCASE("5 attempts") { policy.max_attempts = 5; }
        SUBCASE("1 attempt: no retry") { policy.max_attempts = 1; }
        auto result = remote::with_retry(policy, flaky, recorder.options());
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().code() == flaky.code);
        CHECK(flaky.calls == policy.max_attempts);
        CHECK(result.error().message() == "attempt " + std::to_string(policy.max_attempts));  // the last one's
        REQUIRE(recorder.sleeps.size() == static_cast<std::size_t>(policy.max_attempts - 1));
        for (std::size_t i = 0; i < recorder.sleeps.size(); ++i) {
            CHECK(recorder.sleeps[i] == remote::backoff_delay(policy, static_cast<int>(i) + 1, 0.5));
        }
    }

    TEST_CASE("with_retry: a later success ends the retries") {
        Recorder recorder;
        recorder.uniform = 0.9;
        Flaky flaky{ErrorCode::timeout, 2};
        auto result = remote::with_retry(remote::RetryPolicy{}, flaky, recorder.options());
        CHECK(result.value() == 42);
        CHECK(flaky.calls == 3);
        CHECK(recorder.sleeps == std::vector<milliseconds>{90ms, 180ms});
    }

    TEST_CASE("with_retry: commands (Result<void>) and move-only values") {
        Recorder recorder;
        int calls = 0;
        auto command = remote::with_retry(
            remote::RetryPolicy{},
            [&]() -> Result<void> {
                if (++calls < 2) return Error(ErrorCode::unavailable, "down");
                return {};
            },
            recorder.options());
        CHECK(command.has_value());
        CHECK(calls == 2);
        auto owned = remote::with_retry(remote::RetryPolicy{}, [] { return Result<std::unique_ptr<int>>(std::make_unique<int>(7)); },
                                        recorder.options());
        CHECK(**owned == 7);
    }

    TEST_CASE("with_retry: a dependency's own retry_after is the least wait; beyond max_delay it ends the retries") {
        Recorder recorder;
        recorder.uniform = 0;
        int calls = 0;
        milliseconds asked{0};
        auto attempt = [&]() -> Result<int> {
            ++calls;
            Error busy(ErrorCode::unavailable, "busy");
            busy.set_retry_after(asked);
            return busy;
        };
        SUBCASE("within max_delay") {
            asked = 1500ms;
            (void)remote::with_retry(remote::RetryPolicy{}, attempt, recorder.options());
            CHECK(calls == 3);
            CHECK(recorder.sleeps == std::vector<milliseconds>{1500ms, 1500ms});
        }
        SUBCASE("beyond max_delay") {
            asked = 30s;
            auto result = remote::with_retry(remote::RetryPolicy{}, attempt, recorder.options());
            CHECK(calls == 1);
            CHECK(recorder.sleeps.empty());
            CHECK(result.error().retry_after() == 30s);
        }
    }

    TEST_CASE("with_retry: the default randomness stays within the ceiling") {
        std::vector<milliseconds> sleeps;
        remote::RetryOptions options;
        options.sleep = [&](milliseconds wait) { sleeps.push_back(wait); };
        const remote::RetryPolicy policy{40, 100ms, 2000ms, 2.0};
        Flaky flaky;
        (void)remote::with_retry(policy, flaky, options);
        REQUIRE(sleeps.size() == 39);
        bool varied = false;
        for (std::size_t i = 0; i < sleeps.size(); ++i) {
            CHECK(sleeps[i] <= remote::backoff_ceiling(policy, static_cast<int>(i) + 1));
            if (i > 0 && sleeps[i] != sleeps[i - 1]) varied = true;
        }
        CHECK(varied);
    }

    TEST_CASE("call: every attempt holds a permit; only retryable errors count against the dependency") {
        remote::CircuitBreaker breaker;
        Recorder recorder;
        for (int i = 0; i < 20; ++i) {
            Flaky flaky{ErrorCode::invalid};  // the caller's fault, answered by a healthy dependency
            CHECK(remote::call(breaker, remote::RetryPolicy{}, flaky, recorder.options()).error().code() ==
                  ErrorCode::invalid);
        }
        CHECK(breaker.state() == remote::BreakerState::closed);
        CHECK(breaker.stats().successes == 20);
        CHECK(breaker.stats().failures == 0);

        Flaky flaky{ErrorCode::unavailable, 2};
        CHECK(remote::call(breaker, remote::RetryPolicy{}, flaky, recorder.options()).value() == 42);
        CHECK(breaker.stats().failures == 2);
        CHECK(breaker.stats().successes == 21);
        CHECK(breaker.stats().abandoned == 0);
    }

    TEST_CASE("call: once the breaker opens, retries stop at once and the dependency is not called") {
        std::atomic<std::int64_t> now_ms{1'000'000};
        remote::BreakerOptions options;
        options.failure_threshold = 2;
        options.clock = [&] { return std::chrono::steady_clock::time_point(milliseconds(now_ms.load())); };
        remote::CircuitBreaker breaker(options);
        Recorder recorder;
        const remote::RetryPolicy policy{5, 100ms, 2000ms, 2.0};
        Flaky down;

        auto first = remote::call(breaker, policy, down, recorder.options());
        CHECK(down.calls == 2);                   // the second failure opened the breaker
        CHECK(recorder.sleeps.size() == 1);       // no wait before a refusal already known
        REQUIRE_FALSE(first.has_value());
        CHECK(first.error().code() == ErrorCode::unavailable);
        CHECK(first.error().retry_after() == 5000ms);

        for (int i = 0; i < 10; ++i) {
            auto refused = remote::call(breaker, policy, down, recorder.options());
            CHECK(refused.error().retry_after().has_value());
        }
        CHECK(down.calls == 2);
        CHECK(recorder.sleeps.size() == 1);
        CHECK(breaker.stats().rejected == 11);

        // The dependency comes back; the breaker finds out by itself once its open period is over.
        Flaky up{ErrorCode::unavailable, 0};
        now_ms += 5000;
        CHECK(remote::call(breaker, policy, up, recorder.options()).value() == 42);
        CHECK(breaker.state() == remote::BreakerState::closed);
        CHECK(remote::call(breaker, policy, up, recorder.options()).value() == 42);
        CHECK(up.calls == 2);
    }
}
