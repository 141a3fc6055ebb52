#pragma once
// Private: RFC 3339 timestamps (logs, events, the GUID profile's `expire`) and HTTP dates.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::common {

using TimePoint = std::chrono::system_clock::time_point;

/// "2026-11-23T04:13:20.123Z" (UTC, millisecond precision).
std::string format_rfc3339(TimePoint time);

/// Parses an RFC 3339 date-time ("2026-11-23T04:13:20Z", fractional seconds and a numeric offset
/// allowed). std::nullopt if malformed.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

/// RFC 9110 §5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(TimePoint time);

}  // namespace tessera::common
