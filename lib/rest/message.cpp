#include <tessera/rest/message.hpp>

#include <algorithm>

namespace tessera::rest {
namespace {
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

void Headers::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void Headers::set(std::string name, std::string value) {
    remove(name);
    add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
    std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [n, v] : fields_) {
        if (iequals(n, name)) return std::string_view(v);
    }
    return std::nullopt;
}

std::optional<std::string> Headers::combined(std::string_view name) const {
    std::optional<std::string> out;
    for (const auto& [n, v] : fields_) {
        if (!iequals(n, name)) continue;
        if (out) {
            *out += ", ";
            *out += v;
        } else {
            out = v;
        }
    }
    return out;
}

}  // namespace tessera::rest
