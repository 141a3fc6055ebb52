#pragma once
/// @file tessera/json/canonical.hpp
/// @brief Canonical serialisation: one text per JSON value, the input to strong ETags.

#include <boost/json/value.hpp>

#include <string>

namespace tessera::json {

/// Serialises `value` canonically, in the spirit of RFC 8785 (JCS):
/// - object members sorted by key (byte-wise comparison of the UTF-8 key);
/// - no insignificant whitespace;
/// - numbers: integers (int64/uint64) as decimal integers; a double with an integral value in
///   the int64/uint64 range [-2^63, 2^64) as that exact integer ("1.0" → "1", -0 → "0"), so it
///   has the same text as the integer it equals; other doubles in the shortest round-trip form,
///   ECMAScript style ("0.1", "1.5e-7", "123456789012345680000", "1e+21");
///   NaN and infinity cannot occur in parsed JSON and serialise as "null";
/// - strings with the minimal escapes of RFC 8785 (\" \\ \b \f \n \r \t, other controls as \u00xx);
///   all other bytes are written as they are.
/// Two values that `json::equal` calls equal produce the same text, and parsing the text gives an
/// equal value whose text is the same again. Never fails.
/// Unlike RFC 8785: keys sort by UTF-8 bytes, not UTF-16 code units (the orders differ only between
/// characters above U+FFFF and U+E000..U+FFFF); integral doubles in [2^53, 2^64) print exactly,
/// where ECMAScript would round their digits (2^60 → "1152921504606846976", not "…847000").
std::string to_canonical(const boost::json::value& value);

/// Serialises `value` for people and tools that read numbers: like `boost::json::serialize`, members
/// in their own order, but numbers as `to_canonical` writes them (0.001, not 1E-3; 0, not 0E0), and
/// any string byte that is not well-formed UTF-8 replaced by U+FFFD, so the text is always valid JSON.
/// For logs, admin routes and other output that is not an ETag's input. Never fails.
std::string serialize(const boost::json::value& value);

/// Returns `value` with every object's members reordered by key, recursively (the order
/// `to_canonical` uses), so ordinary serialisation of the result has canonical key order.
boost::json::value sorted(const boost::json::value& value);

}  // namespace tessera::json
