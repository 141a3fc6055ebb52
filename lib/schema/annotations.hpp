#pragma once
// Private: reads a schema's `x-tessera` block into `Annotations`.

#include <tessera/result.hpp>
#include <tessera/schema/annotations.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <string_view>

namespace tessera::schema {

/// The annotations of `schema` (a whole schema document); defaults if it has no `x-tessera`.
/// `name` is the default collection (the file stem). Errors: `invalid` for an unknown key or a wrong type anywhere in
/// the block, with `details.file` = `file` and `details.pointer` = where ("/x-tessera/id/generat").
Result<Annotations> parse_annotations(const boost::json::value& schema, std::string_view name, std::string_view file);

/// "30d", "12h", "90m", "45s" or a whole number of seconds; std::nullopt if malformed or not positive.
std::optional<std::chrono::seconds> parse_duration(const boost::json::value& value);

}  // namespace tessera::schema
