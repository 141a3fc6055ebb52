#pragma once
// Private: the OpenSSL primitives the auth module needs, as small value functions. OpenSSL types
// stay in here and in jwt_keys.cpp.

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::auth::internal {

/// SHA-256 of `bytes` (32 raw bytes).
std::string sha256(std::string_view bytes);

/// HMAC-SHA-256 of `message` under `key` (32 raw bytes).
std::string hmac_sha256(std::string_view key, std::string_view message);

/// `count` bytes from OpenSSL's CSPRNG. Throws std::runtime_error if it has no entropy (never on Linux).
std::string random_bytes(std::size_t count);

/// Equality that takes the same time wherever the first difference is (CRYPTO_memcmp); false at once
/// if the sizes differ (sizes are not secret here: hashes and MACs have fixed sizes).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace tessera::auth::internal
