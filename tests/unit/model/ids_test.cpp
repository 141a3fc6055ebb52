#include <tessera/model/ids.hpp>

#include <doctest/doctest.h>

#include <regex>
#include <set>

using tessera::schema::IdFormat;

TEST_SUITE("model") {
    TEST_CASE("ids: formats of generated ids") {
        const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        const std::regex uuid7("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        const std::regex hex32("[0-9A-F]{32}");
        CHECK(std::regex_match(tessera::model::generate_id(IdFormat::uuid4), uuid4));
        CHECK(std::regex_match(tessera::model::generate_id(IdFormat::uuid7), uuid7));
        CHECK(std::regex_match(tessera::model::generate_id(IdFormat::hex32), hex32));
    }

    TEST_CASE("ids: generated ids do not repeat; uuid7 sorts by time") {
        std::set<std::string> seen;
        for (int i = 0; i < 1000; ++i) CHECK(seen.insert(tessera::model::generate_id(IdFormat::hex32)).second);
        const auto first = tessera::model::generate_id(IdFormat::uuid7);
        CHECK(first.substr(0, 8) <= tessera::model::generate_id(IdFormat::uuid7).substr(0, 8));
    }

    TEST_CASE("ids: validity") {
        CHECK(tessera::model::is_valid_id("12xvxc345ssdsds-508"));
        CHECK_FALSE(tessera::model::is_valid_id(""));
        CHECK_FALSE(tessera::model::is_valid_id("a/b"));
        CHECK_FALSE(tessera::model::is_valid_id("tab\there"));
        CHECK_FALSE(tessera::model::is_valid_id(std::string(257, 'x')));
    }
}
