#pragma once
/// @file tessera/json/text.hpp
/// @brief Untrusted bytes on their way into JSON: UTF-8 validation and bounded, printable excerpts.

#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::json {

/// True if `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF). A JSON string must be, so a byte string that is not cannot be put into one as it is.
bool is_valid_utf8(std::string_view text) noexcept;

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

/// `text` made fit for a message, a log line or a problem: at most `max_bytes` bytes of it, then
/// "…" if it was longer; every byte that is not part of well-formed UTF-8, and every control
/// character, written as `\xNN`. The result is valid UTF-8 whatever `text` holds. Never fails.
std::string excerpt(std::string_view text, std::size_t max_bytes = 64);

}  // namespace tessera::json
