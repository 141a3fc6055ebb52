#pragma once
/// @file tessera/remote/retry.hpp
/// @brief Retry with exponential backoff and full jitter, alone or through a circuit breaker.

#include <tessera/error.hpp>
#include <tessera/remote/circuit_breaker.hpp>
#include <tessera/result.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace tessera::remote {

/// How often and how patiently a retryable failure is tried again. Field comments give defaults.
struct RetryPolicy {
    /// Attempts in all, the first one included; 1: no retry. Default 3.
    int max_attempts = 3;
    /// The longest wait before the second attempt. Default 100 ms.
    std::chrono::milliseconds initial_delay{100};
    /// The cap on any wait between attempts. Default 2 s.
    std::chrono::milliseconds max_delay{2000};
    /// Growth of the longest wait from one attempt to the next. Default 2.0.
    double multiplier = 2.0;

    bool operator==(const RetryPolicy&) const = default;
};

/// The longest wait after the `attempt`-th attempt failed (1-based):
/// `min(max_delay, initial_delay * multiplier^(attempt - 1))`; never overflows.
std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int attempt) noexcept;

/// The wait after the `attempt`-th attempt failed, with AWS's "full jitter": `uniform` (a draw in
/// [0, 1); values outside are clamped) scales `backoff_ceiling`, so the result lies in
/// [0, ceiling]. Pure: the randomness comes in as `uniform`.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double uniform) noexcept;

/// How `with_retry` and `call` wait and draw; tests inject both so that they never sleep.
struct RetryOptions {
    /// Waits between attempts. Default (empty): `std::this_thread::sleep_for` — it blocks the
    /// calling thread, so call from a worker, never from an I/O thread.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// Draws uniformly from [0, 1). Default (empty): a per-thread `std::mt19937_64` seeded from
    /// `std::random_device`.
    std::function<double()> random;
};

namespace detail {

// The non-template core of with_retry and call. `attempt` runs one attempt and returns its error
// (owned by the caller, valid until the next call), or null on success. Returns the breaker's
// refusal if one ended the run, else nothing: the last attempt's result stands.
std::optional<Error> retry_loop(const RetryPolicy& policy,
                                const RetryOptions& options,
                                CircuitBreaker* breaker,
                                const std::function<const Error*()>& attempt);

template <class R>
inline constexpr bool kIsResult = false;
template <class T>
inline constexpr bool kIsResult<Result<T>> = true;

template <class F>
std::remove_cvref_t<std::invoke_result_t<F&>> run(const RetryPolicy& policy,
                                                   F& attempt,
                                                   const RetryOptions& options,
                                                   CircuitBreaker* breaker) {
    using R = std::remove_cvref_t<std::invoke_result_t<F&>>;
    static_assert(kIsResult<R>, "an attempt returns a tessera::Result");
    std::optional<R> last;
    std::optional<Error> refusal = retry_loop(policy, options, breaker, [&]() -> const Error* {
        last.reset();
        last.emplace(std::invoke(attempt));
        return last->has_value() ? nullptr : &last->error();
    });
    if (refusal) return R(std::move(*refusal));
    return std::move(*last);
}

}  // namespace detail

/// Calls `attempt()` (which returns a `tessera::Result<T>`) until it succeeds, fails with an error
/// that is not `retryable()` (only `unavailable` and `timeout` are: an `invalid` would fail again),
/// or `policy.max_attempts` are spent, waiting `backoff_delay` between attempts. A failure whose
/// `retry_after()` is longer than `policy.max_delay` ends the retries (the dependency asked for more
/// patience than the policy has); a shorter one is the least wait. Returns the last attempt's
/// result. Only what is safe to repeat belongs in `attempt` (reads, idempotent writes). An
/// exception from `attempt` is not retried; it propagates. Requires: `policy.max_attempts` ≥ 1,
/// `policy.multiplier` ≥ 1.
template <class F>
auto with_retry(const RetryPolicy& policy, F&& attempt, const RetryOptions& options = {}) {
    return detail::run(policy, attempt, options, nullptr);
}

/// `with_retry` through `breaker`: each attempt first takes a permit and records its outcome on
/// it (a retryable error is a failure of the dependency; success and any other error are
/// successes — the dependency answered, a 400 is the caller's fault). When the breaker refuses (it
/// is open, perhaps from this very call's failures) the retries stop without calling the
/// dependency or waiting, and the refusal is returned: `unavailable` with `retry_after()`, for a 503
/// with Retry-After. Requires: as `with_retry`.
///
/// **Example**
///     auto hits = remote::call(breaker, policy, [&] { return index.search(query); });
///     if (!hits) return rest::make_problem(hits.error());  // 503 + Retry-After while open
template <class F>
auto call(CircuitBreaker& breaker, const RetryPolicy& policy, F&& attempt, const RetryOptions& options = {}) {
    return detail::run(policy, attempt, options, &breaker);
}

}  // namespace tessera::remote
