#pragma once
/// @file tessera/json/parse.hpp
/// @brief Parse JSON text with limits on size and nesting depth; errors carry the byte offset.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace tessera::json {

/// Limits applied while parsing untrusted input.
struct ParseLimits {
    std::size_t max_bytes = 1 << 20;  ///< Longest accepted text, in bytes. Default 1 MiB.
    std::size_t max_depth = 64;       ///< Deepest accepted nesting of arrays/objects. Default 64.
};

/// Parses `text` as one JSON value (RFC 8259; no comments, no trailing commas, UTF-8 checked).
/// Integers that fit become int64 (uint64 above INT64_MAX), other numbers the nearest double (correctly
/// rounded); a number beyond the range of a double is `malformed`, one too small for it is 0, so a
/// parsed value never holds NaN or infinity.
/// Errors: `too_large` if `text` exceeds `max_bytes`; `malformed` for malformed text or nesting
/// deeper than `max_depth`. Both carry `details.offset` (byte offset of the problem) and, for
/// `malformed`, `details.line`/`details.column` (1-based).
Result<boost::json::value> parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace tessera::json
