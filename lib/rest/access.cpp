#include "rest/access.hpp"

#include <tessera/json/text.hpp>
#include <tessera/log.hpp>
#include <tessera/rest/problem.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace tessera::rest::internal {
namespace {

// RFC 6750 §3: error_description is a quoted-string of %x20-21 / %x23-5B / %x5D-7E.
std::string quoted(std::string_view text) {
    std::string out;
    for (const char c : text.substr(0, 200)) {
        const bool allowed = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
        out += allowed ? c : '?';
    }
    return out;
}

std::string challenge(std::string_view error, std::string_view description, std::string_view scope = {}) {
    std::string value = R"(Bearer realm="tessera", error=")" + std::string(error) + "\"";
    if (!description.empty()) value += ", error_description=\"" + quoted(description) + "\"";
    if (!scope.empty()) value += ", scope=\"" + std::string(scope) + "\"";
    return value;
}

std::optional<std::string_view> bearer_token(const Request& request, std::string& why) {
    const auto header = request.headers.get("Authorization");
    if (!header) {
        why = "no bearer token (Authorization: Bearer <token>)";
        return std::nullopt;
    }
    // RFC 6750 §2.1: "Bearer" (case-insensitive, RFC 9110 §11.1), one or more spaces, the token.
    std::string_view value = *header;
    if (value.size() < 7 || !iequals(value.substr(0, 6), "bearer") || value[6] != ' ') {
        why = "the Authorization header is not Bearer <token>";
        return std::nullopt;
    }
    value.remove_prefix(7);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty() || value.find(' ') != std::string_view::npos) {
        why = "the Authorization header is not Bearer <token>";
        return std::nullopt;
    }
    return value;
}

long long whole_seconds(std::chrono::milliseconds ms) { return static_cast<long long>(std::ceil(ms.count() / 1000.0)); }

}  // namespace

Requirement requirement_of(const Route& route, std::string_view method, const ApiOptions& options) {
    Requirement need;
    const bool reads = method == "GET" || method == "HEAD" || method == "OPTIONS";
    switch (route.kind) {
        case Route::Kind::health:
        case Route::Kind::ready: need.open = true; break;
        case Route::Kind::metrics:
            need.open = options.open_metrics;
            need.access = auth::Access::admin;
            break;
        case Route::Kind::openapi: need.open = options.open_openapi; break;
        case Route::Kind::events: need.access = auth::Access::admin; break;
        case Route::Kind::collection:
        case Route::Kind::item:
        case Route::Kind::graph:
            need.access = reads ? auth::Access::read : auth::Access::write;
            need.collection = route.mount->collection->name();
            break;
        case Route::Kind::search:  // a POST that only reads
            need.access = auth::Access::read;
            need.collection = route.mount->collection->name();
            break;
        case Route::Kind::search_all: need.access = auth::Access::read; break;  // read on every collection
        case Route::Kind::none: need.any_scope = true; break;
    }
    if (!options.authenticator) need.open = true;
    return need;
}

std::optional<Response> Gate::admit(const Request& request, Route& route, Headers& extra) const {
    const auto need = requirement_of(route, request.method, options_);
    auto address_key = [&] {
        return "addr:" + (request.remote_address.empty() ? std::string("unknown") : request.remote_address);
    };
    if (need.open) {
        if (!options_.rate_limiter) return std::nullopt;
        return limit(address_key(), options_.rate_limit, route, extra);
    }

    std::string why;
    std::optional<auth::Principal> principal;
    if (const auto token = bearer_token(request, why)) {
        auto verified = options_.authenticator->authenticate(*token);
        if (verified) {
            principal = std::move(*verified);
        } else {
            why = verified.error().message();
        }
    }
    if (!principal) {
        // A failed attempt costs the address a token: guessing tokens is rate limited too.
        if (options_.rate_limiter) {
            if (auto refused = limit(address_key(), options_.rate_limit, route, extra)) return refused;
        }
        std::uint64_t suppressed = 0;
        if (count_refusal(invalid_token, suppressed)) {
            log::info("auth", "refused: invalid token",
                      {{"reason", json::excerpt(why, 200)}, {"address", json::excerpt(request.remote_address)},
                       {"route", route.label}, {"suppressed", suppressed}});
        }
        auto response = make_problem(Error(ErrorCode::unauthorized, "authentication required: " + why), route.path);
        response.headers.set("WWW-Authenticate", challenge("invalid_token", why));
        return response;
    }
    if (options_.rate_limiter) {
        if (auto refused = limit("sub:" + principal->subject, limit_for(*principal), route, extra)) return refused;
    }
    if (need.any_scope || principal->allows(need.access, need.collection)) {
        route.subject = std::move(principal->subject);
        return std::nullopt;
    }

    const std::string scope =
        need.collection.empty() ? std::string(auth::to_string(need.access))
                                : std::string(need.collection) + ":" + std::string(auth::to_string(need.access));
    std::uint64_t suppressed = 0;
    if (count_refusal(insufficient_scope, suppressed)) {
        log::info("auth", "refused: insufficient scope",
                  {{"subject", json::excerpt(principal->subject, 256)}, {"needs", scope}, {"route", route.label},
                   {"suppressed", suppressed}});
    }
    auto response = make_problem(Error(ErrorCode::forbidden, "this needs the scope " + scope, {{"scope", scope}}), route.path);
    response.headers.set("WWW-Authenticate", challenge("insufficient_scope", "this needs the scope " + scope, scope));
    return response;
}

std::optional<Response> Gate::limit(std::string_view key, const auth::RateLimit& limit, const Route& route, Headers& extra) const {
    if (!options_.rate_limiter || limit.unlimited()) return std::nullopt;
    const auto decision = options_.rate_limiter->acquire(key, limit);
    extra.set("RateLimit-Limit", std::to_string(static_cast<long long>(decision.limit)));
    extra.set("RateLimit-Remaining", std::to_string(static_cast<long long>(decision.remaining)));
    extra.set("RateLimit-Reset", std::to_string(whole_seconds(decision.reset)));
    if (decision.allowed) return std::nullopt;
    refused_[rate_limited].fetch_add(1, std::memory_order_relaxed);
    const long long retry = std::max(1LL, whole_seconds(decision.retry_after));
    auto response = make_problem(Error(ErrorCode::rate_limited, "too many requests; retry in " + std::to_string(retry) + " s"),
                                 route.path);
    response.headers.set("Retry-After", std::to_string(retry));
    return response;
}

const auth::RateLimit& Gate::limit_for(const auth::Principal& principal) const noexcept {
    const auth::RateLimit* chosen = nullptr;
    for (const auto& [scope, limit] : options_.scope_rate_limits) {
        const bool held = std::find(principal.scopes.begin(), principal.scopes.end(), scope) != principal.scopes.end();
        if (held && (chosen == nullptr || limit.unlimited() || (!chosen->unlimited() && limit.per_second > chosen->per_second))) {
            chosen = &limit;
        }
    }
    return chosen != nullptr ? *chosen : options_.rate_limit;
}

bool Gate::count_refusal(Reason reason, std::uint64_t& suppressed) const noexcept {
    refused_[reason].fetch_add(1, std::memory_order_relaxed);
    const auto second = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    auto seen = log_second_.load(std::memory_order_relaxed);
    if (seen != second && log_second_.compare_exchange_strong(seen, second)) logged_this_second_.store(0);
    if (logged_this_second_.fetch_add(1) >= kMaxLogsPerSecond) {
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    suppressed = suppressed_.exchange(0);
    return true;
}

std::string Gate::render_metrics() const {
    if (!options_.authenticator && !options_.rate_limiter) return {};
    std::string text =
        "# HELP tessera_auth_refused_total Requests refused before routing, by reason.\n"
        "# TYPE tessera_auth_refused_total counter\n";
    constexpr std::array<std::string_view, kReasons> kNames{"invalid_token", "insufficient_scope", "rate_limited"};
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        text += "tessera_auth_refused_total{reason=\"" + std::string(kNames[i]) + "\"} " +
                std::to_string(refused_[i].load(std::memory_order_relaxed)) + "\n";
    }
    return text;
}

bool Gate::may_block() const noexcept {
    return options_.rate_limiter && options_.rate_limiter->backend() != "memory";
}

}  // namespace tessera::rest::internal
