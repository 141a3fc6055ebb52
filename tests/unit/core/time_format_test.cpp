#include "common/time_format.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace std::chrono;
using tessera::common::format_http_date;
using tessera::common::format_rfc3339;
using tessera::common::parse_rfc3339;

TEST_SUITE("core") {
    TEST_CASE("time_format: RFC 3339 round trip at millisecond precision, UTC") {
        const auto t = sys_days(year(2026) / 11 / 23) + hours(4) + minutes(13) + seconds(20) + milliseconds(123);
        CHECK(format_rfc3339(time_point_cast<system_clock::duration>(t)) == "2026-11-23T04:13:20.123Z");
        auto parsed = parse_rfc3339("2026-11-23T04:13:20.123Z");
        REQUIRE(parsed);
        CHECK(*parsed == time_point_cast<system_clock::duration>(t));
    }

    TEST_CASE("time_format: offsets, lower-case separators and long fractions") {
        CHECK(*parse_rfc3339("2026-11-23T06:13:20+02:00") == *parse_rfc3339("2026-11-23T04:13:20Z"));
        CHECK(*parse_rfc3339("2026-11-22T23:43:20-04:30") == *parse_rfc3339("2026-11-23T04:13:20Z"));
        CHECK(*parse_rfc3339("2026-11-23t04:13:20z") == *parse_rfc3339("2026-11-23T04:13:20Z"));
        CHECK(*parse_rfc3339("2026-11-23T04:13:20.5Z") - *parse_rfc3339("2026-11-23T04:13:20Z") == milliseconds(500));
        CHECK(parse_rfc3339("2026-11-23T04:13:20.123456789Z").has_value());
    }

    TEST_CASE("time_format: malformed or impossible times are rejected") {
        for (const char* bad : {"", "yesterday", "2026-11-23", "2026-11-23T04:13:20", "2026-02-30T00:00:00Z",
                                "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T04:60:00Z",
                                "2026-11-23T04:13:20.Z", "2026-11-23T04:13:20+2:00", "2026-11-23T04:13:20Zjunk"}) {
            CAPTURE(bad);
            CHECK_FALSE(parse_rfc3339(bad).has_value());
        }
    }

    TEST_CASE("time_format: HTTP date (RFC 9110 IMF-fixdate)") {
        const auto t = sys_days(year(1994) / 11 / 6) + hours(8) + minutes(49) + seconds(37);
        CHECK(format_http_date(time_point_cast<system_clock::duration>(t)) == "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
