// RFC 7386 merge patch on a document and a patch cut from the input (at its first NUL): never crashes,
// and applying the same patch twice changes nothing more (merge patch is idempotent).
#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto cut = input.find('\0');
    if (cut == std::string_view::npos) return 0;
    const tessera::json::ParseLimits limits{1u << 16, 32};
    auto document = tessera::json::parse(input.substr(0, cut), limits);
    auto patch = tessera::json::parse(input.substr(cut + 1), limits);
    if (!document || !patch) return 0;
    const auto once = tessera::json::merge_patch(*document, *patch);
    const auto twice = tessera::json::merge_patch(once, *patch);
    if (tessera::json::to_canonical(once) != tessera::json::to_canonical(twice)) std::abort();
    return 0;
}
