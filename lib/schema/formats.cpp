#include "schema/formats.hpp"

#include "common/time_format.hpp"

#include <tessera/assert.hpp>

#include <chrono>
#include <regex>
#include <string>

namespace tessera::schema {
namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

bool is_hex(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// `width` digits at `pos` as a number, or -1.
int digits(std::string_view text, std::size_t pos, std::size_t width) noexcept {
    if (pos + width > text.size()) return -1;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (!is_digit(text[i])) return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

// RFC 3339 full-date: YYYY-MM-DD with a day that exists in that month.
bool is_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    const int year = digits(text, 0, 4);
    const int month = digits(text, 5, 2);
    const int day = digits(text, 8, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1) return false;
    return std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                       std::chrono::day(static_cast<unsigned>(day)))
        .ok();
}

// RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
bool is_time(std::string_view text) {
    if (text.size() < 9 || text[2] != ':' || text[5] != ':') return false;
    const int hour = digits(text, 0, 2);
    const int minute = digits(text, 3, 2);
    const int second = digits(text, 6, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
    std::size_t pos = 8;
    if (text[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < text.size() && is_digit(text[pos])) ++pos;
        if (pos == start) return false;
    }
    if (pos >= text.size()) return false;
    if (text[pos] == 'Z' || text[pos] == 'z') return pos + 1 == text.size();
    if (text[pos] != '+' && text[pos] != '-') return false;
    if (text.size() != pos + 6 || text[pos + 3] != ':') return false;
    const int offset_hour = digits(text, pos + 1, 2);
    const int offset_minute = digits(text, pos + 4, 2);
    return offset_hour >= 0 && offset_hour <= 23 && offset_minute >= 0 && offset_minute <= 59;
}

bool is_ipv4(std::string_view text) {
    int parts = 0;
    std::size_t pos = 0;
    while (true) {
        const std::size_t start = pos;
        while (pos < text.size() && is_digit(text[pos])) ++pos;
        const std::size_t length = pos - start;
        // No empty parts, no leading zeros ("01" is ambiguous: octal in some parsers), 0..255.
        if (length == 0 || length > 3 || (length > 1 && text[start] == '0')) return false;
        if (digits(text, start, length) > 255) return false;
        ++parts;
        if (pos == text.size()) return parts == 4;
        if (text[pos] != '.' || parts == 4) return false;
        ++pos;
    }
}

bool is_uuid(std::string_view text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !is_hex(text[i])) return false;
    }
    return true;
}

bool is_regex(std::string_view text) {
    try {
        const std::regex compiled(text.begin(), text.end(), std::regex::ECMAScript);
        return true;
    } catch (const std::regex_error&) {
        return false;
    }
}

}  // namespace

bool is_asserted_format(std::string_view format) noexcept {
    return format == "date-time" || format == "date" || format == "time" || format == "regex" || format == "ipv4" ||
           format == "uuid";
}

bool matches_format(std::string_view format, std::string_view text) {
    if (format == "date-time") return common::parse_rfc3339(text).has_value();
    if (format == "date") return is_date(text);
    if (format == "time") return is_time(text);
    if (format == "regex") return is_regex(text);
    if (format == "ipv4") return is_ipv4(text);
    TESSERA_ASSERT(format == "uuid");
    return is_uuid(text);
}

}  // namespace tessera::schema
