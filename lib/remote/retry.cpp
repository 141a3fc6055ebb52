#include <tessera/remote/retry.hpp>

#include <tessera/assert.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

namespace tessera::remote {
namespace {

using std::chrono::milliseconds;

double draw(const RetryOptions& options) {
    if (options.random) return options.random();
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void wait(const RetryOptions& options, milliseconds delay) {
    if (options.sleep) {
        options.sleep(delay);
    } else {
        std::this_thread::sleep_for(delay);
    }
}

}  // namespace

milliseconds backoff_ceiling(const RetryPolicy& policy, int attempt) noexcept {
    const double cap = static_cast<double>(std::max(milliseconds(0), policy.max_delay).count());
    const double initial = static_cast<double>(policy.initial_delay.count());
    if (initial <= 0) return milliseconds(0);
    // In double, where a large exponent becomes infinity and the cap takes over (an integer power
    // would overflow after some 60 doublings).
    const double grown = initial * std::pow(policy.multiplier, std::max(0, attempt - 1));
    return milliseconds(static_cast<milliseconds::rep>(std::min(cap, grown)));
}

milliseconds backoff_delay(const RetryPolicy& policy, int attempt, double uniform) noexcept {
    // !(uniform >= 0) also catches NaN.
    const double u = !(uniform >= 0) ? 0.0 : std::min(uniform, 1.0);
    const double ceiling = static_cast<double>(backoff_ceiling(policy, attempt).count());
    return milliseconds(static_cast<milliseconds::rep>(std::floor(u * ceiling)));
}

namespace detail {

std::optional<Error> retry_loop(const RetryPolicy& policy,
                                const RetryOptions& options,
                                CircuitBreaker* breaker,
                                const std::function<const Error*()>& attempt) {
    TESSERA_ASSERT(policy.max_attempts >= 1);
    TESSERA_ASSERT(policy.multiplier >= 1);
    for (int n = 1;; ++n) {
        std::optional<Permit> permit;
        if (breaker != nullptr) {
            auto admitted = breaker->acquire();
            if (!admitted) return std::move(admitted).error();
            permit.emplace(std::move(*admitted));
        }
        const Error* failure = attempt();
        if (permit) {
            if (failure != nullptr) {
                permit->record(*failure);
            } else {
                permit->record_success();
            }
        }
        if (failure == nullptr || !failure->retryable() || n >= policy.max_attempts) return std::nullopt;

        milliseconds delay = backoff_delay(policy, n, draw(options));
        if (const auto asked = failure->retry_after()) {
            if (*asked > policy.max_delay) return std::nullopt;
            delay = std::max(delay, *asked);
        }
        // This call's own failure may just have opened the breaker: its refusal is known now, and
        // waiting first would only make the caller wait for it.
        if (breaker != nullptr && breaker->state() == BreakerState::open) continue;
        wait(options, delay);
    }
}

}  // namespace detail
}  // namespace tessera::remote
