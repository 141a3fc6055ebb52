#pragma once
/// @file tessera/rest/api.hpp
/// @brief `rest::Api`: the REST interface over an `Engine`, independent of any HTTP library.

#include <tessera/json/parse.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/rest/message.hpp>

#include <cstddef>
#include <memory>

namespace tessera::rest {

/// Options of the REST layer. Field comments give defaults.
struct ApiOptions {
    std::size_t default_page_size = 100;  ///< `limit` when a list request gives none. Default 100.
    std::size_t max_page_size = 1000;     ///< Largest accepted `limit`. Default 1000.
    json::ParseLimits limits;             ///< Request body limits. Default 1 MiB, depth 64.
};

/// Routes requests to the engine's collections:
/// `/api/<collection>/` (GET list, POST create, OPTIONS) and `/api/<collection>/{id}` (GET, HEAD,
/// POST, PUT, PATCH, DELETE, OPTIONS), plus each collection's `x-tessera` route aliases; and
/// `/healthz`, `/readyz`, `/metrics` (Prometheus text, with the event relay and bus metrics),
/// `/openapi.json` (OpenAPI 3.1); and the event admin routes: `GET /api/_events` (relay, outbox and
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
