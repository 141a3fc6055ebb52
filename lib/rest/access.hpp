#pragma once
// Private: who may call a route — the bearer token checked against the route's required scope, then
// the caller's token bucket — before `rest::Api` hands the request to a handler.

#include <tessera/rest/api.hpp>
#include <tessera/rest/message.hpp>

#include "rest/router.hpp"

#include <optional>

namespace tessera::rest::internal {

/// What a route needs from its caller.
struct Requirement {
    bool open = false;          // no token needed
    auth::Access access = auth::Access::read;
    std::string_view collection;  // "" : a scope for every collection (or, with any_scope, none at all)
    bool any_scope = false;       // a valid token is enough (a target no route matches)
};

/// The requirement of `method` on `route` under `options`.
Requirement requirement_of(const Route& route, std::string_view method, const ApiOptions& options);

/// Authentication and rate limiting for one Api. Immutable; thread-safe.
class Gate {
public:
    explicit Gate(const ApiOptions& options) : options_(options) {}

    /// nullopt if the request may go on — then `extra` holds the RateLimit fields to add to the
    /// answer, and `route.subject` the principal's subject; else the refusal (401, 403 or 429
    /// problem) to send instead.
    std::optional<Response> admit(const Request& request, Route& route, Headers& extra) const;

    /// True if a check may wait on the network (a Redis rate limiter).
    bool may_block() const noexcept;

private:
    // Takes a token from `key`'s bucket; the refusal if there is none.
    std::optional<Response> limit(std::string_view key, const auth::RateLimit& limit, const Route& route, Headers& extra) const;
    const auth::RateLimit& limit_for(const auth::Principal& principal) const noexcept;

    const ApiOptions& options_;
};

}  // namespace tessera::rest::internal
