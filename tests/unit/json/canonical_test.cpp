#include <tessera/json/canonical.hpp>

#include <tessera/json/equal.hpp>
#include <tessera/json/parse.hpp>

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace json = tessera::json;
using boost::json::value;

namespace {
std::string canonical_of(std::string_view text) {
    return json::to_canonical(json::parse(text).value());
}
}  // namespace

TEST_SUITE("json") {
    TEST_CASE("canonical: members are sorted by key and whitespace is dropped") {
        CHECK(canonical_of(R"({ "b": 1, "a": 2, "c": [ 3, 4 ] })") == R"({"a":2,"b":1,"c":[3,4]})");
        CHECK(canonical_of("{}") == "{}");
        CHECK(canonical_of("[]") == "[]");
        CHECK(canonical_of(" null ") == "null");
        CHECK(canonical_of("[true,false]") == "[true,false]");
    }

    TEST_CASE("canonical: nested objects are sorted at every level, arrays keep their order") {
        CHECK(canonical_of(R"({"z": {"y": [ {"b": 1, "a": 2}, 3 ], "x": {}}, "a": null})") ==
              R"({"a":null,"z":{"x":{},"y":[{"a":2,"b":1},3]}})");
        CHECK(canonical_of(R"([3, 1, 2])") == "[3,1,2]");
    }

    TEST_CASE("canonical: keys compare byte-wise as UTF-8") {
        // "B" < "a" < U+0080 (C2 80) < U+00E9 (C3 A9) < U+20AC (E2 82 AC) < U+1F600 (F0 9F 98 80)
        CHECK(canonical_of(R"({"\ud83d\ude00": 6, "\u20ac": 5, "\u00e9": 4, "\u0080": 3, "a": 2, "B": 1})") ==
              "{\"B\":1,\"a\":2,\"\xc2\x80\":3,\"\xc3\xa9\":4,\"\xe2\x82\xac\":5,\"\xf0\x9f\x98\x80\":6}");
        CHECK(canonical_of(R"({"ab": 1, "a": 2, "": 3})") == R"({"":3,"a":2,"ab":1})");
    }

    TEST_CASE("canonical: integers print exactly") {
        CHECK(json::to_canonical(value(0)) == "0");
        CHECK(json::to_canonical(value(-42)) == "-42");
        CHECK(json::to_canonical(value(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
        CHECK(json::to_canonical(value(std::numeric_limits<std::int64_t>::max())) == "9223372036854775807");
        CHECK(json::to_canonical(value(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
    }

    TEST_CASE("canonical: integral doubles print as integers") {
        CHECK(json::to_canonical(value(1.0)) == "1");
        CHECK(json::to_canonical(value(-0.0)) == "0");
        CHECK(json::to_canonical(value(0.0)) == "0");
        CHECK(json::to_canonical(value(-3.0)) == "-3");
        CHECK(json::to_canonical(value(9007199254740991.0)) == "9007199254740991");
        CHECK(json::to_canonical(value(9007199254740992.0)) == "9007199254740992");
        CHECK(json::to_canonical(value(-9007199254740992.0)) == "-9007199254740992");
        // Within the int64/uint64 range an integral double is printed exactly, so it has the same
        // text as the integer it equals (ECMAScript would print 1152921504606847000).
        CHECK(json::to_canonical(value(1152921504606846976.0)) == "1152921504606846976");
        CHECK(json::to_canonical(value(1152921504606846976.0)) ==
              json::to_canonical(value(std::uint64_t{1152921504606846976})));
        CHECK(json::to_canonical(value(-9223372036854775808.0)) == "-9223372036854775808");
        CHECK(json::to_canonical(value(9223372036854775808.0)) == "9223372036854775808");
        CHECK(json::to_canonical(value(1e19)) == "10000000000000000000");
        CHECK(canonical_of("1.0") == "1");
        CHECK(canonical_of("-0.0") == "0");
        CHECK(canonical_of("1e2") == "100");
    }

    TEST_CASE("canonical: other doubles use the shortest round trip in ECMAScript form") {
        // RFC 8785 Appendix B and ECMA-262 Number::toString.
        CHECK(json::to_canonical(value(0.1)) == "0.1");
        CHECK(json::to_canonical(value(-0.5)) == "-0.5");
        CHECK(json::to_canonical(value(4.5)) == "4.5");
        CHECK(json::to_canonical(value(0.002)) == "0.002");
        CHECK(json::to_canonical(value(1.0 / 3.0)) == "0.3333333333333333");
        CHECK(json::to_canonical(value(123.456)) == "123.456");
        CHECK(json::to_canonical(value(0.000001)) == "0.000001");
        CHECK(json::to_canonical(value(0.0000012)) == "0.0000012");
        CHECK(json::to_canonical(value(1e-7)) == "1e-7");
        CHECK(json::to_canonical(value(1.5e-7)) == "1.5e-7");
        CHECK(json::to_canonical(value(1e-27)) == "1e-27");
        CHECK(json::to_canonical(value(5e-324)) == "5e-324");
        CHECK(json::to_canonical(value(-5e-324)) == "-5e-324");
        CHECK(json::to_canonical(value(1.2345678901234568e20)) == "123456789012345680000");
        CHECK(json::to_canonical(value(295147905179352830000.0)) == "295147905179352830000");
        CHECK(json::to_canonical(value(1e21)) == "1e+21");
        CHECK(json::to_canonical(value(1e23)) == "1e+23");
        CHECK(json::to_canonical(value(9.999999999999997e22)) == "9.999999999999997e+22");
        CHECK(json::to_canonical(value(1.7976931348623157e308)) == "1.7976931348623157e+308");
        CHECK(json::to_canonical(value(-1.7976931348623157e308)) == "-1.7976931348623157e+308");
        CHECK(json::to_canonical(value(1.5e300)) == "1.5e+300");
        CHECK(canonical_of("[1.10, 2.50e1, 12345.6789e-3]") == "[1.1,25,12.3456789]");
    }

    TEST_CASE("canonical: NaN and infinity serialise as null") {
        CHECK(json::to_canonical(value(std::numeric_limits<double>::quiet_NaN())) == "null");
        CHECK(json::to_canonical(value(std::numeric_limits<double>::infinity())) == "null");
        CHECK(json::to_canonical(value(-std::numeric_limits<double>::infinity())) == "null");
    }

    TEST_CASE("canonical: strings use the minimal escapes of RFC 8785") {
        CHECK(canonical_of(R"("a\"b\\c\/d")") == R"("a\"b\\c/d")");
        CHECK(canonical_of(R"("\b\f\n\r\t")") == R"("\b\f\n\r\t")");
        CHECK(canonical_of(R"("\u0000\u0001\u001f\u000b")") == R"("\u0000\u0001\u001f\u000b")");
        // DEL and everything above U+001F are written as they are, including U+2028.
        CHECK(canonical_of(R"("\u007f\u00e9\u20ac\u2028\ud83d\ude00")") ==
              "\"\x7f\xc3\xa9\xe2\x82\xac\xe2\x80\xa8\xf0\x9f\x98\x80\"");
        CHECK(canonical_of(R"("\u0041\u0062c")") == R"("Abc")");
        CHECK(canonical_of(R"({"k\n\"": "v"})") == R"({"k\n\"":"v"})");
        CHECK(json::to_canonical(value(std::string("a\0b", 3))) == R"("a\u0000b")");
    }

    TEST_CASE("canonical: equal values give equal text") {
        const auto a = json::parse(R"({"a": 1, "b": [1.0, {"y": 2, "x": 1e0}], "c": "\u00e9"})").value();
        const auto b = json::parse(R"({"c": "é", "b": [1, {"x": 1, "y": 2.00}], "a": 1.0})").value();
        REQUIRE(json::equal(a, b));
        CHECK(json::to_canonical(a) == json::to_canonical(b));
        CHECK(json::to_canonical(value(std::int64_t{7})) == json::to_canonical(value(std::uint64_t{7})));
        CHECK(json::to_canonical(value(std::uint64_t{1} << 63)) == json::to_canonical(value(9223372036854775808.0)));
    }

    TEST_CASE("canonical: the text parses back to an equal value with the same text") {
        const auto original =
            json::parse(R"({"n": [0.1, -2, 1e300, 5e-324, 18446744073709551615], "s": "\u0001\"", "o": {"b": {}, "a": []}})")
                .value();
        const auto text = json::to_canonical(original);
        const auto reparsed = json::parse(text).value();
        CHECK(json::equal(original, reparsed));
        CHECK(json::to_canonical(reparsed) == text);
    }

    TEST_CASE("canonical: sorted() reorders members recursively, and nothing else") {
        const auto original = json::parse(R"({"b": {"d": 1, "c": [ {"f": 2, "e": 3} ]}, "a": "x"})").value();
        const auto result = json::sorted(original);
        CHECK(boost::json::serialize(result) == R"({"a":"x","b":{"c":[{"e":3,"f":2}],"d":1}})");
        CHECK(json::equal(result, original));
        CHECK(json::sorted(value("scalar")) == value("scalar"));
        CHECK(json::sorted(value(1.5)) == value(1.5));
    }
}
