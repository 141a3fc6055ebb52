#pragma once
/// @file tessera/json/pointer.hpp
/// @brief JSON Pointer (RFC 6901): parse, escape, get, set, remove.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tessera::json {

/// Splits `pointer` into unescaped reference tokens ("" → {}, "/a~1b/0" → {"a/b", "0"}).
/// Errors: `malformed` if `pointer` is neither empty nor starts with '/', or has a bad '~' escape.
Result<std::vector<std::string>> parse_pointer(std::string_view pointer);

/// Escapes one reference token ('~' → "~0", '/' → "~1").
std::string escape_token(std::string_view token);

/// `base` + "/" + escape_token(token).
std::string append_token(std::string_view base, std::string_view token);
/// Appends "/" + escape_token(token) to `pointer` in place (no temporary string).
void append_token_to(std::string& pointer, std::string_view token);
/// `base` + "/" + index.
std::string append_index(std::string_view base, std::size_t index);
/// Appends "/" + index to `pointer` in place.
void append_index_to(std::string& pointer, std::size_t index);

/// Finds the value at `pointer` in `document`. Returns nullptr if the pointer is well-formed but
/// names nothing (missing member, index out of range, "-", or a non-numeric / leading-zero array
/// index). Errors: `malformed` for a malformed pointer.
Result<const boost::json::value*> find(const boost::json::value& document, std::string_view pointer);
Result<boost::json::value*> find(boost::json::value& document, std::string_view pointer);

/// Sets the value at `pointer`, RFC 6902 "add" semantics: the parent must exist; an object member
/// is added or replaced; an array index inserts before it ("-" or size appends); the empty pointer
/// replaces the whole document. Errors: `malformed` (malformed pointer), `not_found` (parent missing,
/// array index out of range or not an index, or parent is a scalar). Errors carry
/// `details.pointer`. On error `document` is unchanged.
Result<void> set(boost::json::value& document, std::string_view pointer, boost::json::value value);

/// Removes and returns the value at `pointer` (array elements shift down).
/// Errors: `malformed` (malformed pointer), `invalid` (empty pointer), `not_found` (nothing there). Errors carry
/// `details.pointer`. On error `document` is unchanged.
Result<boost::json::value> remove(boost::json::value& document, std::string_view pointer);

}  // namespace tessera::json
