#include <tessera/model/collection.hpp>

#include <tessera/model/engine.hpp>

#include "support/engine_fixture.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <set>

using boost::json::value;
using tessera::ErrorCode;
using tessera::model::EtagSet;
using tessera::model::Preconditions;
using tessera::model::WriteOptions;

namespace {
value js(const char* text) { return boost::json::parse(text); }
WriteOptions if_match(const tessera::model::Etag& tag) {
    WriteOptions options;
    options.preconditions.if_match = EtagSet{false, {tag}};
    return options;
}
}  // namespace

TEST_SUITE("model") {
    TEST_CASE("Collection: create takes the id from the body, the URL, or generates one") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");

        auto from_body = counters.create(js(R"({"id":"c1","value":1})"));
        REQUIRE(from_body);
        CHECK(from_body->id == "c1");
        CHECK(from_body->created);

        auto from_url = counters.create(js(R"({"value":2})"), "c2");
        REQUIRE(from_url);
        CHECK(from_url->id == "c2");
        CHECK(from_url->body.at("id").as_string() == "c2");  // written into the id field

        auto generated = counters.create(js(R"({"value":3})"));
        REQUIRE(generated);
        CHECK(generated->id.size() == 36);

        auto mismatch = counters.create(js(R"({"id":"a","value":1})"), "b");
        REQUIRE_FALSE(mismatch);
        CHECK(mismatch.error().code() == ErrorCode::invalid);
    }

    TEST_CASE("Collection: creating an existing id is a conflict and changes nothing") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        REQUIRE(counters.create(js(R"({"id":"c","value":1})")));
        auto again = counters.create(js(R"({"id":"c","value":9})"));
        REQUIRE_FALSE(again);
        CHECK(again.error().code() == ErrorCode::conflict);
        CHECK(counters.get("c")->body.at("value").as_int64() == 1);
    }

    TEST_CASE("Collection: schema violations are invalid with a pointer each, and nothing is written") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        auto bad = counters.create(js(R"({"id":"c","value":-1,"extra":true})"));
        REQUIRE_FALSE(bad);
        CHECK(bad.error().code() == ErrorCode::invalid);
        const auto& errors = bad.error().details().at("errors").as_array();
        CHECK(errors.size() >= 2);
        bool saw_value = false;
        for (const auto& e : errors) saw_value = saw_value || e.at("pointer").as_string() == "/value";
        CHECK(saw_value);
        CHECK(counters.get("c").error().code() == ErrorCode::not_found);
        CHECK(*engine.store().count("counters") == 0);
    }

    TEST_CASE("Collection: get with If-None-Match sets not_modified; If-Match mismatch fails") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        auto created = counters.create(js(R"({"id":"c","value":1})"));
        REQUIRE(created);
        Preconditions inm;
        inm.if_none_match = EtagSet{false, {created->etag}};
        CHECK(counters.get("c", inm)->not_modified);
        Preconditions im;
        im.if_match = EtagSet{false, {{"stale", false}}};
        CHECK(counters.get("c", im).error().code() == ErrorCode::precondition_failed);
        CHECK(counters.get("nope").error().code() == ErrorCode::not_found);
    }

    TEST_CASE("Collection: merge patch with the current tag applies; with a stale tag fails") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        auto v1 = counters.create(js(R"({"id":"c","value":1,"label":"x"})"));
        REQUIRE(v1);
        auto v2 = counters.merge_patch("c", js(R"({"value":2,"label":null})"), if_match(v1->etag));
        REQUIRE(v2);
        CHECK(v2->text == R"({"id":"c","value":2})");
        CHECK(v2->version > v1->version);
        CHECK_FALSE(v2->etag == v1->etag);

        auto stale = counters.merge_patch("c", js(R"({"value":3})"), if_match(v1->etag));
        REQUIRE_FALSE(stale);
        CHECK(stale.error().code() == ErrorCode::precondition_failed);
        CHECK(counters.get("c")->body.at("value").as_int64() == 2);
    }

    TEST_CASE("Collection: a patch whose result violates the schema is invalid and changes nothing") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        REQUIRE(counters.create(js(R"({"id":"c","value":1})")));
        CHECK(counters.merge_patch("c", js(R"({"value":"two"})")).error().code() == ErrorCode::invalid);
        CHECK(counters.json_patch("c", js(R"([{"op":"remove","path":"/value"}])")).error().code() == ErrorCode::invalid);
        CHECK(counters.merge_patch("c", js(R"({"id":"other"})")).error().code() == ErrorCode::invalid);
        CHECK(counters.get("c")->text == R"({"id":"c","value":1})");
    }

    TEST_CASE("Collection: JSON Patch — applied, malformed (syntax), or not applicable (conflict)") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        REQUIRE(counters.create(js(R"({"id":"c","value":1})")));
        auto ok = counters.json_patch("c", js(R"([{"op":"test","path":"/value","value":1},{"op":"replace","path":"/value","value":5}])"));
        REQUIRE(ok);
        CHECK(ok->body.at("value").as_int64() == 5);
        auto malformed = counters.json_patch("c", js(R"({"op":"add"})"));
        REQUIRE_FALSE(malformed);
        CHECK(malformed.error().code() == tessera::ErrorCode::malformed);
        auto failed_test = counters.json_patch("c", js(R"([{"op":"test","path":"/value","value":1}])"));
        REQUIRE_FALSE(failed_test);
        CHECK(failed_test.error().code() == ErrorCode::conflict);
    }

    TEST_CASE("Collection: replace creates when absent (ids from the URL) and replaces when present") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        auto created = counters.replace("r", js(R"({"value":1})"));
        REQUIRE(created);
        CHECK(created->created);
        auto replaced = counters.replace("r", js(R"({"value":7})"));
        REQUIRE(replaced);
        CHECK_FALSE(replaced->created);
        CHECK(replaced->text == R"({"id":"r","value":7})");
    }

    TEST_CASE("Collection: remove, with and without If-Match") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        auto created = counters.create(js(R"({"id":"c","value":1})"));
        REQUIRE(created);
        CHECK(counters.remove("c", if_match({"stale", false})).error().code() == ErrorCode::precondition_failed);
        CHECK(counters.remove("c", if_match(created->etag)));
        CHECK(counters.remove("c").error().code() == ErrorCode::not_found);
    }

    TEST_CASE("Collection: list pages through every document once") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        for (int i = 0; i < 25; ++i) REQUIRE(counters.create(js(R"({"value":1})"), "k" + std::to_string(100 + i)));
        std::set<std::string> seen;
        std::string cursor;
        int pages = 0;
        do {
            auto page = counters.list(cursor, 10);
            REQUIRE(page);
            for (const auto& item : page->items) CHECK(seen.insert(item.id).second);
            cursor = page->next_cursor;
            ++pages;
        } while (!cursor.empty() && pages < 10);
        CHECK(seen.size() == 25);
        CHECK(pages == 3);
    }

    TEST_CASE("Collection: an Idempotency-Key replays the first outcome; a different request with it is invalid") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        WriteOptions keyed;
        keyed.idempotency_key = "POST /api/counters|k1";
        auto first = counters.create(js(R"({"value":1})"), "", keyed);
        REQUIRE(first);
        auto retry = counters.create(js(R"({"value":1})"), "", keyed);
        REQUIRE(retry);
        CHECK(retry->replayed);
        CHECK(retry->id == first->id);  // not a second generated document
        CHECK(retry->etag == first->etag);
        CHECK(*engine.store().count("counters") == 1);
        auto other = counters.create(js(R"({"value":2})"), "", keyed);
        REQUIRE_FALSE(other);
        CHECK(other.error().code() == ErrorCode::invalid);
    }

    TEST_CASE("Collection: TTL — the expiry defaults, is written into the body, and expired documents are gone") {
        auto engine = tessera::test::make_memory_engine();
        auto& tokens = *engine.collection("tokens");
        auto fresh = tokens.create(js(R"({"owner":"ann"})"));
        REQUIRE(fresh);
        CHECK(fresh->id.size() == 32);
        REQUIRE(fresh->expires_at);
        CHECK(*fresh->expires_at > std::chrono::system_clock::now() + std::chrono::hours(24 * 29));
        CHECK(fresh->body.at("expire").is_string());

        auto stale = tokens.create(js(R"({"owner":"bob","expire":"2001-01-01T00:00:00Z"})"));
        REQUIRE(stale);
        CHECK(tokens.get(stale->id).error().code() == ErrorCode::not_found);
        CHECK(tokens.create(js(R"({"expire":"yesterday"})")).error().code() == ErrorCode::invalid);
    }

    TEST_CASE("Collection: every write appends its event in the same commit") {
        auto engine = tessera::test::make_memory_engine();
        auto& counters = *engine.collection("counters");
        auto created = counters.create(js(R"({"id":"c","value":1})"));
        REQUIRE(created);
        REQUIRE(counters.merge_patch("c", js(R"({"value":2})")));
        REQUIRE(counters.merge_patch("c", js(R"({"value":2})")));  // no change: no event
        REQUIRE(counters.remove("c"));
        auto events = engine.store().claim(10, std::chrono::seconds(30));
        REQUIRE(events);
        REQUIRE(events->size() == 3);
        CHECK((*events)[0].action == "created");
        CHECK((*events)[0].version == created->version);
        CHECK((*events)[1].action == "updated");
        CHECK((*events)[1].data == R"({"id":"c","value":2})");
        CHECK((*events)[2].action == "deleted");
        CHECK((*events)[0].version < (*events)[1].version);
    }
}
