#pragma once
// Private: the keys a JwtVerifier checks signatures with, each bound to the one algorithm it may
// verify (RFC 8725 §3.1: an RSA public key is never an HMAC secret), and the signature operations.
// OpenSSL types stay behind this header.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::auth::internal {

/// The algorithms Tessera verifies.
enum class Algorithm { hs256, rs256, es256 };

/// "HS256", "RS256", "ES256".
std::string_view to_string(Algorithm algorithm) noexcept;
/// The algorithm a JOSE `alg` names, or nullopt (including "none").
std::optional<Algorithm> parse_algorithm(std::string_view name) noexcept;

/// One verification key.
class VerifyKey {
public:
    /// An HS256 secret of at least 32 bytes. Errors: `invalid`.
    static Result<VerifyKey> from_secret(std::string secret, std::string key_id = {});
    /// A PEM public key (RSA of 2048 bits or more → RS256, EC P-256 → ES256). Errors: `invalid`.
    static Result<VerifyKey> from_pem(std::string_view pem, std::string key_id = {});
    /// One JWK (RFC 7517/7518): kty RSA (n, e), EC (crv P-256, x, y) or oct (k); `alg`, if present,
    /// must be the algorithm its type implies; `use`, if present, must be "sig". Errors: `invalid`.
    static Result<VerifyKey> from_jwk(const boost::json::value& jwk);

    Algorithm algorithm() const noexcept { return algorithm_; }
    const std::string& key_id() const noexcept { return key_id_; }

    /// True if `signature` is this key's signature over `message` (ES256: the 64-byte r||s of RFC 7518
    /// §3.4). Never throws.
    bool verify(std::string_view message, std::string_view signature) const noexcept;

    struct Material;

private:
    VerifyKey(Algorithm algorithm, std::string key_id, std::shared_ptr<const Material> material)
        : algorithm_(algorithm), key_id_(std::move(key_id)), material_(std::move(material)) {}

    Algorithm algorithm_;
    std::string key_id_;
    std::shared_ptr<const Material> material_;
};

/// The keys of a JWK Set document (`{"keys": [...]}`); at least one, key ids unique. Errors:
/// `invalid`, naming the key by index.
Result<std::vector<VerifyKey>> parse_jwks(std::string_view text);

/// The algorithm the PEM private key in `pem` signs with (RSA → RS256, EC P-256 → ES256). Errors: `invalid`.
Result<Algorithm> private_key_algorithm(std::string_view pem);

/// Signs `message` with the PEM private key in `pem`, in the algorithm `private_key_algorithm` names;
/// returns the JWS signature. Errors: `invalid`.
Result<std::string> sign_with_pem(std::string_view pem, std::string_view message);

}  // namespace tessera::auth::internal
