#include <tessera/json/pointer.hpp>

#include <tessera/json/parse.hpp>

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

using tessera::ErrorCode;
namespace json = tessera::json;
using boost::json::value;

namespace {

// RFC 6901 §5.
const char* const kRfcDocument = R"({
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    "k\"l": 6,
    " ": 7,
    "m~n": 8
})";

value doc(std::string_view text) {
    return json::parse(text).value();
}

std::string text_at(const value& document, std::string_view pointer) {
    auto found = json::find(document, pointer);
    REQUIRE(found);
    return *found == nullptr ? "<none>" : boost::json::serialize(**found);
}

}  // namespace

TEST_SUITE("json") {
    TEST_CASE("pointer: every example of RFC 6901 §5 resolves") {
        const auto document = doc(kRfcDocument);
        auto whole = json::find(document, "");
        REQUIRE(whole);
        CHECK(*whole == &document);
        CHECK(text_at(document, "/foo") == R"(["bar","baz"])");
        CHECK(text_at(document, "/foo/0") == R"("bar")");
        CHECK(text_at(document, "/") == "0");
        CHECK(text_at(document, "/a~1b") == "1");
        CHECK(text_at(document, "/c%d") == "2");
        CHECK(text_at(document, "/e^f") == "3");
        CHECK(text_at(document, "/g|h") == "4");
        CHECK(text_at(document, "/i\\j") == "5");
        CHECK(text_at(document, "/k\"l") == "6");
        CHECK(text_at(document, "/ ") == "7");
        CHECK(text_at(document, "/m~0n") == "8");
    }

    TEST_CASE("pointer: parse_pointer splits and unescapes tokens") {
        CHECK(json::parse_pointer("").value().empty());
        CHECK(json::parse_pointer("/").value() == std::vector<std::string>{""});
        CHECK(json::parse_pointer("//").value() == std::vector<std::string>{"", ""});
        CHECK(json::parse_pointer("/a~1b/0").value() == std::vector<std::string>{"a/b", "0"});
        // RFC 6901 §4: "~01" is "~1" (unescape ~1 first would wrongly give "/").
        CHECK(json::parse_pointer("/~01").value() == std::vector<std::string>{"~1"});
        CHECK(json::parse_pointer("/~0~1~0").value() == std::vector<std::string>{"~/~"});
    }

    TEST_CASE("pointer: malformed pointers are malformed") {
        for (const char* bad : {"a", "a/b", "#/a", "/~", "/~2", "/a~", "/a~x/b", " /a"}) {
            CAPTURE(bad);
            auto tokens = json::parse_pointer(bad);
            REQUIRE_FALSE(tokens);
            CHECK(tokens.error().code() == ErrorCode::malformed);
            const auto document = doc(kRfcDocument);
            CHECK(json::find(document, bad).error().code() == ErrorCode::malformed);
        }
    }

    TEST_CASE("pointer: escape_token, append_token(_to) and append_index build pointers") {
        CHECK(json::escape_token("a/b~c") == "a~1b~0c");
        CHECK(json::escape_token("") == "");
        CHECK(json::append_token("", "a/b") == "/a~1b");
        CHECK(json::append_token("/x", "m~n") == "/x/m~0n");
        CHECK(json::append_token("/x", "") == "/x/");
        CHECK(json::append_index("/items", 12) == "/items/12");
        CHECK(json::append_index("", 0) == "/0");
        std::string in_place = "/x";
        json::append_token_to(in_place, "a/b~c");
        CHECK(in_place == "/x/a~1b~0c");
        for (const char* token : {"", "~", "/", "~1", "a/~b", "~0/"}) {
            CHECK(json::parse_pointer(json::append_token("", token)).value() == std::vector<std::string>{token});
        }
    }

    TEST_CASE("pointer: array indexes follow RFC 6901 §4") {
        const auto document = doc(R"({"a": [10, 20, 30], "s": "text", "n": null})");
        CHECK(text_at(document, "/a/0") == "10");
        CHECK(text_at(document, "/a/2") == "30");
        CHECK(text_at(document, "/a/3") == "<none>");
        CHECK(text_at(document, "/a/-") == "<none>");
        CHECK(text_at(document, "/a/01") == "<none>");
        CHECK(text_at(document, "/a/00") == "<none>");
        CHECK(text_at(document, "/a/1e0") == "<none>");
        CHECK(text_at(document, "/a/+1") == "<none>");
        CHECK(text_at(document, "/a/-1") == "<none>");
        CHECK(text_at(document, "/a/ 1") == "<none>");
        CHECK(text_at(document, "/a/") == "<none>");
        CHECK(text_at(document, "/a/99999999999999999999999999") == "<none>");
        CHECK(text_at(document, "/missing") == "<none>");
        CHECK(text_at(document, "/missing/deeper") == "<none>");
        CHECK(text_at(document, "/s/0") == "<none>");
        CHECK(text_at(document, "/n") == "null");
        CHECK(text_at(document, "/n/x") == "<none>");
        // An object member named like an index is still a member.
        CHECK(text_at(doc(R"({"0": "zero", "-": "dash", "01": 1})"), "/0") == R"("zero")");
        CHECK(text_at(doc(R"({"0": "zero", "-": "dash", "01": 1})"), "/-") == R"("dash")");
        CHECK(text_at(doc(R"({"0": "zero", "-": "dash", "01": 1})"), "/01") == "1");
    }

    TEST_CASE("pointer: find on a mutable document gives a writable value") {
        auto document = doc(R"({"a": [1, {"b": 2}]})");
        auto found = json::find(document, "/a/1/b");
        REQUIRE(found);
        REQUIRE(*found != nullptr);
        **found = "changed";
        CHECK(boost::json::serialize(document) == R"({"a":[1,{"b":"changed"}]})");
    }

    TEST_CASE("pointer: set has RFC 6902 add semantics") {
        auto document = doc(R"({"a": {"x": 1}, "list": [1, 2]})");
        SUBCASE("adds or replaces an object member") {
            REQUIRE(json::set(document, "/a/y", value(2)));
            REQUIRE(json::set(document, "/a/x", value("one")));
            CHECK(boost::json::serialize(document) == R"({"a":{"x":"one","y":2},"list":[1,2]})");
        }
        SUBCASE("inserts into an array before the index, or appends with - and size") {
            REQUIRE(json::set(document, "/list/0", value(0)));
            REQUIRE(json::set(document, "/list/-", value(3)));
            REQUIRE(json::set(document, "/list/4", value(4)));
            REQUIRE(json::set(document, "/list/2", value("mid")));
            CHECK(boost::json::serialize(document.at("list")) == R"([0,1,"mid",2,3,4])");
        }
        SUBCASE("the empty pointer replaces the whole document") {
            REQUIRE(json::set(document, "", value("whole")));
            CHECK(document == value("whole"));
        }
        SUBCASE("a missing parent, a bad index or a scalar parent is not_found; document unchanged") {
            const auto before = document;
            for (const char* pointer : {"/b/c", "/list/3", "/list/01", "/list/x", "/list/-1", "/a/x/y", "/list/0/z"}) {
                CAPTURE(pointer);
                auto done = json::set(document, pointer, value(9));
                REQUIRE_FALSE(done);
                CHECK(done.error().code() == ErrorCode::not_found);
                CHECK(done.error().details().at("pointer") == pointer);
                CHECK(done.error().message().find(pointer) != std::string::npos);
            }
            CHECK(document == before);
        }
        SUBCASE("a malformed pointer is malformed; document unchanged") {
            const auto before = document;
            CHECK(json::set(document, "a", value(9)).error().code() == ErrorCode::malformed);
            CHECK(json::set(document, "/a~2", value(9)).error().code() == ErrorCode::malformed);
            CHECK(document == before);
        }
    }

    TEST_CASE("pointer: remove returns the value and keeps the order of what remains") {
        auto document = doc(R"({"a": 1, "b": [10, 20, 30], "c": 3, "d": 4})");
        SUBCASE("object member") {
            auto removed = json::remove(document, "/a");
            REQUIRE(removed);
            CHECK(*removed == value(1));
            CHECK(boost::json::serialize(document) == R"({"b":[10,20,30],"c":3,"d":4})");
        }
        SUBCASE("array element; later elements shift down") {
            auto removed = json::remove(document, "/b/1");
            REQUIRE(removed);
            CHECK(*removed == value(20));
            CHECK(boost::json::serialize(document.at("b")) == "[10,30]");
        }
        SUBCASE("nothing there is not_found; document unchanged") {
            const auto before = document;
            for (const char* pointer : {"/x", "/b/3", "/b/-", "/b/01", "/x/y", "/a/0"}) {
                CAPTURE(pointer);
                auto removed = json::remove(document, pointer);
                REQUIRE_FALSE(removed);
                CHECK(removed.error().code() == ErrorCode::not_found);
            }
            CHECK(document == before);
        }
        SUBCASE("the empty pointer is invalid, malformed pointers are malformed") {
            const auto before = document;
            CHECK(json::remove(document, "").error().code() == ErrorCode::invalid);
            CHECK(json::remove(document, "a").error().code() == ErrorCode::malformed);
            CHECK(json::remove(document, "/~").error().code() == ErrorCode::malformed);
            CHECK(document == before);
        }
    }
}
