#pragma once
// Private: the JSON Schema meta-schemas, built in.

#include <tessera/schema/registry.hpp>

#include <optional>
#include <string_view>

namespace tessera::schema {

/// "http://json-schema.org/draft-07/schema" (no fragment), likewise draft-04.
std::string_view metaschema_uri(Draft draft) noexcept;

/// The meta-schema's JSON text.
std::string_view metaschema_text(Draft draft) noexcept;

/// The draft whose meta-schema `uri` (normalised, no fragment; http or https) names, if any.
std::optional<Draft> builtin_metaschema(std::string_view uri) noexcept;

}  // namespace tessera::schema
