// The event admin routes and event metrics of rest::Api (lib/rest/events_admin.cpp), over an engine
// with the inproc bus.
#include <tessera/rest/api.hpp>

#include "support/bus_contract.hpp"
#include "support/engine_fixture.hpp"
#include "support/store_contract.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <atomic>

using namespace std::chrono_literals;
using tessera::rest::Request;
using tessera::rest::Response;

namespace {

Response call(tessera::rest::Api& api, std::string method, std::string target, std::string body = {}) {
    Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    if (!request.body.empty()) request.headers.add("Content-Type", "application/json");
    return api.handle(request);
}

}  // namespace

TEST_SUITE("rest") {
    TEST_CASE("Api: /api/_events lists dead letters, replays them; /metrics shows the relay and the bus") {
        auto engine = tessera::test::make_memory_engine();
        tessera::rest::Api api(engine);
        std::atomic<bool> refuse{true};
        tessera::test::Recorder recorder;
        auto subscription = engine.bus()
                                .subscribe("counters.*",
                                           [&](const tessera::events::Delivery& d) {
                                               recorder.handler()(d);
                                               if (refuse) throw std::runtime_error("index down");
                                           },
                                           {.name = "indexer", .max_attempts = 2, .retry_delay = 1ms})
                                .value();
        REQUIRE(call(api, "PUT", "/api/counters/c1", R"({"value":1})").status == 201);
        REQUIRE(engine.relay().run_once().value() == 1);

        auto listed = call(api, "GET", "/api/_events/deadletters");
        REQUIRE(listed.status == 200);
        CHECK(listed.headers.get("Content-Type") == "application/json");
        auto letters = boost::json::parse(listed.body).as_array();
        REQUIRE(letters.size() == 1);
        const auto& letter = letters[0].as_object();
        CHECK(letter.at("subscription") == "indexer");
        CHECK(letter.at("attempts") == 2);
        CHECK(letter.at("error") == "index down");
        CHECK(letter.at("event").at("type") == "tessera.counters.created");
        CHECK(letter.at("event").at("subject") == "c1");
        CHECK(letter.at("event").at("data").at("value") == 1);
        const std::string id(letter.at("id").as_string());

        auto overview = boost::json::parse(call(api, "GET", "/api/_events").body).as_object();
        CHECK(overview.at("bus") == "inproc");
        CHECK(overview.at("dead_letters") == 1);
        CHECK(overview.at("relay").at("published") == 1);
        CHECK(overview.at("outbox").at("pending") == 0);
        CHECK(overview.at("subscriptions").at("dead_lettered") == 1);

        const std::string metrics = call(api, "GET", "/metrics").body;
        for (const char* line : {"tessera_events_published_total 1\n", "tessera_events_dead_letters 1\n",
                                 "tessera_events_outbox_pending 0\n", "tessera_events_relay_lag_seconds 0\n",
                                 "tessera_events_relay_delay_seconds_count 1\n", "tessera_events_bus_connected 1\n",
                                 "# TYPE tessera_events_relay_delay_seconds histogram\n"}) {
            CHECK_MESSAGE(metrics.find(line) != std::string::npos, line);
        }

        CHECK(call(api, "POST", "/api/_events/deadletters/nobody:1-0/replay").status == 404);
        CHECK(call(api, "GET", "/api/_events/deadletters?limit=0").status == 400);
        CHECK(call(api, "GET", "/api/_events/deadletters?limit=1001").status == 400);
        auto wrong = call(api, "POST", "/api/_events");
        CHECK(wrong.status == 405);
        CHECK(wrong.headers.get("Allow") == "GET, HEAD");
        CHECK(call(api, "GET", "/api/_events/deadletters/replay").status == 405);
        CHECK(call(api, "GET", "/api/_events/nothing").status == 404);

        refuse = false;
        auto replayed = call(api, "POST", "/api/_events/deadletters/" + id + "/replay");
        CHECK(replayed.status == 200);
        CHECK(boost::json::parse(replayed.body) == boost::json::parse(R"({"replayed":1})"));
        CHECK(recorder.wait_for_count(3, 10s));
        CHECK(
            tessera::test::eventually([&] { return call(api, "GET", "/api/_events/deadletters").body == "[]"; }, 10s));
        CHECK(boost::json::parse(call(api, "POST", "/api/_events/deadletters/replay").body) ==
              boost::json::parse(R"({"replayed":0})"));
        const auto openapi = boost::json::parse(api.openapi()).as_object();
        CHECK(openapi.at("paths").as_object().contains("/api/_events/deadletters/{id}/replay"));
    }
}
