#pragma once
/// @file tessera/json/canonical.hpp
/// @brief Canonical serialisation: one text per JSON value, the input to strong ETags.

#include <boost/json/value.hpp>

#include <string>

namespace tessera::json {

/// Serialises `value` canonically, in the spirit of RFC 8785 (JCS):
/// - object members sorted by key (byte-wise comparison of the UTF-8 key);
/// - no insignificant whitespace;
/// - numbers: integers (int64/uint64) as decimal integers; a double with an integral value of
///   magnitude below 2^53 as that integer ("1.0" → "1"); other doubles in the shortest
///   round-trip form, ECMAScript style ("0.1", "1e+21", "1.5e-7"); -0 as "0";
///   NaN and infinity cannot occur in parsed JSON and serialise as "null";
/// - strings with the minimal escapes of RFC 8785 (\" \\ \b \f \n \r \t, other controls as \u00xx).
/// Two values that compare equal as JSON documents produce the same text.
std::string to_canonical(const boost::json::value& value);

/// Returns `value` with every object's members reordered by key, recursively (the order
/// `to_canonical` uses), so ordinary serialisation of the result has canonical key order.
boost::json::value sorted(const boost::json::value& value);

}  // namespace tessera::json
