#pragma once
/// @file tessera/rest/api.hpp
/// @brief `rest::Api`: the REST interface over an `Engine`, independent of any HTTP library.

#include <tessera/auth/authenticator.hpp>
#include <tessera/auth/rate_limiter.hpp>
#include <tessera/cache/cache.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/remote/circuit_breaker.hpp>
#include <tessera/remote/retry.hpp>
#include <tessera/rest/message.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/indexer.hpp>
#include <tessera/search/search_index.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace tessera::rest {

/// Search (`GET /api/<c>?q=…`, `POST /api/<c>/_search`, `POST /api/_search`, `?refresh=wait_for` on
/// writes). Field comments give defaults.
struct SearchOptions {
    /// The index; null (the default): no search — the search routes answer 404 and a list request
    /// with search parameters is refused.
    std::shared_ptr<search::SearchIndex> index;
    std::shared_ptr<const search::Catalog> catalog;  ///< What the index holds. Required with `index`.
    /// For the lag and counters in /metrics; may be null.
    std::shared_ptr<const search::Indexer> indexer;
    /// Response cache, keyed by the normalised request and the index generation; null (the default):
    /// none. Answers carry `X-Cache: hit|miss` when there is one.
    std::shared_ptr<cache::Cache> cache;
    std::chrono::milliseconds cache_ttl{60000};  ///< How long a cached answer lives. Default 60 s.
    /// Retry and circuit breaker around the index (the server turns this on for Elasticsearch; an
    /// embedded index has nothing remote to break). Default false.
    bool resilient = false;
    remote::RetryPolicy retry;
    remote::BreakerOptions breaker;
};

/// Options of the REST layer. Field comments give defaults.
struct ApiOptions {
    std::size_t default_page_size = 100;  ///< `limit` when a list request gives none. Default 100.
    std::size_t max_page_size = 1000;     ///< Largest accepted `limit`. Default 1000.
    json::ParseLimits limits;             ///< Request body limits. Default 1 MiB, depth 64.

    /// Verifies `Authorization: Bearer` tokens before a request is routed to a handler. Null (the
    /// default): no authentication, every route open. With one: /healthz and /readyz stay open; GET,
    /// HEAD and OPTIONS on a collection need read on it, other methods write; /api/_events… needs
    /// admin; a target no route matches needs a valid token. No or a bad token → 401, too few scopes
    /// → 403, each with RFC 6750's WWW-Authenticate.
    std::shared_ptr<const auth::Authenticator> authenticator;
    bool open_metrics = true;  ///< With an authenticator: /metrics answers without a token (else admin). Default true.
    bool open_openapi = true;  ///< With an authenticator: /openapi.json answers without a token (else read). Default true.

    /// Token buckets (`auth::RateLimiter`); null (the default): no rate limit. Keys: the principal's
    /// subject, or the client's address (`Request::remote_address`) where no token is needed or the
    /// token failed. Over the limit → 429 with Retry-After; every answer carries RateLimit-Limit,
    /// RateLimit-Remaining, RateLimit-Reset.
    std::shared_ptr<auth::RateLimiter> rate_limiter;
    auth::RateLimit rate_limit;  ///< The limit of a key. Default unlimited.
    /// Per-scope overrides: a principal holding one of these scopes gets the highest of their limits.
    std::vector<std::pair<auth::Scope, auth::RateLimit>> scope_rate_limits;

    SearchOptions search;  ///< Default: no search.
};

/// Routes requests to the engine's collections:
/// `/api/<collection>/` (GET list, POST create, OPTIONS) and `/api/<collection>/{id}` (GET, HEAD,
/// POST, PUT, PATCH, DELETE, OPTIONS), plus each collection's `x-tessera` route aliases; and
/// `/healthz`, `/readyz`, `/metrics` (Prometheus text, with the event relay and bus metrics),
/// `/openapi.json` (OpenAPI 3.1, with the bearer scheme and each operation's scope when there is an
/// authenticator); and the event admin routes: `GET /api/_events` (relay, outbox and
/// bus state), `GET /api/_events/deadletters?limit=N` (dead letters, N 1..1000, default 100), `POST
/// /api/_events/deadletters/replay` (replay all: `{"replayed": n}`) and `POST
/// /api/_events/deadletters/{id}/replay` (replay one; 404 if there is no such dead letter).
/// Thread-safe: `handle` may run concurrently on any number of threads. Move-only.
class Api {
public:
    /// Requires: `engine` outlives the Api.
    explicit Api(model::Engine& engine, ApiOptions options = {});
    Api(Api&&) noexcept;
    Api& operator=(Api&&) noexcept;
    ~Api();

    /// Answers one request. Never throws: failures become problem+json responses (a stray
    /// exception is a 500).
    Response handle(const Request& request) noexcept;

    /// True if answering `request` may wait: on a store that may block (`store::Store::may_block`), on
    /// the event bus, or in a write's retry back-off. False for /healthz, /openapi.json, /metrics (unless
    /// the store may block or the bus is a broker), a
    /// request no route matches or refused before routing, and GET/HEAD/OPTIONS of documents on a store
    /// that never blocks. A server answers the former on worker threads and the latter where it reads
    /// requests. Thread-safe; never throws.
    bool may_block(const Request& request) const noexcept;

    /// The OpenAPI 3.1 document served at /openapi.json.
    const std::string& openapi() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::rest
