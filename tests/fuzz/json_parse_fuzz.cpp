// json::parse with small limits on any bytes: never crashes, and what it accepts has a canonical text
// that parses back to an equal value with the same text (the property strong ETags rest on).
#include <tessera/json/canonical.hpp>
#include <tessera/json/equal.hpp>
#include <tessera/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const tessera::json::ParseLimits limits{1u << 16, 32};
    auto parsed = tessera::json::parse(text, limits);
    if (!parsed) return 0;
    const std::string canonical = tessera::json::to_canonical(*parsed);
    auto again = tessera::json::parse(canonical, {canonical.size() + 1, 64});
    if (!again || !tessera::json::equal(*parsed, *again) || tessera::json::to_canonical(*again) != canonical) std::abort();
    return 0;
}
