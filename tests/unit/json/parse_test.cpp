#include <tessera/json/parse.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using tessera::ErrorCode;
namespace json = tessera::json;

TEST_SUITE("json") {
    TEST_CASE("parse: accepts one JSON value") {
        auto v = json::parse(R"({"a": [1, 2.5, "x", null, true]})");
        REQUIRE(v);
        CHECK(v->at("a").as_array().size() == 5);
    }

    TEST_CASE("parse: malformed text is malformed with the byte offset, line and column") {
        auto v = json::parse("{\n  \"a\": tru }");
        REQUIRE_FALSE(v);
        CHECK(v.error().code() == ErrorCode::malformed);
        CHECK(v.error().details().at("line").as_uint64() == 2);
        CHECK(v.error().details().at("offset").to_number<std::size_t>() >= 9);
        CHECK(v.error().message().find("line 2") != std::string::npos);
    }

    TEST_CASE("parse: trailing garbage, truncation and empty input are malformed") {
        CHECK(json::parse("{} x").error().code() == ErrorCode::malformed);
        CHECK(json::parse("[1, 2").error().code() == ErrorCode::malformed);
        CHECK(json::parse("").error().code() == ErrorCode::malformed);
        CHECK(json::parse("{\"a\":1,}").error().code() == ErrorCode::malformed);
    }

    TEST_CASE("parse: invalid UTF-8 is rejected") {
        CHECK(json::parse("\"\xff\xfe\"").error().code() == ErrorCode::malformed);
    }

    TEST_CASE("parse: size limit gives too_large") {
        json::ParseLimits limits;
        limits.max_bytes = 8;
        auto v = json::parse(R"({"abc": "defgh"})", limits);
        REQUIRE_FALSE(v);
        CHECK(v.error().code() == ErrorCode::too_large);
        CHECK(json::parse("[1]", limits));
    }

    TEST_CASE("parse: depth limit is malformed (400, not 413: issue 11) with the offset of the deepest bracket") {
        json::ParseLimits limits;
        limits.max_depth = 3;
        CHECK(json::parse("[[[1]]]", limits));
        auto v = json::parse("[[[[1]]]]", limits);
        REQUIRE_FALSE(v);
        CHECK(v.error().code() == ErrorCode::malformed);
        CHECK(v.error().details().at("offset").to_number<std::size_t>() == 3);
    }

    TEST_CASE("parse: doubles are correctly rounded (Boost.JSON 1.81 alone is not)") {
        // Each literal is the double nearest to its text, as std::from_chars and C++ literals give.
        CHECK(json::parse("0.9868011474609375")->as_double() == 0.9868011474609375);
        CHECK(json::parse("9.025474922337203e+25")->as_double() == 9.025474922337203e+25);
        CHECK(json::parse("2.2250738585072011e-308")->as_double() == 2.2250738585072011e-308);
        CHECK(json::parse("[18.4]")->as_array()[0].as_double() == 18.4);
        CHECK(json::parse("5e-324")->as_double() == 5e-324);
        CHECK(json::parse("-1.5")->as_double() == -1.5);
    }

    TEST_CASE("parse: a number beyond the range of a double is malformed; one below it is zero") {
        for (const char* text : {"1e400", "-1e400", "[1.8e308]", "1e99999999999"}) {
            CAPTURE(text);
            auto v = json::parse(text);
            REQUIRE_FALSE(v);
            CHECK(v.error().code() == ErrorCode::malformed);
        }
        CHECK(json::parse("1.7976931348623157e308")->as_double() == 1.7976931348623157e308);
        CHECK(json::parse("1e-400")->as_double() == 0.0);
        auto negative = json::parse("-1e-400");
        REQUIRE(negative);
        CHECK(negative->as_double() == 0.0);
        CHECK(std::signbit(negative->as_double()));
        CHECK(json::parse("0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                          "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                          "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                          "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000001")
                  ->as_double() == 0.0);
    }
}
