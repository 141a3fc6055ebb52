#pragma once
// Private: the token bucket's arithmetic, shared by the in-process limiter and (as the same steps in
// Lua) the Redis one.

#include <tessera/auth/rate_limiter.hpp>

#include <algorithm>
#include <cmath>

namespace tessera::auth::internal {

struct Bucket {
    double tokens = 0;   // what is left, fractional
    double updated = 0;  // when `tokens` was computed, in seconds
};

/// Refills `bucket` up to `now` and takes one token if there is one.
inline RateDecision take(Bucket& bucket, const RateLimit& limit, double now) {
    bucket.tokens = std::min(limit.burst, bucket.tokens + std::max(0.0, now - bucket.updated) * limit.per_second);
    bucket.updated = now;
    RateDecision decision;
    decision.allowed = bucket.tokens >= 1;
    if (decision.allowed) bucket.tokens -= 1;
    decision.limit = limit.burst;
    decision.remaining = std::floor(bucket.tokens);
    auto millis = [](double seconds) { return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000))); };
    decision.reset = millis((limit.burst - bucket.tokens) / limit.per_second);
    if (!decision.allowed) decision.retry_after = millis((1 - bucket.tokens) / limit.per_second);
    return decision;
}

/// True if `bucket` would be full at `now`: forgetting it changes nothing.
inline bool is_full(const Bucket& bucket, const RateLimit& limit, double now) {
    return bucket.tokens + std::max(0.0, now - bucket.updated) * limit.per_second >= limit.burst;
}

}  // namespace tessera::auth::internal
