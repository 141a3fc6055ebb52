// RFC 7386 merge patch on a document and a patch cut from the input (at its first NUL): never crashes,
// and applying the same patch twice changes nothing more (merge patch is idempotent).
#include "two_documents.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = two_documents(data, size);
    if (!input) return 0;
    auto* document = &input->first;
    const auto* patch = &input->second;
    const auto once = tessera::json::merge_patch(*document, *patch);
    const auto twice = tessera::json::merge_patch(once, *patch);
    if (tessera::json::to_canonical(once) != tessera::json::to_canonical(twice)) std::abort();
    return 0;
}
