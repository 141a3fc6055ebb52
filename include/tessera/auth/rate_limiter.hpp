#pragma once
/// @file tessera/auth/rate_limiter.hpp
/// @brief Token-bucket rate limits per client, in process or shared by replicas through Redis.

#include <tessera/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::auth {

/// A token bucket: `burst` requests at once, refilled at `per_second`.
struct RateLimit {
    double per_second = 0;  ///< 0: unlimited.
    double burst = 0;       ///< Bucket size; at least 1 when limited.

    bool unlimited() const noexcept { return per_second <= 0; }
    bool operator==(const RateLimit&) const = default;
};

/// Parses "100/s", "6000/min" or "360000/h" (with `burst` = the rate per second if not given
/// separately). Errors: `invalid`, saying the expected form.
Result<RateLimit> parse_rate(std::string_view text);

/// The outcome of one check, with what the RateLimit header fields report.
struct RateDecision {
    bool allowed = true;
    double limit = 0;                        ///< The bucket size (RateLimit-Limit).
    double remaining = 0;                    ///< Requests left now (RateLimit-Remaining).
    std::chrono::milliseconds reset{0};      ///< Until the bucket is full again (RateLimit-Reset).
    std::chrono::milliseconds retry_after{0};  ///< Until one request is allowed (Retry-After), if refused.
};

/// Options of `RateLimiter::open`. Field comments give defaults.
struct RateLimiterOptions {
    /// Buckets held in memory; beyond, full (idle) buckets are dropped, then the least recently used.
    /// Default 100,000.
    std::size_t max_buckets = 100000;
    /// Redis connect and command timeout. Default 500 ms. On a Redis failure a check is allowed (a
    /// rate limiter that is down must not take the API down) and logged.
    std::chrono::milliseconds redis_timeout{500};
};

/// Takes one request from `key`'s bucket. Thread-safe: checks on one key are exact under concurrency.
class RateLimiter {
public:
    /// `memory:` (buckets in this process) or `redis://host:port/db[?prefix=…]` (buckets shared by
    /// every replica, one Lua script per check, timed by Redis's clock). Errors: `invalid` URL;
    /// `unsupported` (Redis compiled out).
    static Result<std::unique_ptr<RateLimiter>> open(std::string_view url, const RateLimiterOptions& options = {});
    virtual ~RateLimiter() = default;

    /// Takes a token from `key`'s bucket under `limit` (refused, not taken, if there is none).
    virtual RateDecision acquire(std::string_view key, const RateLimit& limit) = 0;
    /// "memory" or "redis".
    virtual std::string_view backend() const noexcept = 0;
};

}  // namespace tessera::auth
