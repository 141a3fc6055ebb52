#include <tessera/json/equal.hpp>

#include <tessera/json/parse.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

namespace json = tessera::json;
using boost::json::value;

namespace {
bool equal_text(std::string_view a, std::string_view b) {
    return json::equal(json::parse(a).value(), json::parse(b).value());
}
}  // namespace

TEST_SUITE("json") {
    TEST_CASE("equal: scalars compare by kind and value") {
        CHECK(equal_text("null", "null"));
        CHECK(equal_text("true", "true"));
        CHECK_FALSE(equal_text("true", "false"));
        CHECK_FALSE(equal_text("null", "false"));
        CHECK_FALSE(equal_text("0", "false"));
        CHECK_FALSE(equal_text(R"("1")", "1"));
        CHECK_FALSE(equal_text("[]", "{}"));
        CHECK_FALSE(equal_text("null", "{}"));
    }

    TEST_CASE("equal: strings compare byte-wise") {
        CHECK(equal_text(R"("\u00e9")", "\"\xc3\xa9\""));
        CHECK_FALSE(equal_text(R"("a")", R"("A")"));
        CHECK_FALSE(equal_text(R"("a")", R"("a ")"));
        // U+00E9 precomposed is not the same text as "e" + U+0301: no Unicode normalisation.
        CHECK_FALSE(equal_text(R"("\u00e9")", R"("e\u0301")"));
    }

    TEST_CASE("equal: numbers compare by mathematical value across int64, uint64 and double") {
        CHECK(json::equal(value(1), value(1.0)));
        CHECK(json::equal(value(std::uint64_t{1}), value(std::int64_t{1})));
        CHECK(json::equal(value(std::uint64_t{1}), value(1.0)));
        CHECK(json::equal(value(0.0), value(-0.0)));
        CHECK(json::equal(value(0), value(-0.0)));
        CHECK(json::equal(value(-5), value(-5.0)));
        CHECK_FALSE(json::equal(value(1), value(1.5)));
        CHECK_FALSE(json::equal(value(0.1), value(0.2)));
        CHECK(equal_text("100", "1e2"));
        CHECK(equal_text("[1, 2.0]", "[1.0, 2]"));
    }

    TEST_CASE("equal: large integers are compared exactly, never through a rounding double") {
        // 2^53 + 1 rounds to 2^53 as a double; the two are still different numbers.
        CHECK_FALSE(json::equal(value(std::int64_t{9007199254740993}), value(9007199254740992.0)));
        CHECK(json::equal(value(std::int64_t{9007199254740992}), value(9007199254740992.0)));
        // int64 max rounds up to 2^63 as a double.
        CHECK_FALSE(json::equal(value(std::numeric_limits<std::int64_t>::max()), value(9223372036854775808.0)));
        CHECK(json::equal(value(std::uint64_t{1} << 63), value(9223372036854775808.0)));
        CHECK(json::equal(value(std::numeric_limits<std::int64_t>::min()), value(-9223372036854775808.0)));
        CHECK_FALSE(json::equal(value(std::numeric_limits<std::uint64_t>::max()), value(18446744073709551616.0)));
        CHECK_FALSE(json::equal(value(std::int64_t{-1}), value(std::numeric_limits<std::uint64_t>::max())));
        CHECK(json::equal(value(std::int64_t{42}), value(std::uint64_t{42})));
        CHECK_FALSE(json::equal(value(1e300), value(std::numeric_limits<std::uint64_t>::max())));
        CHECK_FALSE(json::equal(value(-1e300), value(std::numeric_limits<std::int64_t>::min())));
    }

    TEST_CASE("equal: objects ignore member order, arrays do not") {
        CHECK(equal_text(R"({"a": 1, "b": {"c": [1, {"d": 2, "e": 3}]}})", R"({"b": {"c": [1, {"e": 3, "d": 2}]}, "a": 1})"));
        CHECK_FALSE(equal_text("[1, 2]", "[2, 1]"));
        CHECK_FALSE(equal_text("[1, 2]", "[1, 2, 3]"));
        CHECK_FALSE(equal_text(R"({"a": 1})", R"({"a": 1, "b": 2})"));
        CHECK_FALSE(equal_text(R"({"a": 1, "b": 2})", R"({"a": 1, "c": 2})"));
        CHECK_FALSE(equal_text(R"({"a": null})", "{}"));
        CHECK(equal_text("{}", "{}"));
        CHECK(equal_text("[[]]", "[[]]"));
    }
}
