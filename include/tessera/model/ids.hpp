#pragma once
/// @file tessera/model/ids.hpp
/// @brief Generated document ids: UUIDv4, UUIDv7 (RFC 9562) and 32 upper-case hex digits.

#include <tessera/schema/annotations.hpp>

#include <string>

namespace tessera::model {

/// A new id in `format`, from a cryptographically seeded per-thread generator. Thread-safe.
std::string generate_id(schema::IdFormat format);

/// True if `id` may name a document: 1–256 bytes of valid UTF-8, no control characters, no '/', and
/// neither "." nor "..". The one rule for ids, wherever they come from (URL, body, entity).
bool is_valid_id(std::string_view id) noexcept;

}  // namespace tessera::model
