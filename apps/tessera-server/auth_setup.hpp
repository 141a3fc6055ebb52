#pragma once
// tessera-server's authentication set-up: the token sources the configuration names (or the
// first-start tokens file), whether /metrics and /openapi.json are open, and the rate limiter —
// all turned into rest::ApiOptions. The checks themselves live in the library (auth, rest).

#include "config.hpp"

#include <tessera/rest/api.hpp>
#include <tessera/result.hpp>

#include <memory>

namespace tessera::server {

/// What the server needs to keep: the authenticator (reloaded on SIGHUP), null with --auth off.
struct AuthSetup {
    std::shared_ptr<auth::Authenticator> authenticator;
};

/// Fills `options`' auth and rate-limit fields from `config`. With auth on and no token source, creates
/// ./var/tokens with one admin token and prints that token once on stderr. Errors: `invalid` (--auth off
/// on a public address without --allow-remote-without-auth; a bad key or tokens file), `not_found`.
Result<AuthSetup> set_up_auth(const Config& config, rest::ApiOptions& options);

/// True if `host` (as given to --listen) is a loopback address or "localhost".
bool is_loopback(std::string_view host);

}  // namespace tessera::server
