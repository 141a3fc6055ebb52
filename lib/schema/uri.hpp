#pragma once
// Private: RFC 3986 URI handling for `$id` and `$ref` (Boost.URL underneath).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::schema {

/// A `$ref` or `$id` split at its first '#': the URI part and the raw (still %-encoded) fragment.
struct UriReference {
    std::string_view uri;       ///< Before '#'; "" for a fragment-only reference.
    std::string_view fragment;  ///< After '#'; "" if none or empty.
};
UriReference split_fragment(std::string_view reference) noexcept;

/// `reference` (no fragment) resolved against the absolute `base` (RFC 3986 §5.2) and normalised,
/// without fragment. std::nullopt if either does not parse.
std::optional<std::string> resolve_uri(std::string_view base, std::string_view reference);

/// True if `reference` has a scheme (an absolute URI or a URN).
bool has_scheme(std::string_view reference) noexcept;

/// `text` with %XX sequences decoded (malformed sequences are kept as they are).
std::string percent_decode(std::string_view text);

/// "file:///abs/path" for `path` (made absolute), %-encoded as needed.
std::string file_uri(const std::filesystem::path& path);

/// "tessera:///<path>", %-encoded as needed: a base URI for a document that is not a file.
std::string placeholder_uri(std::string_view path);

/// The local path a "file:" URI names, or std::nullopt for other URIs.
std::optional<std::filesystem::path> file_path(std::string_view uri);

/// True if `path` lies inside `directory` once both are made absolute and normal.
bool is_inside(const std::filesystem::path& path, const std::filesystem::path& directory);

}  // namespace tessera::schema
