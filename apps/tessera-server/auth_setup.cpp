#include "auth_setup.hpp"

#include <tessera/auth/jwt.hpp>
#include <tessera/auth/static_tokens.hpp>
#include <tessera/log.hpp>

#include <boost/asio/ip/address.hpp>

#include <cstdio>
#include <filesystem>

namespace tessera::server {
namespace {

constexpr const char* kFirstStartTokens = "./var/tokens";

// The first start with auth on and nothing configured: one admin token, shown once, as Jupyter does.
Result<std::unique_ptr<auth::Authenticator>> first_start_tokens() {
    const std::filesystem::path path = kFirstStartTokens;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        std::filesystem::create_directories(path.parent_path(), ec);
        auto token = auth::append_new_token(path, {auth::Scope{auth::Access::admin, ""}}, "admin, created at first start");
        if (!token) return std::move(token).error();
        log::warn("server", "created a tokens file with one admin token (printed once on stderr)", {{"file", path.string()}});
        std::fprintf(stderr,
                     "\ntessera-server: no token source was configured, so %s was created with one admin token.\n"
                     "It is shown only now (the file keeps its SHA-256); mint more with `tessera token create`.\n\n"
                     "    export TOKEN=%s\n\n",
                     path.c_str(), token->c_str());
        std::fflush(stderr);
    }
    auto tokens = auth::StaticTokens::open(path);
    if (!tokens) return std::move(tokens).error();
    return std::unique_ptr<auth::Authenticator>(std::move(*tokens));
}

Result<std::unique_ptr<auth::Authenticator>> make_authenticator(const Config& config) {
    std::vector<std::unique_ptr<auth::Authenticator>> sources;
    if (!config.tokens_file.empty()) {
        auto tokens = auth::StaticTokens::open(config.tokens_file);
        if (!tokens) return std::move(tokens).error();
        if ((*tokens)->size() == 0) log::warn("server", "the tokens file holds no token", {{"file", config.tokens_file}});
        sources.push_back(std::move(*tokens));
    }
    if (!config.jwt_secret_file.empty() || !config.jwt_key_file.empty() || !config.jwks_file.empty()) {
        auth::JwtOptions jwt;
        if (!config.jwt_secret_file.empty()) {
            auto secret = auth::read_secret_file(config.jwt_secret_file);
            if (!secret) return std::move(secret).error();
            jwt.secret = std::move(*secret);
        }
        jwt.key_file = config.jwt_key_file;
        jwt.jwks_file = config.jwks_file;
        jwt.issuer = config.jwt_issuer;
        jwt.audiences = config.jwt_audiences;
        jwt.clock_skew = config.jwt_clock_skew;
        auto verifier = auth::JwtVerifier::open(std::move(jwt));
        if (!verifier) return std::move(verifier).error();
        sources.push_back(std::move(*verifier));
    }
    if (sources.empty()) return first_start_tokens();
    return auth::any_of(std::move(sources));
}

bool exposed(Config::Exposure exposure, bool loopback) {
    return exposure == Config::Exposure::on || (exposure == Config::Exposure::automatic && loopback);
}

}  // namespace

bool is_loopback(std::string_view host) {
    if (host == "localhost") return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(std::string(host), ec);
    return !ec && address.is_loopback();
}

Result<AuthSetup> set_up_auth(const Config& config, rest::ApiOptions& options) {
    AuthSetup setup;
    const bool loopback = is_loopback(config.listen_host);
    if (!config.auth) {
        if (!loopback && !config.allow_remote_without_auth) {
            return Error(ErrorCode::invalid, "--auth off on " + config.listen_host +
                                                 ", which is not a loopback address: anyone who reaches it could write and "
                                                 "delete; add --allow-remote-without-auth if that is what you want");
        }
        log::warn("server", "authentication is off: every route is open to whoever reaches the port",
                  {{"listen", config.listen_host}});
    } else {
        auto authenticator = make_authenticator(config);
        if (!authenticator) return std::move(authenticator).error();
        setup.authenticator = std::shared_ptr<auth::Authenticator>(std::move(*authenticator));
        options.authenticator = setup.authenticator;
        options.open_metrics = exposed(config.public_metrics, loopback);
        options.open_openapi = exposed(config.public_openapi, loopback);
    }
    const bool limited = !config.rate_limit.unlimited() || !config.scope_rate_limits.empty();
    if (limited) {
        auto limiter = auth::RateLimiter::open(config.rate_limit_store);
        if (!limiter) return std::move(limiter).error();
        options.rate_limiter = std::shared_ptr<auth::RateLimiter>(std::move(*limiter));
        options.rate_limit = config.rate_limit;
        options.scope_rate_limits = config.scope_rate_limits;
    }
    return setup;
}

}  // namespace tessera::server
