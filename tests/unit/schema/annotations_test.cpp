#include <tessera/schema/annotations.hpp>

#include "support/temp_dir.hpp"

#include <tessera/json/parse.hpp>
#include <tessera/schema/registry.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace json = boost::json;
using tessera::ErrorCode;
using tessera::schema::Annotations;
using tessera::schema::IdFormat;
using tessera::schema::Registry;

namespace {

// The annotations of a schema whose x-tessera block is `block` (JSON text).
tessera::Result<Annotations> annotations_of(std::string_view block) {
    auto schema = tessera::json::parse(R"({"type": "object", "x-tessera": )" + std::string(block) + "}").value();
    auto compiled = Registry::compile(schema, "widget");
    if (!compiled) return std::move(compiled).error();
    return (*compiled)->annotations();
}

}  // namespace

TEST_SUITE("schema") {
    TEST_CASE("Annotations: defaults without an x-tessera block") {
        auto compiled = Registry::compile(json::object{{"type", "object"}}, "widget");
        REQUIRE(compiled.has_value());
        const Annotations& a = (*compiled)->annotations();
        CHECK(a.collection == "widget");
        CHECK(a.routes.empty());
        CHECK(a.id.field.empty());
        CHECK(a.id.generate == IdFormat::uuid4);
        CHECK(a.id.from_url);
        CHECK_FALSE(a.ttl.has_value());
        CHECK_FALSE(a.require_if_match);
        CHECK_FALSE(a.entities.has_value());
        CHECK(a.expose);
    }

    TEST_CASE("Annotations: every key of the block") {
        auto a = annotations_of(R"({
            "collection": "widgets", "routes": ["/widget", "/w"],
            "id": {"field": "code", "generate": "uuid7", "fromUrl": false},
            "ttl": {"field": "expires", "default": "12h"},
            "requireIfMatch": true,
            "entities": {"idField": "id", "typeField": "kind", "types": {"part": "parts"}},
            "expose": false
        })");
        REQUIRE_MESSAGE(a.has_value(), a.error().message());
        CHECK(a->collection == "widgets");
        CHECK(a->routes == std::vector<std::string>{"/widget", "/w"});
        CHECK(a->id == tessera::schema::IdPolicy{"code", IdFormat::uuid7, false});
        REQUIRE(a->ttl.has_value());
        CHECK(a->ttl->field == "expires");
        CHECK(a->ttl->default_ttl == std::chrono::hours(12));
        CHECK(a->require_if_match);
        REQUIRE(a->entities.has_value());
        CHECK(a->entities->id_field == "id");
        CHECK(a->entities->type_field == "kind");
        CHECK(a->entities->types == std::map<std::string, std::string>{{"part", "parts"}});
        CHECK_FALSE(a->expose);
    }

    TEST_CASE("Annotations: partial blocks keep the other defaults") {
        auto a = annotations_of(R"({"id": {}, "entities": {}})");
        REQUIRE(a.has_value());
        CHECK(a->collection == "widget");
        CHECK_FALSE(a->id.generate.has_value());  // an explicit id block without "generate" never generates
        CHECK(a->id.from_url);
        CHECK(a->entities->id_field == "objectId");
        CHECK(a->entities->type_field == "objectType");
        CHECK(a->entities->types.empty());
    }

    TEST_CASE("Annotations: durations in days, hours, minutes, seconds or whole seconds") {
        const std::pair<const char*, std::chrono::seconds> cases[] = {
            {R"("30d")", std::chrono::hours(24 * 30)}, {R"("12h")", std::chrono::hours(12)},
            {R"("90m")", std::chrono::minutes(90)},    {R"("45s")", std::chrono::seconds(45)},
            {"3600", std::chrono::seconds(3600)},
        };
        for (const auto& [text, expected] : cases) {
            CAPTURE(text);
            auto a = annotations_of(std::string(R"({"ttl": {"default": )") + text + "}}");
            REQUIRE(a.has_value());
            CHECK(a->ttl->default_ttl == expected);
            CHECK(a->ttl->field.empty());
        }
    }

    TEST_CASE("Annotations: an unknown key or a wrong type is invalid at its pointer") {
        const std::pair<const char*, const char*> cases[] = {
            {R"(5)", "/x-tessera"},
            {R"({"colection": "x"})", "/x-tessera/colection"},
            {R"({"collection": 5})", "/x-tessera/collection"},
            {R"({"collection": ""})", "/x-tessera/collection"},
            {R"({"collection": "a/b"})", "/x-tessera/collection"},
            {R"({"routes": "/x"})", "/x-tessera/routes"},
            {R"({"routes": ["/a", 5]})", "/x-tessera/routes/1"},
            {R"({"routes": ["guid"]})", "/x-tessera/routes/0"},
            {R"({"id": "objectId"})", "/x-tessera/id"},
            {R"({"id": {"generat": "hex32"}})", "/x-tessera/id/generat"},
            {R"({"id": {"field": 1}})", "/x-tessera/id/field"},
            {R"({"id": {"generate": "uuid9"}})", "/x-tessera/id/generate"},
            {R"({"id": {"generate": true}})", "/x-tessera/id/generate"},
            {R"({"id": {"fromUrl": "yes"}})", "/x-tessera/id/fromUrl"},
            {R"({"ttl": []})", "/x-tessera/ttl"},
            {R"({"ttl": {"fild": "expire"}})", "/x-tessera/ttl/fild"},
            {R"({"ttl": {"field": 1}})", "/x-tessera/ttl/field"},
            {R"({"ttl": {"field": ""}})", "/x-tessera/ttl/field"},
            {R"({"ttl": {"default": "30x"}})", "/x-tessera/ttl/default"},
            {R"({"ttl": {"default": "d"}})", "/x-tessera/ttl/default"},
            {R"({"ttl": {"default": "-5s"}})", "/x-tessera/ttl/default"},
            {R"({"ttl": {"default": 0}})", "/x-tessera/ttl/default"},
            {R"({"ttl": {"default": 1.5}})", "/x-tessera/ttl/default"},
            {R"({"ttl": {"default": "99999999999999999d"}})", "/x-tessera/ttl/default"},
            {R"({"requireIfMatch": "true"})", "/x-tessera/requireIfMatch"},
            {R"({"entities": 1})", "/x-tessera/entities"},
            {R"({"search": {"index": []}})", "/x-tessera/search/index"},
            {R"({"search": {"indexes": [["a"], "b"]}})", "/x-tessera/search/indexes/1"},
            {R"({"search": {"indexes": [[]]}})", "/x-tessera/search/indexes/0"},
            {R"({"search": {"indexes": [["a", 5]]}})", "/x-tessera/search/indexes/0/1"},
            {R"({"entities": {"idfield": "id"}})", "/x-tessera/entities/idfield"},
            {R"({"entities": {"idField": ""}})", "/x-tessera/entities/idField"},
            {R"({"entities": {"typeField": null}})", "/x-tessera/entities/typeField"},
            {R"({"entities": {"types": []}})", "/x-tessera/entities/types"},
            {R"({"entities": {"types": {"a~b/c": 1}}})", "/x-tessera/entities/types/a~0b~1c"},
            // Issue 11: entity types name collections by the one rule for collection names, so no
            // schema can send entities into an internal collection.
            {R"({"entities": {"types": {"link": "_links"}}})", "/x-tessera/entities/types/link"},
            {R"({"entities": {"types": {"x": "a/b"}}})", "/x-tessera/entities/types/x"},
            {R"({"collection": "_idempotency"})", "/x-tessera/collection"},
            {R"({"expose": 1})", "/x-tessera/expose"},
        };
        for (const auto& [block, pointer] : cases) {
            CAPTURE(block);
            auto a = annotations_of(block);
            REQUIRE_FALSE(a.has_value());
            CHECK(a.error().code() == ErrorCode::invalid);
            CHECK(a.error().details().at("pointer") == pointer);
            CHECK(a.error().details().at("file") == "widget");
            CHECK(a.error().message().starts_with(std::string("widget: ") + pointer + ": "));
        }
    }

    TEST_CASE("Annotations: errors in a registry name the file") {
        tessera::test::TempDir dir;
        std::ofstream(dir.path() / "plan.json")
            << R"({"x-tessera": {"id": {"field": "objectId", "generat": "hex32"}}})";
        auto registry = Registry::open(dir.path());
        REQUIRE_FALSE(registry.has_value());
        const auto& error = registry.error();
        CHECK(error.code() == ErrorCode::invalid);
        CHECK(error.details().at("file").as_string() == (dir.path() / "plan.json").string());
        CHECK(error.details().at("pointer") == "/x-tessera/id/generat");
        CHECK(error.message().find("unknown key 'generat'") != std::string::npos);
    }
}
