#include <tessera/json/parse.hpp>

#include <doctest/doctest.h>

#include <string>

using tessera::ErrorCode;
namespace json = tessera::json;

TEST_SUITE("json") {
    TEST_CASE("parse: accepts one JSON value") {
        auto v = json::parse(R"({"a": [1, 2.5, "x", null, true]})");
        REQUIRE(v);
        CHECK(v->at("a").as_array().size() == 5);
    }

    TEST_CASE("parse: malformed text is invalid with the byte offset, line and column") {
        auto v = json::parse("{\n  \"a\": tru }");
        REQUIRE_FALSE(v);
        CHECK(v.error().code() == ErrorCode::invalid);
        CHECK(v.error().details().at("line").as_uint64() == 2);
        CHECK(v.error().details().at("offset").to_number<std::size_t>() >= 9);
        CHECK(v.error().message().find("line 2") != std::string::npos);
    }

    TEST_CASE("parse: trailing garbage, truncation and empty input are invalid") {
        CHECK(json::parse("{} x").error().code() == ErrorCode::invalid);
        CHECK(json::parse("[1, 2").error().code() == ErrorCode::invalid);
        CHECK(json::parse("").error().code() == ErrorCode::invalid);
        CHECK(json::parse("{\"a\":1,}").error().code() == ErrorCode::invalid);
    }

    TEST_CASE("parse: invalid UTF-8 is rejected") {
        CHECK(json::parse("\"\xff\xfe\"").error().code() == ErrorCode::invalid);
    }

    TEST_CASE("parse: size limit gives too_large") {
        json::ParseLimits limits;
        limits.max_bytes = 8;
        auto v = json::parse(R"({"abc": "defgh"})", limits);
        REQUIRE_FALSE(v);
        CHECK(v.error().code() == ErrorCode::too_large);
        CHECK(json::parse("[1]", limits));
    }

    TEST_CASE("parse: depth limit gives too_large with the offset of the deepest bracket") {
        json::ParseLimits limits;
        limits.max_depth = 3;
        CHECK(json::parse("[[[1]]]", limits));
        auto v = json::parse("[[[[1]]]]", limits);
        REQUIRE_FALSE(v);
        CHECK(v.error().code() == ErrorCode::too_large);
        CHECK(v.error().details().at("offset").to_number<std::size_t>() == 3);
    }
}
