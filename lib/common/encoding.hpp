#pragma once
// Private: byte encodings shared by modules — base64url without padding (RFC 4648 §5: ETags, JWTs,
// tokens) and lower-case hex (hashes).

#include <optional>
#include <string>
#include <string_view>

namespace tessera::common {

/// base64url of `bytes`, without padding.
std::string base64url_encode(std::string_view bytes);

/// The bytes of unpadded base64url `text`, or nullopt if it is not exactly that: a character outside
/// the URL alphabet, padding, a length of 4k+1, or unused trailing bits that are not zero (so every
/// byte string has one encoding).
std::optional<std::string> base64url_decode(std::string_view text);

/// Lower-case hex of `bytes`.
std::string hex(std::string_view bytes);

}  // namespace tessera::common
