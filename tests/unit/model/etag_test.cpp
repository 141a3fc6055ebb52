#include <tessera/model/etag.hpp>

#include <doctest/doctest.h>

using tessera::model::Etag;
using tessera::model::EtagSet;

TEST_SUITE("model") {
    TEST_CASE("Etag: strong tag of canonical text is stable and distinguishes content") {
        const auto a = tessera::model::make_etag(R"({"a":1})");
        CHECK(a == tessera::model::make_etag(R"({"a":1})"));
        CHECK_FALSE(a == tessera::model::make_etag(R"({"a":2})"));
        CHECK_FALSE(a.weak);
        CHECK(a.opaque.size() == 22);
        CHECK(a.to_header() == "\"" + a.opaque + "\"");
    }

    TEST_CASE("EtagSet: parses *, lists, weak tags and empty list elements") {
        auto any = EtagSet::parse(" * ");
        REQUIRE(any);
        CHECK(any->any);
        auto list = EtagSet::parse(R"("a", W/"b" ,, "c")");
        REQUIRE(list);
        REQUIRE(list->tags.size() == 3);
        CHECK(list->tags[1].weak);
        CHECK(list->tags[1].opaque == "b");
    }

    TEST_CASE("EtagSet: malformed values are syntax errors") {
        for (const char* bad : {"", "abc", "\"unterminated", "W/abc", "\"a\" \"b\"", "*, \"a\"", "\"a b\""}) {
            CAPTURE(bad);
            auto parsed = EtagSet::parse(bad);
            REQUIRE_FALSE(parsed);
            CHECK(parsed.error().code() == tessera::ErrorCode::malformed);
        }
    }

    TEST_CASE("EtagSet: If-Match compares strongly, If-None-Match weakly (RFC 9110 §8.8.3.2)") {
        const Etag current{"x", false};
        CHECK(EtagSet::parse(R"("x")")->matches_strong(current));
        CHECK_FALSE(EtagSet::parse(R"(W/"x")")->matches_strong(current));
        CHECK(EtagSet::parse(R"(W/"x")")->matches_weak(current));
        CHECK_FALSE(EtagSet::parse(R"("y")")->matches_weak(current));
        CHECK(EtagSet::parse("*")->matches_strong(current));
    }
}
