#pragma once
// Private: reading a schema file from disk.

#include <tessera/result.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <string_view>

namespace tessera::schema {

/// The JSON in `file`; `label` names it in errors. Errors: `not_found` (no such file), `invalid`
/// (unreadable, or not JSON: details.file, details.pointer = "", and offset/line/column).
Result<boost::json::value> read_schema_file(const std::filesystem::path& file, std::string_view label);

}  // namespace tessera::schema
