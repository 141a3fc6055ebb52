#pragma once
// Private: the few RFC 6901 JSON Pointer helpers the schema module needs for error paths.
// TODO: fold into tessera::json (pointer.hpp, escape_token) once that module lands on this branch.

#include <string>
#include <string_view>
#include <vector>

namespace tessera::schema {

/// `token` escaped for use in a JSON Pointer: "~" -> "~0", "/" -> "~1" (RFC 6901 §3).
std::string escape_token(std::string_view token);

/// `pointer` + "/" + escaped `token`.
std::string append_token(std::string_view pointer, std::string_view token);

/// The decoded reference tokens of `pointer` ("" has none; "~1" -> "/", "~0" -> "~").
std::vector<std::string> split_pointer(std::string_view pointer);

}  // namespace tessera::schema
