#pragma once
/// @file tessera/json/equal.hpp
/// @brief JSON value equality as JSON Schema and JSON Patch define it (numbers by value).

#include <boost/json/value.hpp>

namespace tessera::json {

/// True if `a` and `b` are the same JSON value: objects equal member-wise regardless of order,
/// arrays element-wise, numbers by mathematical value (1 == 1.0, int64 and uint64 compared
/// exactly), strings byte-wise. Used by JSON Patch "test", `enum`/`const`, and ETags.
bool equal(const boost::json::value& a, const boost::json::value& b) noexcept;

}  // namespace tessera::json
