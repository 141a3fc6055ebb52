#include <tessera/model/etag.hpp>

#include <tessera/json/text.hpp>

#include "common/encoding.hpp"

#include <openssl/evp.h>

#include <array>

namespace tessera::model {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text.
bool is_etagc(unsigned char c) { return c == 0x21 || (c >= 0x23 && c != 0x7F); }

Error syntax_error(std::string_view field_value) {
    return Error(ErrorCode::malformed, "malformed entity-tag list: " + json::excerpt(field_value));
}

}  // namespace

std::string Etag::to_header() const {
    std::string out = weak ? "W/\"" : "\"";
    out += opaque;
    out += '"';
    return out;
}

Etag make_etag(std::string_view canonical_json) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(canonical_json.data(), canonical_json.size(), digest.data(), &length, EVP_sha256(), nullptr);
    // 128 bits are plenty to tell representations apart; 22 characters keep headers short.
    return Etag{common::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 16)), false};
}

Result<EtagSet> EtagSet::parse(std::string_view value) {
    EtagSet set;
    std::size_t pos = 0;
    auto skip_space = [&] {
        while (pos < value.size() && is_space(value[pos])) ++pos;
    };
    skip_space();
    if (pos < value.size() && value[pos] == '*') {
        ++pos;
        skip_space();
        if (pos != value.size()) return syntax_error(value);
        set.any = true;
        return set;
    }
    // RFC 9110 §5.6.1: a list may contain empty elements ("a, , b"); at least one tag is required.
    while (pos < value.size()) {
        skip_space();
        if (pos < value.size() && value[pos] == ',') {
            ++pos;
            continue;
        }
        if (pos >= value.size()) break;
        Etag tag;
        if (value.substr(pos, 2) == "W/") {
            tag.weak = true;
            pos += 2;
        }
        if (pos >= value.size() || value[pos] != '"') return syntax_error(value);
        const std::size_t start = ++pos;
        while (pos < value.size() && value[pos] != '"') {
            if (!is_etagc(static_cast<unsigned char>(value[pos]))) return syntax_error(value);
            ++pos;
        }
        if (pos >= value.size()) return syntax_error(value);
        tag.opaque = std::string(value.substr(start, pos - start));
        ++pos;
        set.tags.push_back(std::move(tag));
        skip_space();
        if (pos < value.size() && value[pos] != ',') return syntax_error(value);
    }
    if (set.tags.empty()) return syntax_error(value);
    return set;
}

bool EtagSet::matches_strong(const Etag& current) const noexcept {
    if (any) return true;
    // RFC 9110 §8.8.3.2: strong comparison — both strong and identical.
    if (current.weak) return false;
    for (const auto& tag : tags) {
        if (!tag.weak && tag.opaque == current.opaque) return true;
    }
    return false;
}

bool EtagSet::matches_weak(const Etag& current) const noexcept {
    if (any) return true;
    for (const auto& tag : tags) {
        if (tag.opaque == current.opaque) return true;
    }
    return false;
}

}  // namespace tessera::model
