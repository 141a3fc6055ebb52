#pragma once
/// @file tessera/auth/jwt.hpp
/// @brief JSON Web Tokens (RFC 7519) signed HS256, RS256 or ES256: verifying them, and minting them
/// for development.

#include <tessera/auth/authenticator.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tessera::auth {

/// Where a `JwtVerifier` finds its keys, and what it checks. Exactly one key source must be set.
struct JwtOptions {
    /// HS256 shared secret (at least 32 bytes, RFC 7518 §3.2). Accepts HS256 only.
    std::string secret;
    /// A PEM public key: RSA (at least 2048 bits) accepts RS256 only, EC P-256 accepts ES256 only.
    std::filesystem::path key_file;
    /// A JWK Set (RFC 7517) of RSA, EC P-256 and `oct` keys; a token names its key by `kid` (a token
    /// without one is accepted only if one key fits its `alg`). Re-read by `reload`.
    std::filesystem::path jwks_file;
    /// Required `iss` (empty: any).
    std::string issuer;
    /// Accepted `aud` values (empty: tokens that carry an `aud` are refused, RFC 7519 §4.1.3).
    std::vector<std::string> audiences;
    /// Tolerance for `exp`, `nbf` and `iat` against this clock. Default 60 s.
    std::chrono::seconds clock_skew{60};
    /// Longer tokens are refused before any parsing. Default 8 KiB.
    std::size_t max_token_bytes = 8192;
    /// Verified tokens remembered until they expire, so a token's signature is checked once (by its
    /// SHA-256; 0: no cache). Default 10,000; when full, expired entries go, then all.
    std::size_t cache_entries = 10000;
    /// The clock (tests). Default: `system_clock::now`.
    std::function<std::chrono::system_clock::time_point()> clock;
};

/// Verifies compact JWS tokens (RFC 7515) per RFC 8725: the algorithm is bound to the key (an RSA key
/// is never an HMAC secret), `alg: none` and unknown algorithms are refused, and so are `crit`
/// headers, a `typ` other than JWT / at+jwt, oversized tokens, and base64url or JSON that is not
/// exactly right. Claims: `exp` required, `nbf` and `iat` (not in the future) checked with the clock
/// skew; `iss` and `aud` as configured; `sub` required (the principal's subject: a string of at most
/// 256 printable bytes); scopes from `scope` (space-separated) or `scp` (a string or an array), those
/// that are not Tessera scopes ignored. Thread-safe; `reload` swaps keys under readers and empties
/// the cache.
class JwtVerifier final : public Authenticator {
public:
    /// Loads the keys. Errors: `invalid` (no or several key sources, a weak secret or key, a bad
    /// PEM or JWKS, naming the file and the key), `not_found` / `unavailable` (unreadable file).
    static Result<std::unique_ptr<JwtVerifier>> open(JwtOptions options);
    ~JwtVerifier() override;

    Result<Principal> authenticate(std::string_view token) const override;
    /// Tokens of the form `x.y.z`.
    bool recognises(std::string_view token) const noexcept override;
    Result<void> reload() override;

    struct Impl;

private:
    explicit JwtVerifier(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

/// The HS256 secret in `path` (at most 1 MiB), without the line break an editor leaves at its end.
/// Errors: `not_found` / `unavailable` if it cannot be read.
Result<std::string> read_secret_file(const std::filesystem::path& path);

/// What `mint_jwt` signs.
struct JwtClaims {
    std::string subject;                ///< `sub` (required).
    std::vector<Scope> scopes;          ///< `scope`, space-separated.
    std::chrono::seconds ttl{3600};     ///< `exp` = `iat` + ttl. Default one hour.
    std::string issuer;                 ///< `iss` (empty: none).
    std::string audience;               ///< `aud` (empty: none).
    std::string key_id;                 ///< `kid` in the header (empty: none).
    /// `iat` (default, the epoch: now).
    std::chrono::system_clock::time_point issued_at{};
    /// `nbf` (default, the epoch: none).
    std::chrono::system_clock::time_point not_before{};
};

/// Signs `claims`: HS256 with `secret` if given, else RS256 or ES256 by the type of the PEM private
/// key in `private_key_file`. For development and tests (`tessera token jwt`). Errors: `invalid`
/// (no subject, weak secret, unusable key), `not_found` / `unavailable` (unreadable key file).
Result<std::string> mint_jwt(const JwtClaims& claims, std::string_view secret,
                             const std::filesystem::path& private_key_file);

}  // namespace tessera::auth
