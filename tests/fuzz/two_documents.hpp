#pragma once
// Fuzz input of the patch targets: a document and a patch, cut at the input's first NUL, each parsed
// with small limits (nullopt if either is not JSON).

#include <tessera/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

inline std::optional<std::pair<boost::json::value, boost::json::value>> two_documents(const std::uint8_t* data,
                                                                                    std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto cut = input.find('\0');
    if (cut == std::string_view::npos) return std::nullopt;
    const tessera::json::ParseLimits limits{1u << 16, 32};
    auto document = tessera::json::parse(input.substr(0, cut), limits);
    auto patch = tessera::json::parse(input.substr(cut + 1), limits);
    if (!document || !patch) return std::nullopt;
    return std::pair{std::move(*document), std::move(*patch)};
}
