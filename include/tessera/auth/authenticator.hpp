#pragma once
/// @file tessera/auth/authenticator.hpp
/// @brief Bearer tokens: what a token grants (`Scope`, `Principal`) and the interface that verifies one.

#include <tessera/result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::auth {

/// What a request needs. Each level includes the ones below it: admin ⊇ write ⊇ read.
enum class Access { read, write, admin };

/// "read", "write" or "admin".
std::string_view to_string(Access access) noexcept;

/// One granted scope: a level for every collection ("write"), or for one collection ("plans:write").
struct Scope {
    Access access = Access::read;
    std::string collection;  ///< Empty: every collection (and, for admin, the admin routes).

    /// "write" or "plans:write".
    std::string to_string() const;
    bool operator==(const Scope&) const = default;
};

/// Parses "read", "write", "admin" or "<collection>:<level>". Errors: `invalid`, naming the scope.
Result<Scope> parse_scope(std::string_view text);

/// Parses scopes separated by spaces or commas ("read plans:write"). Errors: `invalid`, naming the
/// first scope that is not one.
Result<std::vector<Scope>> parse_scopes(std::string_view text);

/// Who a verified token speaks for, and what it may do.
struct Principal {
    /// A JWT's `sub`, or "token:<first 12 hex digits of its hash>" for a static token: printable,
    /// at most 256 bytes, never the token. Used in logs and as the rate-limit key.
    std::string subject;
    std::vector<Scope> scopes;
    /// When the grant ends (a JWT's `exp`); `time_point::max()` for a static token.
    std::chrono::system_clock::time_point expires = std::chrono::system_clock::time_point::max();

    /// True if a scope grants `access` on `collection`; an empty `collection` (the admin routes, or
    /// the API as a whole) needs a scope for every collection.
    bool allows(Access access, std::string_view collection) const noexcept;
};

/// Verifies bearer tokens for `rest::Api`. Implement it to plug in another token source.
/// Implementations are thread-safe: `authenticate` runs concurrently on any number of threads.
class Authenticator {
public:
    virtual ~Authenticator() = default;

    /// The principal `token` names. Errors: `unauthorized` with a reason fit for a log and for
    /// RFC 6750's `error_description` (it never repeats the token).
    virtual Result<Principal> authenticate(std::string_view token) const = 0;

    /// True if `token` has the form this authenticator verifies (which of several speaks for a token
    /// none accepts). Default: every token.
    virtual bool recognises(std::string_view token) const noexcept {
        (void)token;
        return true;
    }

    /// Re-reads key material (a JWKS, a token file) after it changed; on failure the previous keys
    /// stay in force and the error says why. Default: nothing to re-read.
    virtual Result<void> reload() { return {}; }
};

/// Tries `authenticators` in order, those that `recognise` the token's form first (a JWT verifier for
/// `x.y.z`, static tokens for the rest), and returns the first principal one grants; if none does,
/// the error of the first tried. `reload` reloads each. Requires: at least one authenticator.
std::unique_ptr<Authenticator> any_of(std::vector<std::unique_ptr<Authenticator>> authenticators);

/// True if `token` has the compact JWS form (three base64url parts separated by dots).
bool looks_like_jwt(std::string_view token) noexcept;

}  // namespace tessera::auth
