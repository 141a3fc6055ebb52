#pragma once
// Private: the rate limiter whose buckets live in Redis, shared by every replica.

#include <tessera/auth/rate_limiter.hpp>

namespace tessera::auth::internal {

/// Opens a Redis-backed limiter for `url` (`redis://…`, as the store's URLs; `prefix` names the keys,
/// default "tessera"). Connects once to load the script. Errors: `invalid` URL, `unavailable`.
Result<std::unique_ptr<RateLimiter>> open_redis_rate_limiter(std::string_view url, const RateLimiterOptions& options);

}  // namespace tessera::auth::internal
