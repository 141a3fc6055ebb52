// RFC 6902 JSON Patch on a document and a patch cut from the input (at its first NUL), held to a
// document limit as the server holds it: never crashes, never builds past the limit (libFuzzer's
// -rss_limit_mb catches a blow-up), and a failure leaves the input untouched.
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
    const std::string before = tessera::json::to_canonical(*document);
    tessera::json::PatchLimits patch_limits;
    patch_limits.max_document_bytes = 1u << 18;
    auto result = tessera::json::apply_json_patch(*document, *patch, patch_limits);
    if (tessera::json::to_canonical(*document) != before) std::abort();  // atomic: the input never changes
    // The budget counts numbers as 24 bytes, so canonical text can only be shorter than it.
    if (result && tessera::json::to_canonical(*result).size() > patch_limits.max_document_bytes) std::abort();
    return 0;
}
