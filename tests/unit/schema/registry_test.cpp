#include <tessera/schema/registry.hpp>

#include "support/temp_dir.hpp"

#include <tessera/json/parse.hpp>

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
namespace json = boost::json;
using tessera::ErrorCode;
using tessera::schema::Draft;
using tessera::schema::Registry;
using tessera::schema::RegistryOptions;
using tessera::schema::ValidationError;
using Errors = std::vector<ValidationError>;

namespace doctest {
template <>
struct StringMaker<Errors> {
    static String convert(const Errors& errors) {
        std::string text = "{";
        for (const auto& error : errors) text += " {\"" + error.pointer + "\", \"" + error.message + "\"}";
        return (text + " }").c_str();
    }
};
}  // namespace doctest

namespace {

const fs::path kSource = TESSERA_SOURCE_DIR;

json::value parse(std::string_view text) {
    return tessera::json::parse(text).value();
}

json::value read_json(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str());
}

void write(const fs::path& file, std::string_view text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

json::value example_plan() {
    return read_json(kSource / "examples/data/plan.json");
}

const Registry& seed_registry() {
    static const Registry registry = Registry::open(kSource / "schemas").value();
    return registry;
}

// The error of loading a one-file registry whose file holds `text`.
tessera::Error load_failure(std::string_view text) {
    tessera::test::TempDir dir;
    write(dir.path() / "broken.json", text);
    auto registry = Registry::open(dir.path());
    REQUIRE_FALSE(registry.has_value());
    return registry.error();
}

}  // namespace

TEST_SUITE("schema") {
    TEST_CASE("Registry: loads schemas/ and the seed-000 example plan validates") {
        const Registry& registry = seed_registry();
        std::vector<std::string> names;
        for (const auto* schema : registry.schemas()) names.push_back(schema->name());
        CHECK(names == std::vector<std::string>{"guid", "membercostshare", "plan", "planservice", "service"});

        const auto* plan = registry.find("plan");
        REQUIRE(plan != nullptr);
        CHECK(registry.find_collection("plans") == plan);
        CHECK(registry.find_collection("services") == registry.find("service"));
        CHECK(registry.find("nope") == nullptr);
        CHECK(plan->id().empty());
        CHECK(plan->document().at("title") == "Plan");

        const auto& annotations = plan->annotations();
        CHECK(annotations.collection == "plans");
        CHECK(annotations.id.field == "objectId");
        CHECK_FALSE(annotations.id.generate.has_value());
        REQUIRE(annotations.entities.has_value());
        CHECK(annotations.entities->types == std::map<std::string, std::string>{{"membercostshare", "membercostshares"},
                                                                                {"planservice", "planservices"},
                                                                                {"service", "services"}});
        for (const auto* entity : {"membercostshare", "planservice", "service"}) {
            CHECK(registry.find(entity)->annotations().collection == std::string(entity) + "s");
            CHECK(registry.find(entity)->annotations().id.field == "objectId");
        }

        CHECK(plan->validate(example_plan()).empty());
        CHECK(plan->check(example_plan()));
        // The nested entities validate against their own schemas too.
        const auto plan_doc = example_plan();
        CHECK(registry.find("membercostshare")->validate(plan_doc.at("planCostShares")).empty());
        CHECK(registry.find("planservice")->validate(plan_doc.at("linkedPlanServices").at(1)).empty());
        CHECK(registry.find("service")->validate(plan_doc.at("linkedPlanServices").at(0).at("linkedService")).empty());
    }

    TEST_CASE("Registry: an invalid plan gets one error per problem, at its JSON Pointer") {
        const auto* plan = seed_registry().find("plan");
        auto doc = example_plan();

        SUBCASE("missing required property: at the object that lacks it") {
            doc.as_object().erase("objectId");
            CHECK(plan->validate(doc) == Errors{{"", "required property 'objectId' is missing"}});
        }
        SUBCASE("wrong type deep in linkedPlanServices/1") {
            doc.at("linkedPlanServices").at(1).at("planserviceCostShares").at("copay") = "175";
            CHECK(plan->validate(doc) ==
                  Errors{{"/linkedPlanServices/1/planserviceCostShares/copay", "expected integer, got string"}});
        }
        SUBCASE("missing property deep in linkedPlanServices/1/linkedService") {
            doc.at("linkedPlanServices").at(1).at("linkedService").as_object().erase("name");
            CHECK(plan->validate(doc) ==
                  Errors{{"/linkedPlanServices/1/linkedService", "required property 'name' is missing"}});
        }
        SUBCASE("additional properties: each one, at its own pointer") {
            doc.at("linkedPlanServices").at(0).at("linkedService").as_object()["extra"] = 1;
            doc.as_object()["a/b~c"] = true;
            CHECK(plan->validate(doc) ==
                  Errors{{"/linkedPlanServices/0/linkedService/extra", "property 'extra' is not allowed"},
                         {"/a~1b~0c", "property 'a/b~c' is not allowed"}});
        }
        SUBCASE("const, pattern, minimum and type of a whole array, in document order") {
            doc.at("objectType") = "service";
            doc.at("creationDate") = "2017-12-12";
            doc.at("planCostShares").at("deductible") = -1;
            doc.at("linkedPlanServices") = json::object();
            CHECK(plan->validate(doc) ==
                  Errors{{"/planCostShares/deductible", "value must be at least 0"},
                         {"/linkedPlanServices", "expected array, got object"},
                         {"/objectType", "value must be \"plan\""},
                         {"/creationDate", "string does not match pattern '^[0-9]{2}-[0-9]{2}-[0-9]{4}$'"}});
        }
        SUBCASE("not an object at all") {
            CHECK(plan->validate(json::value(42)) == Errors{{"", "expected object, got integer"}});
        }
        SUBCASE("check() is invalid with every error in details and the first in the message") {
            doc.as_object().erase("planType");
            doc.at("_org") = 7;
            auto result = plan->check(doc);
            REQUIRE_FALSE(result);
            CHECK(result.error().code() == ErrorCode::invalid);
            CHECK(result.error().details().at("errors").as_array().size() == 2);
            CHECK(result.error().details().at("schema") == "plan");
            CHECK(result.error().message().find("does not match schema 'plan'") != std::string::npos);
            CHECK(result.error().message().find("(and 1 more error)") != std::string::npos);
        }
    }

    TEST_CASE("Registry: the guid schema (seed 002)") {
        const auto* guid = seed_registry().find_collection("guids");
        REQUIRE(guid != nullptr);
        const auto& annotations = guid->annotations();
        CHECK(annotations.routes == std::vector<std::string>{"/guid"});
        CHECK(annotations.id.field == "guid");
        CHECK(annotations.id.generate == tessera::schema::IdFormat::hex32);
        CHECK(annotations.id.from_url);
        REQUIRE(annotations.ttl.has_value());
        CHECK(annotations.ttl->field == "expire");
        CHECK(annotations.ttl->default_ttl == std::chrono::hours(24 * 30));

        CHECK(guid->validate(parse(R"({"user": "Cylance, Inc."})")).empty());
        CHECK(guid->validate(parse(R"({"guid": "9094E4C980C74043A4B586B420E69DDF", "user": "x",
                                       "expire": "2026-11-23T04:13:20Z"})"))
                  .empty());
        CHECK(guid->validate(parse(R"({"guid": "9094e4c980c74043a4b586b420e69ddf", "user": "x",
                                       "expire": "2026-02-30T04:13:20Z"})")) ==
              Errors{{"/guid", "string does not match pattern '^[0-9A-F]{32}$'"},
                     {"/expire", "string is not a valid date-time"}});
    }

    TEST_CASE("Registry: a file that is not JSON is invalid with file, pointer and byte offset") {
        const auto error = load_failure("{\n  \"type\": \n}");
        CHECK(error.code() == ErrorCode::invalid);
        CHECK(error.details().at("file").as_string().ends_with("broken.json"));
        CHECK(error.details().at("pointer") == "");
        CHECK(error.details().at("line") == 3);
        CHECK(error.details().contains("offset"));
        CHECK(error.message().find("broken.json") != std::string::npos);
    }

    TEST_CASE("Registry: broken schemas are invalid with the pointer of the problem") {
        struct Case {
            const char* text;
            const char* pointer;
            const char* says;
        };
        const Case cases[] = {
            {R"({"type": 5})", "/type", "not a valid draft-07 schema: value must be one of \"array\", \"boolean\""},
            {R"({"properties": {"a": {"minLength": -1}}})", "/properties/a/minLength", "not a valid draft-07 schema"},
            {R"({"properties": {"a": {"pattern": "(unclosed"}}})", "/properties/a/pattern",
             "string is not a valid regex"},
            {R"({"patternProperties": {"[": {}}})", "/patternProperties/[", "invalid regular expression"},
            {R"({"properties": {"a": {"$ref": "missing.json"}}})", "/properties/a/$ref",
             "unresolvable $ref 'missing.json'"},
            {R"({"$ref": "#/definitions/nope"})", "/$ref", "nothing at '/definitions/nope'"},
            {R"({"$ref": "#nowhere"})", "/$ref", "unresolvable $ref '#nowhere'"},
            {R"({"allOf": [{"$ref": "#/definitions/a"}], "definitions": {"a": {"$ref": "#/definitions/b"},
                 "b": {"$ref": "#/definitions/a"}}})",
             "/allOf/0/$ref", "circular $ref"},
            {R"({"$ref": "#"})", "/$ref", "circular $ref"},
            {R"({"$schema": "http://json-schema.org/draft-03/schema#"})", "/$schema", "unsupported $schema"},
            {R"({"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 1, "exclusiveMaximum": 2})",
             "/exclusiveMaximum", "not a valid draft-04 schema"},
            {R"({"definitions": {"a": {"$id": "http://x/a"}, "b": {"$id": "http://x/a"}}})", "/definitions/b/$id",
             "duplicate schema URI 'http://x/a'"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.text);
            const auto error = load_failure(c.text);
            CHECK(error.code() == ErrorCode::invalid);
            CHECK(error.details().at("pointer") == c.pointer);
            CHECK(error.details().at("file").as_string().ends_with("broken.json"));
            CHECK_MESSAGE(error.message().find(c.says) != std::string::npos, error.message());
        }
    }

    TEST_CASE("Registry: directory errors, clashing collections and $ids across files") {
        CHECK(Registry::open("/nonexistent/tessera-schemas").error().code() == ErrorCode::not_found);

        tessera::test::TempDir dir;
        SUBCASE("two schemas claim one collection") {
            write(dir.path() / "a.json", R"({"x-tessera": {"collection": "things"}})");
            write(dir.path() / "b.json", R"({"x-tessera": {"collection": "things"}})");
            const auto error = Registry::open(dir.path()).error();
            CHECK(error.code() == ErrorCode::invalid);
            CHECK(error.details().at("file").as_string().ends_with("b.json"));
            CHECK(error.details().at("pointer") == "/x-tessera/collection");
            CHECK(error.message().find("collection 'things' is already defined by schema 'a'") != std::string::npos);
        }
        SUBCASE("a default collection (the name) clashes too") {
            write(dir.path() / "things.json", R"({})");
            write(dir.path() / "z.json", R"({"x-tessera": {"collection": "things"}})");
            CHECK(Registry::open(dir.path()).error().details().at("pointer") == "/x-tessera/collection");
        }
        SUBCASE("two files with one $id") {
            write(dir.path() / "a.json", R"({"$id": "https://example.com/same"})");
            write(dir.path() / "b.json", R"({"$id": "https://example.com/same"})");
            const auto error = Registry::open(dir.path()).error();
            CHECK(error.details().at("file").as_string().ends_with("b.json"));
            CHECK(error.details().at("pointer") == "/$id");
        }
        SUBCASE("a $ref cannot leave the schema directory") {
            write(dir.path() / "outside.json", R"({"type": "string"})");
            write(dir.path() / "schemas/a.json", R"({"$ref": "../outside.json"})");
            const auto error = Registry::open(dir.path() / "schemas").error();
            CHECK(error.details().at("pointer") == "/$ref");
            CHECK(error.message().find("unresolvable $ref '../outside.json'") != std::string::npos);
        }
    }

    TEST_CASE("Registry: $refs across files, by relative path and by $id") {
        tessera::test::TempDir dir;
        write(dir.path() / "order.json", R"({
            "type": "object",
            "properties": {
                "total": {"$ref": "common/money.json#/definitions/amount"},
                "customer": {"$ref": "https://example.com/schemas/customer"},
                "tags": {"$ref": "https://example.com/schemas/customer#tag"}
            }
        })");
        write(dir.path() / "common/money.json", R"({
            "definitions": {
                "amount": {"type": "integer", "minimum": 0},
                "label": {"$ref": "../customer.json#/definitions/name"}
            }
        })");
        write(dir.path() / "customer.json", R"({
            "$id": "https://example.com/schemas/customer",
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"$ref": "#/definitions/name"}, "budget": {"$ref": "common/money.json#/definitions/amount"}},
            "definitions": {
                "name": {"type": "string", "minLength": 1},
                "tag": {"$id": "#tag", "type": "array", "items": {"type": "string"}}
            }
        })");
        auto registry = Registry::open(dir.path());
        REQUIRE_MESSAGE(registry.has_value(), registry.error().message());
        REQUIRE(registry->find("common/money") != nullptr);
        CHECK(registry->find("common/money")->annotations().collection == "money");  // default: the file stem
        CHECK(registry->find("customer")->id() == "https://example.com/schemas/customer");

        const auto* order = registry->find("order");
        CHECK(
            order->validate(parse(R"({"total": 5, "customer": {"name": "Ann", "budget": 3}, "tags": ["a"]})")).empty());
        CHECK(order->validate(parse(R"({"total": -5, "customer": {"name": "", "budget": "3"}, "tags": [1]})")) ==
              Errors{{"/total", "value must be at least 0"},
                     {"/customer/name", "string must be at least 1 character long"},
                     {"/customer/budget", "expected integer, got string"},
                     {"/tags/0", "expected string, got integer"}});
    }

    TEST_CASE("Registry: draft-04 by $schema or by default, draft-07 otherwise") {
        const auto draft4 = parse(R"({"$schema": "http://json-schema.org/draft-04/schema#",
                                      "id": "http://example.com/d4", "maximum": 5, "exclusiveMaximum": true,
                                      "definitions": {"n": {"id": "#n", "type": "integer"}}, "allOf": [{"$ref": "#n"}]})");
        auto schema = Registry::compile(draft4, "d4");
        REQUIRE_MESSAGE(schema.has_value(), schema.error().message());
        CHECK((*schema)->id() == "http://example.com/d4");
        CHECK((*schema)->validate(json::value(4)).empty());
        CHECK((*schema)->validate(json::value(5)) == Errors{{"", "value must be less than 5"}});
        CHECK((*schema)->validate(json::value(4.5)) == Errors{{"", "expected integer, got number"}});

        // Draft-07 keywords mean nothing to draft-04; boolean subschemas are draft-06+.
        const auto no_schema = parse(R"({"const": 1, "maximum": 5, "exclusiveMaximum": true})");
        RegistryOptions draft4_default;
        draft4_default.default_draft = Draft::draft4;
        auto as4 = Registry::compile(no_schema, "as4", {}, draft4_default);
        REQUIRE(as4.has_value());
        CHECK((*as4)->validate(json::value(2)).empty());
        CHECK_FALSE(Registry::compile(no_schema, "as7").has_value());  // exclusiveMaximum must be a number
        CHECK_FALSE(Registry::compile(parse(R"({"not": true})"), "b4", {}, draft4_default).has_value());
    }

    TEST_CASE("Registry: compile and compile_file resolve relative refs beside the schema") {
        tessera::test::TempDir dir;
        write(dir.path() / "item.json", R"({"type": "string", "maxLength": 3})");
        write(dir.path() / "list.json", R"({"type": "array", "items": {"$ref": "item.json"}})");

        auto from_file = Registry::compile_file(dir.path() / "list.json");
        REQUIRE_MESSAGE(from_file.has_value(), from_file.error().message());
        CHECK((*from_file)->name() == "list");
        CHECK((*from_file)->validate(parse(R"(["abc", "abcd"])")) ==
              Errors{{"/1", "string must be at most 3 characters long"}});

        auto from_value = Registry::compile(read_json(dir.path() / "list.json"), "list", dir.path());
        REQUIRE(from_value.has_value());
        CHECK((*from_value)->validate(parse(R"(["a"])")).empty());
        // Without a base directory a relative file ref has nothing to resolve against.
        CHECK(Registry::compile(read_json(dir.path() / "list.json"), "list").error().code() == ErrorCode::invalid);
        CHECK(Registry::compile_file(dir.path() / "missing.json").error().code() == ErrorCode::not_found);
    }

    TEST_CASE("Registry: uri_mappings resolve remote $refs from a local directory, never the network") {
        tessera::test::TempDir dir;
        write(dir.path() / "remote/v1/positive.json", R"({"type": "integer", "exclusiveMinimum": 0})");
        const auto schema = parse(R"({"items": {"$ref": "https://schemas.example.org/v1/positive.json"}})");
        RegistryOptions options;
        options.uri_mappings.emplace_back("HTTPS://Schemas.Example.org/", dir.path() / "remote");
        auto compiled = Registry::compile(schema, "mapped", {}, options);
        REQUIRE_MESSAGE(compiled.has_value(), compiled.error().message());
        CHECK((*compiled)->validate(parse("[1, 0]")) == Errors{{"/1", "value must be greater than 0"}});
        CHECK_FALSE(Registry::compile(schema, "unmapped").has_value());
        // References to the meta-schemas are built in, however they are spelled.
        auto meta = Registry::compile(parse(R"({"allOf": [{"$ref": "http://json-schema.org/draft-07/schema#"},
                                                          {"$ref": "https://json-schema.org/draft-07/schema"}]})"),
                                      "meta");
        REQUIRE(meta.has_value());
        CHECK((*meta)->validate(parse(R"({"type": "string"})")).empty());
        CHECK((*meta)->validate(parse(R"({"type": "text"})")).size() >= 1);
    }

    TEST_CASE("Registry: the keywords Tessera uses inside compiled schemas mean nothing in a schema") {
        auto schema = Registry::compile(parse(R"({"$tessera-checks": 0, "$tessera-refs": {"0": false},
                                                  "properties": {"a": {"$tessera-checks": 3}}})"),
                                        "reserved");
        REQUIRE_MESSAGE(schema.has_value(), schema.error().message());
        CHECK((*schema)->validate(parse(R"({"a": 1})")).empty());
    }

    TEST_CASE("Registry: validate from 8 threads gives the single-threaded results") {
        const auto* plan = seed_registry().find("plan");
        auto bad = example_plan();
        bad.at("linkedPlanServices").at(1).at("linkedService").as_object()["extra"] = 1;
        bad.at("planCostShares").at("copay") = 2.5;
        const auto good = example_plan();
        const Errors expected_bad = plan->validate(bad);
        REQUIRE(expected_bad.size() == 2);

        std::vector<int> mismatches(8, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 200; ++i) {
                    if (!plan->validate(good).empty()) ++mismatches[t];
                    if (plan->validate(bad) != expected_bad) ++mismatches[t];
                }
            });
        }
        for (auto& thread : threads) thread.join();
        CHECK(mismatches == std::vector<int>(8, 0));
    }

    TEST_CASE("Registry: random mutations of the example plan never crash, and every error points into the document") {
        const auto* plan = seed_registry().find("plan");
        std::mt19937 random(7255);  // fixed: the same documents every run
        const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
        const auto random_value = [&]() -> json::value {
            switch (pick(9)) {
                case 0:
                    return nullptr;
                case 1:
                    return pick(2) == 0;
                case 2:
                    return static_cast<std::int64_t>(pick(5000)) - 2500;
                case 3:
                    return std::uint64_t{18446744073709551615ULL};
                case 4:
                    return 2.5;
                case 5:
                    return "12-12-2017";
                case 6:
                    return json::array{1, "two", json::object{{"objectType", "service"}}};
                case 7:
                    return json::object{{"objectId", "x"}, {"~/", json::array{}}};
                default:
                    return "\xc3\xa9t\xc3\xa9";
            }
        };

        // 3000 rounds: about 0.07 s in the ci build (and no wall-clock assertion, which sanitizers would make flaky).
        int invalid = 0;
        for (int round = 0; round < 3000; ++round) {
            auto doc = example_plan();
            for (std::size_t edits = 1 + pick(4); edits > 0; --edits) {
                // Walk to a random node, then replace, delete or add something there.
                json::value* node = &doc;
                while (pick(3) != 0) {
                    if (auto* object = node->if_object(); object && !object->empty()) {
                        node = &std::next(object->begin(), static_cast<std::ptrdiff_t>(pick(object->size())))->value();
                    } else if (auto* array = node->if_array(); array && !array->empty()) {
                        node = &(*array)[pick(array->size())];
                    } else {
                        break;
                    }
                }
                if (auto* object = node->if_object(); object && pick(2) == 0) {
                    if (!object->empty() && pick(2) == 0) {
                        object->erase(std::next(object->begin(), static_cast<std::ptrdiff_t>(pick(object->size()))));
                    } else {
                        (*object)["k" + std::to_string(pick(3))] = random_value();
                    }
                } else if (auto* array = node->if_array(); array && pick(2) == 0) {
                    array->push_back(random_value());
                } else {
                    *node = random_value();
                }
            }
            const auto errors = plan->validate(doc);
            invalid += errors.empty() ? 0 : 1;
            for (const auto& error : errors) {
                std::error_code ec;
                CHECK_MESSAGE(doc.find_pointer(error.pointer, ec) != nullptr,
                              error.pointer << " in " << json::serialize(doc));
                CHECK_FALSE(error.message.empty());
            }
        }
        CHECK(invalid > 2500);  // the mutations do hit the schema
    }
}
