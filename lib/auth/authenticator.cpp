#include <tessera/auth/authenticator.hpp>

#include <tessera/assert.hpp>
#include <tessera/json/text.hpp>
#include <tessera/schema/annotations.hpp>

#include <algorithm>

namespace tessera::auth {
namespace {

std::optional<Access> parse_access(std::string_view text) {
    if (text == "read") return Access::read;
    if (text == "write") return Access::write;
    if (text == "admin") return Access::admin;
    return std::nullopt;
}

class AnyOf final : public Authenticator {
public:
    explicit AnyOf(std::vector<std::unique_ptr<Authenticator>> authenticators)
        : authenticators_(std::move(authenticators)) {}

    Result<Principal> authenticate(std::string_view token) const override {
        // Those that recognise the token's form first: a JWT is not hashed against the tokens file.
        std::optional<Error> chosen;
        for (const bool recognised : {true, false}) {
            for (const auto& authenticator : authenticators_) {
                if (authenticator->recognises(token) != recognised) continue;
                auto principal = authenticator->authenticate(token);
                if (principal) return principal;
                if (!chosen) chosen = std::move(principal).error();
            }
        }
        return std::move(*chosen);
    }

    Result<void> reload() override {
        std::optional<Error> first;
        for (auto& authenticator : authenticators_) {
            auto reloaded = authenticator->reload();
            if (!reloaded && !first) first = std::move(reloaded).error();
        }
        if (first) return std::move(*first);
        return {};
    }

private:
    std::vector<std::unique_ptr<Authenticator>> authenticators_;
};

}  // namespace

std::string_view to_string(Access access) noexcept {
    switch (access) {
        case Access::read: return "read";
        case Access::write: return "write";
        case Access::admin: return "admin";
    }
    return "read";
}

std::string Scope::to_string() const {
    std::string text = collection.empty() ? std::string() : collection + ":";
    return text.append(auth::to_string(access));
}

Result<Scope> parse_scope(std::string_view text) {
    const auto colon = text.rfind(':');
    const auto level = parse_access(colon == std::string_view::npos ? text : text.substr(colon + 1));
    Scope scope;
    if (level) scope.access = *level;
    if (colon != std::string_view::npos) scope.collection = std::string(text.substr(0, colon));
    if (!level || (colon != std::string_view::npos && !schema::is_collection_name(scope.collection))) {
        return Error(ErrorCode::invalid,
                     "'" + json::excerpt(text) + "' is not a scope (read, write, admin, or <collection>:<one of them>)",
                     {{"scope", json::excerpt(text)}});
    }
    return scope;
}

Result<std::vector<Scope>> parse_scopes(std::string_view text) {
    std::vector<Scope> scopes;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto end = std::min(text.find_first_of(" ,", at), text.size());
        if (end > at) {
            auto scope = parse_scope(text.substr(at, end - at));
            if (!scope) return std::move(scope).error();
            if (std::find(scopes.begin(), scopes.end(), *scope) == scopes.end()) scopes.push_back(std::move(*scope));
        }
        at = end + 1;
    }
    return scopes;
}

bool Principal::allows(Access access, std::string_view collection) const noexcept {
    return std::any_of(scopes.begin(), scopes.end(), [&](const Scope& scope) {
        return scope.access >= access && (scope.collection.empty() || (!collection.empty() && scope.collection == collection));
    });
}

std::unique_ptr<Authenticator> any_of(std::vector<std::unique_ptr<Authenticator>> authenticators) {
    TESSERA_ASSERT(!authenticators.empty());
    if (authenticators.size() == 1) return std::move(authenticators.front());
    return std::make_unique<AnyOf>(std::move(authenticators));
}

bool looks_like_jwt(std::string_view token) noexcept {
    return std::count(token.begin(), token.end(), '.') == 2;
}

}  // namespace tessera::auth
