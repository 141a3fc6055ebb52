#pragma once
/// @file tessera/model/etag.hpp
/// @brief Entity tags and conditional-request matching (RFC 9110 §8.8.3, §13.1).

#include <tessera/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tessera::model {

/// An entity tag. Tessera's own tags are strong: a hash of the canonical JSON the client receives.
struct Etag {
    std::string opaque;  ///< The characters between the quotes.
    bool weak = false;   ///< `W/` prefix.

    /// The header form: `"abc"` or `W/"abc"`.
    std::string to_header() const;

    friend bool operator==(const Etag&, const Etag&) = default;
};

/// The strong tag of a canonical JSON text (first 128 bits of its SHA-256, base64url).
Etag make_etag(std::string_view canonical_json);

/// The value of an If-Match or If-None-Match field: `*`, or a list of tags.
struct EtagSet {
    bool any = false;        ///< `*`.
    std::vector<Etag> tags;  ///< Empty when `any`.

    /// Parses a field value (`*`, or `"a", W/"b"`). Several header lines may be joined with ", ".
    /// Errors: `malformed` for a malformed list.
    static Result<EtagSet> parse(std::string_view field_value);

    /// RFC 9110 §13.1.1 If-Match: strong comparison; `*` matches any current representation.
    bool matches_strong(const Etag& current) const noexcept;
    /// RFC 9110 §13.1.2 If-None-Match: weak comparison; `*` matches any current representation.
    bool matches_weak(const Etag& current) const noexcept;

    friend bool operator==(const EtagSet&, const EtagSet&) = default;
};

}  // namespace tessera::model
