#pragma once
// Private: the few RFC 6901 JSON Pointer helpers the schema module needs for error paths.
// TODO: fold into tessera::json (pointer.hpp, escape_token) once that module lands on this branch.

#include <string>
#include <string_view>

namespace tessera::schema {

/// `token` escaped for use in a JSON Pointer: "~" -> "~0", "/" -> "~1" (RFC 6901 §3).
std::string escape_token(std::string_view token);

/// `pointer` + "/" + escaped `token`.
std::string append_token(std::string_view pointer, std::string_view token);

}  // namespace tessera::schema
