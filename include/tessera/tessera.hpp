#pragma once
/// @file tessera/tessera.hpp
/// @brief Umbrella header for programs that use Tessera: the whole public API in one include.
///
/// For consumers only (as `<boost/json.hpp>` is for Boost.JSON): Tessera's own sources include the
/// headers they use. A module's headers are added here when the module lands (`package.headers`
/// fails while one is missing).

#include <tessera/assert.hpp>
#include <tessera/error.hpp>
#include <tessera/log.hpp>
#include <tessera/result.hpp>
#include <tessera/version.hpp>

#include <tessera/json/canonical.hpp>
#include <tessera/json/equal.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>
#include <tessera/json/pointer.hpp>
#include <tessera/json/text.hpp>

#include <tessera/schema/annotations.hpp>
#include <tessera/schema/registry.hpp>

#include <tessera/store/memory_store.hpp>
#include <tessera/store/store.hpp>

#include <tessera/model/collection.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/model/etag.hpp>
#include <tessera/model/ids.hpp>

#include <tessera/events/cloud_event.hpp>
#include <tessera/events/event_bus.hpp>
#include <tessera/events/relay.hpp>

#include <tessera/remote/circuit_breaker.hpp>
#include <tessera/remote/http_client.hpp>
#include <tessera/remote/retry.hpp>

#include <tessera/cache/cache.hpp>
#include <tessera/cache/lru_cache.hpp>

#include <tessera/search/catalog.hpp>
#include <tessera/search/indexer.hpp>
#include <tessera/search/query.hpp>
#include <tessera/search/query_string.hpp>
#include <tessera/search/search_index.hpp>

#include <tessera/auth/authenticator.hpp>
#include <tessera/auth/jwt.hpp>
#include <tessera/auth/rate_limiter.hpp>
#include <tessera/auth/static_tokens.hpp>

#include <tessera/rest/api.hpp>
#include <tessera/rest/message.hpp>
#include <tessera/rest/problem.hpp>
