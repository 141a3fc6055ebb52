#pragma once
// Private: who may call a route — the bearer token checked against the route's required scope, then
// the caller's token bucket — before `rest::Api` hands the request to a handler.

#include <tessera/rest/api.hpp>
#include <tessera/rest/message.hpp>

#include "rest/router.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

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

    /// `tessera_auth_refused_total{reason}` (invalid_token, insufficient_scope, rate_limited) as
    /// Prometheus text; empty without an authenticator or a rate limiter.
    std::string render_metrics() const;

private:
    enum Reason { invalid_token, insufficient_scope, rate_limited, kReasons };

    // Counts a refusal; true if it may also be logged: at most kMaxLogsPerSecond a second, so a
    // flood of bad tokens is a counter, not a flood of log lines. `suppressed` gets how many went
    // unlogged since the last line.
    bool count_refusal(Reason reason, std::uint64_t& suppressed) const noexcept;
    // Takes a token from `key`'s bucket; the refusal if there is none.
    std::optional<Response> limit(std::string_view key, const auth::RateLimit& limit, const Route& route, Headers& extra) const;
    const auth::RateLimit& limit_for(const auth::Principal& principal) const noexcept;

    const ApiOptions& options_;
    static constexpr std::uint32_t kMaxLogsPerSecond = 20;
    mutable std::array<std::atomic<std::uint64_t>, kReasons> refused_{};
    mutable std::atomic<std::int64_t> log_second_{0};
    mutable std::atomic<std::uint32_t> logged_this_second_{0};
    mutable std::atomic<std::uint64_t> suppressed_{0};
};

}  // namespace tessera::rest::internal
