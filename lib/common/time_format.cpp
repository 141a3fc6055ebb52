#include "common/time_format.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace tessera::common {
namespace {

using namespace std::chrono;

// Reads exactly `width` digits at `pos`, advancing it; -1 if they are not all digits.
int read_digits(std::string_view text, std::size_t& pos, std::size_t width) {
    if (pos + width > text.size()) return -1;
    int value = 0;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, value);
    if (ec != std::errc{} || end != text.data() + pos + width) return -1;
    pos += width;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos < text.size() && (text[pos] == c || std::tolower(static_cast<unsigned char>(text[pos])) == std::tolower(c))) {
        ++pos;
        return true;
    }
    return false;
}

}  // namespace

std::string format_rfc3339(TimePoint time) {
    const auto ms = floor<milliseconds>(time);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", floor<seconds>(ms),
                       static_cast<int>((ms.time_since_epoch() % 1000ms).count() + 1000) % 1000);
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
    std::size_t pos = 0;
    const int year = read_digits(text, pos, 4);
    if (year < 0 || !expect(text, pos, '-')) return std::nullopt;
    const int month = read_digits(text, pos, 2);
    if (month < 1 || month > 12 || !expect(text, pos, '-')) return std::nullopt;
    const int day = read_digits(text, pos, 2);
    if (day < 1 || !expect(text, pos, 'T')) return std::nullopt;
    const int hour = read_digits(text, pos, 2);
    if (hour < 0 || hour > 23 || !expect(text, pos, ':')) return std::nullopt;
    const int minute = read_digits(text, pos, 2);
    if (minute < 0 || minute > 59 || !expect(text, pos, ':')) return std::nullopt;
    const int second = read_digits(text, pos, 2);
    if (second < 0 || second > 60) return std::nullopt;

    const year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                             std::chrono::day(static_cast<unsigned>(day))};
    if (!ymd.ok()) return std::nullopt;

    nanoseconds fraction{0};
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::int64_t scale = 100'000'000;
        const std::size_t start = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            fraction += nanoseconds((text[pos] - '0') * scale);
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }

    minutes offset{0};
    if (expect(text, pos, 'Z')) {
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        const int oh = read_digits(text, pos, 2);
        if (oh < 0 || oh > 23 || !expect(text, pos, ':')) return std::nullopt;
        const int om = read_digits(text, pos, 2);
        if (om < 0 || om > 59) return std::nullopt;
        offset = minutes(sign * (oh * 60 + om));
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;

    const auto local = sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second) + fraction;
    return time_point_cast<TimePoint::duration>(local - offset);
}

std::string format_http_date(TimePoint time) {
    return fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", floor<seconds>(time));
}

}  // namespace tessera::common
