#pragma once
// Private: the one shape of error for a schema that cannot be loaded.

#include <tessera/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace tessera::schema {

/// An `invalid` error about a schema file. The message reads "<file>: <pointer>: <message>";
/// details carry `file` and `pointer` (RFC 6901, into the schema document) plus `extra`.
Error load_error(std::string_view file,
                 std::string_view pointer,
                 std::string_view message,
                 boost::json::object extra = {});

/// "an object", "a string", "null"...: what `value` is, for "expected X, got Y" messages.
std::string_view kind_name(const boost::json::value& value) noexcept;

}  // namespace tessera::schema
