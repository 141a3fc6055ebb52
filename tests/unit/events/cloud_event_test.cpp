#include <tessera/events/cloud_event.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using tessera::ErrorCode;
using tessera::events::CloudEvent;
using tessera::events::topic_matches;

namespace {

tessera::store::Event stored(std::string action, std::string data) {
    tessera::store::Event event;
    event.id = "42-1";
    event.collection = "services";
    event.document_id = "s-9";
    event.action = std::move(action);
    event.version = 42;
    event.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795411967123));
    event.data = std::move(data);
    event.root_id = "plans/p-1";
    event.parent_id = "planservices/ps-1";
    return event;
}

}  // namespace

TEST_SUITE("events") {
    TEST_CASE("CloudEvent: from_store maps an outbox record to CloudEvents 1.0 attributes") {
        const auto event = CloudEvent::from_store(stored("updated", R"({"name":"x"})"));
        CHECK(event.id == "42-1");
        CHECK(event.source == "/tessera/services");
        CHECK(event.type == "tessera.services.updated");
        CHECK(event.subject == "s-9");
        CHECK(event.data_content_type == "application/json");
        CHECK(event.data == R"({"name":"x"})");
        CHECK(event.version == 42);
        CHECK(event.root_id == "plans/p-1");
        CHECK(event.parent_id == "planservices/ps-1");
        CHECK(event.collection() == "services");
        CHECK(event.action() == "updated");
        CHECK(event.routing_key() == "services.updated");
        CHECK(event.to_json() ==
              R"({"specversion":"1.0","id":"42-1","source":"/tessera/services","type":"tessera.services.updated",)"
              R"("subject":"s-9","time":"2026-11-23T05:32:47.123Z","datacontenttype":"application/json","version":42,)"
              R"("rootid":"plans/p-1","parentid":"planservices/ps-1","data":{"name":"x"}})");
    }

    TEST_CASE("CloudEvent: a delete carries the document's id as data") {
        auto record = stored("deleted", "");
        record.root_id.clear();
        record.parent_id.clear();
        const auto event = CloudEvent::from_store(record);
        CHECK(event.type == "tessera.services.deleted");
        CHECK(event.data == R"({"id":"s-9"})");
        const auto json = boost::json::parse(event.to_json()).as_object();
        CHECK(json.at("data") == boost::json::parse(R"({"id":"s-9"})"));
        CHECK_FALSE(json.contains("rootid"));  // empty extensions are omitted
        CHECK_FALSE(json.contains("parentid"));
    }

    TEST_CASE("CloudEvent: from_json(to_json(e)) == e, and strings are escaped") {
        // The store holds canonical JSON (sorted keys, minimal escapes): that text survives the trip.
        auto event = CloudEvent::from_store(stored("created", R"({"n":[1,2.5,null],"q":"\"quoted\" é"})"));
        event.subject = "odd \"id\"\n/é";
        auto parsed = CloudEvent::from_json(event.to_json());
        REQUIRE(parsed);
        CHECK(*parsed == event);

        // Only the required attributes: the rest takes defaults.
        auto minimal =
            CloudEvent::from_json(R"({"specversion":"1.0","id":"1","source":"/x","type":"com.example.thing"})");
        REQUIRE(minimal);
        CHECK(minimal->data.empty());
        CHECK(minimal->data_content_type.empty());
        CHECK(minimal->version == 0);
        CHECK(minimal->collection().empty());
        CHECK(minimal->routing_key() == "com.example.thing");
        CHECK(CloudEvent::from_json(minimal->to_json()).value() == *minimal);

        // Other JSON text for data comes out canonical.
        auto loose = CloudEvent::from_json(
            R"({"specversion":"1.0","id":"1","source":"/x","type":"t","data":{"b":1.0,"a":"\u00e9"}})");
        REQUIRE(loose);
        CHECK(loose->data == R"({"a":"é","b":1})");
    }

    TEST_CASE("CloudEvent: from_json rejects what is not a CloudEvent 1.0, naming the attribute") {
        struct Case {
            const char* text;
            const char* pointer;
        };
        const Case cases[] = {
            {"not json", ""},
            {"[1,2]", ""},
            {R"({"id":"1","source":"/x","type":"t"})", "/specversion"},
            {R"({"specversion":"0.3","id":"1","source":"/x","type":"t"})", "/specversion"},
            {R"({"specversion":"1.0","source":"/x","type":"t"})", "/id"},
            {R"({"specversion":"1.0","id":"","source":"/x","type":"t"})", "/id"},
            {R"({"specversion":"1.0","id":1,"source":"/x","type":"t"})", "/id"},
            {R"({"specversion":"1.0","id":"1","type":"t"})", "/source"},
            {R"({"specversion":"1.0","id":"1","source":"/x"})", "/type"},
            {R"({"specversion":"1.0","id":"1","source":"/x","type":"t","time":"yesterday"})", "/time"},
            {R"({"specversion":"1.0","id":"1","source":"/x","type":"t","version":-1})", "/version"},
            {R"({"specversion":"1.0","id":"1","source":"/x","type":"t","version":"7"})", "/version"},
            {R"({"specversion":"1.0","id":"1","source":"/x","type":"t","subject":7})", "/subject"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.text);
            auto parsed = CloudEvent::from_json(c.text);
            REQUIRE_FALSE(parsed);
            CHECK(parsed.error().code() == ErrorCode::invalid);
            if (*c.pointer != '\0') CHECK(parsed.error().details().at("pointer").as_string() == c.pointer);
        }
    }

    TEST_CASE("CloudEvent: collection and action come from a Tessera type, dots in the collection included") {
        CloudEvent event;
        event.type = "tessera.my.things.expired";
        CHECK(event.collection() == "my.things");
        CHECK(event.action() == "expired");
        CHECK(event.routing_key() == "my.things.expired");
        event.type = "tessera.";
        CHECK(event.collection().empty());
        CHECK(event.action().empty());
        CHECK(event.routing_key() == "tessera.");
    }

    TEST_CASE("topic_matches: AMQP topic rules (* one word, # zero or more)") {
        struct Case {
            const char* pattern;
            const char* key;
            bool matches;
        };
        const Case cases[] = {
            {"#", "plans.created", true},
            {"#", "", true},
            {"plans.*", "plans.created", true},
            {"plans.*", "plans", false},
            {"plans.*", "plans.a.b", false},
            {"plans.#", "plans", true},
            {"plans.#", "plans.a.b", true},
            {"*.deleted", "services.deleted", true},
            {"*.deleted", "services.created", false},
            {"#.deleted", "a.b.deleted", true},
            {"#.deleted", "deleted", true},
            {"a.#.z", "a.z", true},
            {"a.#.z", "a.b.c.z", true},
            {"a.#.z", "a.b.c", false},
            {"plans.created", "plans.created", true},
            {"plans.created", "plans.updated", false},
            {"*", "plans", true},
            {"*", "plans.created", false},
            {"#.#", "x", true},
            {"*.*", "x", false},
        };
        for (const auto& c : cases) {
            CAPTURE(c.pattern);
            CAPTURE(c.key);
            CHECK(topic_matches(c.pattern, c.key) == c.matches);
        }
    }
}
