#pragma once
// Private: the `format` values the validator asserts. Others are annotations only, as draft-07
// allows (§7.2): an unknown format never fails a document.

#include <string_view>

namespace tessera::schema {

/// True for the formats `matches_format` checks: date-time, date, time (RFC 3339 §5.6), regex
/// (compiles as an ECMAScript regular expression), ipv4 (RFC 2673 dotted quad), uuid (RFC 4122 text).
bool is_asserted_format(std::string_view format) noexcept;

/// True if `text` is a valid `format`. Requires: `is_asserted_format(format)`.
bool matches_format(std::string_view format, std::string_view text);

}  // namespace tessera::schema
