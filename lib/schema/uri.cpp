#include "schema/uri.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <system_error>

namespace tessera::schema {

UriReference split_fragment(std::string_view reference) noexcept {
    const auto hash = reference.find('#');
    if (hash == std::string_view::npos) return {reference, {}};
    return {reference.substr(0, hash), reference.substr(hash + 1)};
}

std::optional<std::string> resolve_uri(std::string_view base, std::string_view reference) {
    const auto base_uri = boost::urls::parse_uri(base);
    const auto ref = boost::urls::parse_uri_reference(reference);
    if (!base_uri || !ref) return std::nullopt;
    boost::urls::url resolved;
    if (!boost::urls::resolve(*base_uri, *ref, resolved)) return std::nullopt;
    // Normalised so that the same resource spelled two ways ("HTTP://x/a/../b") is one key.
    resolved.normalize();
    resolved.remove_fragment();
    return std::string(resolved.buffer());
}

bool has_scheme(std::string_view reference) noexcept {
    const auto parsed = boost::urls::parse_uri(reference);
    return parsed.has_value();
}

std::string percent_decode(std::string_view text) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string file_uri(const std::filesystem::path& path) {
    std::error_code ignored;
    auto absolute = std::filesystem::absolute(path, ignored).lexically_normal();
    boost::urls::url uri("file:///");
    uri.set_path(absolute.generic_string());
    return std::string(uri.buffer());
}

std::string placeholder_uri(std::string_view path) {
    boost::urls::url uri("tessera:///");
    uri.set_path("/" + std::string(path));
    return std::string(uri.buffer());
}

std::optional<std::filesystem::path> file_path(std::string_view uri) {
    const auto parsed = boost::urls::parse_uri(uri);
    if (!parsed || parsed->scheme_id() != boost::urls::scheme::file) return std::nullopt;
    return std::filesystem::path(std::string(parsed->path()));
}

bool is_inside(const std::filesystem::path& path, const std::filesystem::path& directory) {
    std::error_code ignored;
    const auto file = std::filesystem::absolute(path, ignored).lexically_normal();
    const auto dir = std::filesystem::absolute(directory, ignored).lexically_normal();
    const auto relative = file.lexically_relative(dir);
    return !relative.empty() && *relative.begin() != ".." && !relative.is_absolute();
}

}  // namespace tessera::schema
