#include <tessera/json/text.hpp>

#include <tessera/json/canonical.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

namespace json = tessera::json;

TEST_SUITE("json") {
    TEST_CASE("text: is_valid_utf8 accepts well-formed UTF-8 only (RFC 3629)") {
        for (const char* good : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xED\x9F\xBF"}) {
            CAPTURE(good);
            CHECK(json::is_valid_utf8(good));
        }
        // A lone byte above 0x7F (issue 11: "%FF" in a URL), truncated, overlong, surrogate, too high.
        for (const char* bad : {"\xFF", "a\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                "\xF5\x80\x80\x80"}) {
            CAPTURE(bad);
            CHECK_FALSE(json::is_valid_utf8(bad));
        }
    }

    TEST_CASE("text: excerpt is bounded, printable and valid UTF-8 whatever it is given") {
        CHECK(json::excerpt("short") == "short");
        CHECK(json::excerpt(std::string(100, 'a'), 10) == std::string(10, 'a') + "\xE2\x80\xA6");
        CHECK(json::excerpt("a\xFF" "b\n", 64) == "a\\xFFb\\x0A");
        CHECK(json::excerpt("caf\xC3\xA9") == "caf\xC3\xA9");
        CHECK(json::is_valid_utf8(json::excerpt(std::string("\xC3\xA9\xFF\x00", 4))));
        CHECK(json::to_valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
    }

    TEST_CASE("text: serialize keeps member order and writes plain decimals (issue 11: no 1E-3 in logs)") {
        const auto value = boost::json::parse(R"({"z":0.001,"a":0.0,"m":1.5e9,"d":8.9007e-2,"s":"x"})");
        CHECK(json::serialize(value) == R"({"z":0.001,"a":0,"m":1500000000,"d":0.089007,"s":"x"})");
        boost::json::object bytes{{"raw", std::string("a\xFF")}};
        CHECK(json::serialize(bytes) == "{\"raw\":\"a\xEF\xBF\xBD\"}");
    }
}
