#pragma once
// Private: the search endpoints — `GET /api/<collection>?<search parameters>`, `POST
// /api/<collection>/_search`, `POST /api/_search` — with the response cache, the retry and circuit
// breaker around the index, `?refresh=wait_for` on writes, and the search metrics.

#include <tessera/model/engine.hpp>
#include <tessera/remote/circuit_breaker.hpp>
#include <tessera/rest/api.hpp>
#include <tessera/rest/message.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace tessera::rest::internal {

/// Turns an error into the problem response of the request (api.cpp's `failure`).
using FailureFn = std::function<Response(const Error&)>;

class SearchRoutes {
public:
    /// Requires: `engine` and `options` outlive this.
    SearchRoutes(model::Engine& engine, const SearchOptions& options, std::size_t default_page_size, std::size_t max_page_size);

    bool enabled() const noexcept { return static_cast<bool>(options_.index); }

    /// The list endpoint with search parameters; nullopt when the query string has none (cursor
    /// paging applies).
    std::optional<Response> list(const std::string& collection, const std::string& query, const FailureFn& failure);

    /// `POST .../_search` with a DSL body, for `collection` ("" = across collections, or the body's
    /// `collections`).
    Response search(const std::string& collection, const std::string& body, const json::ParseLimits& limits,
                    const FailureFn& failure);

    /// `refresh` of a write's query string: nullopt (absent or false), true for wait_for/true; an
    /// `invalid` error for another value.
    static Result<bool> wants_refresh(const std::string& query);

    /// Applies the captured commits of a write to the index, so a search sees them before the write is
    /// answered. A failure is logged and returned (the write itself is done).
    Result<void> refresh(const model::Engine::CommitCapture& capture);

    /// Prometheus text: searches, cache hits and misses, breaker state, index entries, indexer lag.
    std::string render_metrics() const;

private:
    Response answer(search::SearchRequest request, const FailureFn& failure);
    Result<search::SearchResult> run(const search::SearchRequest& request);
    Result<std::string> render(const search::SearchRequest& request, const search::SearchResult& result);

    model::Engine& engine_;
    const SearchOptions& options_;
    std::size_t default_page_size_;
    std::size_t max_page_size_;
    std::unique_ptr<remote::CircuitBreaker> breaker_;  // remote backends only
    std::atomic<std::uint64_t> searches_{0}, hits_{0}, misses_{0}, failures_{0}, refreshes_{0};
};

}  // namespace tessera::rest::internal
