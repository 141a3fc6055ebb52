#pragma once
// Private: JSON Pointer operations on reference tokens that are already parsed. pointer.cpp's
// public functions and patch.cpp share them, so a JSON Patch parses each pointer once and one
// walker serves both.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

#include <span>
#include <string>

namespace tessera::json {

using Tokens = std::span<const std::string>;

/// The value `tokens` reference in `document` (RFC 6901 §4), or nullptr if there is none.
const boost::json::value* find_at(const boost::json::value& document, Tokens tokens) noexcept;
boost::json::value* find_at(boost::json::value& document, Tokens tokens) noexcept;

/// RFC 6902 "add" at `tokens`. Errors: `not_found`, with a message that does not repeat the
/// pointer (callers prefix it). On error `document` is unchanged.
Result<void> set_at(boost::json::value& document, Tokens tokens, boost::json::value value);

/// Removes and returns the value at `tokens`. Errors: `invalid` for the root, `not_found`.
/// On error `document` is unchanged.
Result<boost::json::value> remove_at(boost::json::value& document, Tokens tokens);

}  // namespace tessera::json
