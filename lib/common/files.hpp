#pragma once
// Private: reading a whole configuration file (keys, token files, JWKS) with a size bound.

#include <tessera/result.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace tessera::common {

/// The bytes of `path`. Errors: `not_found` (no such regular file), `too_large` (more than
/// `max_bytes`), `unavailable` (cannot be read) — each naming the file.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace tessera::common
