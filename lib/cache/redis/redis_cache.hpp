#pragma once
// Private: the cache whose entries live in Redis, shared by every replica.

#include <tessera/cache/cache.hpp>

namespace tessera::cache::internal {

/// Opens a Redis cache for `url` (`redis://…`, as the store's URLs; keys `{prefix}:cache:…`, prefix
/// default "tessera"). Connects once to check the server answers. Errors: `invalid` URL (the message
/// says why, without the URL), `unavailable`, `timeout`.
Result<std::unique_ptr<Cache>> open_redis_cache(std::string_view url, const CacheOptions& options);

}  // namespace tessera::cache::internal
