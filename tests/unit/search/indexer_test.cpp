#include <tessera/search/indexer.hpp>

#include <tessera/model/engine.hpp>
#include <tessera/store/memory_store.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include "support/examples.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

using namespace tessera;
using namespace tessera::search;

const std::filesystem::path kSchemas = std::filesystem::path(TESSERA_SOURCE_DIR) / "schemas";

using tessera::test::example_plan;

// Every live entry of `index` as "collection/id@version", sorted: what two indexes must agree on.
std::vector<std::string> contents(SearchIndex& index, const Catalog& catalog) {
    auto request = parse_search_request(boost::json::parse(R"({"size": 1000, "track_total_hits": true})"), catalog, {}).value();
    auto found = index.search(request).value();
    std::vector<std::string> out;
    for (const auto& hit : found.hits) out.push_back(hit.collection + "/" + hit.id + "@" + std::to_string(hit.version));
    return out;
}

events::CloudEvent event(std::string collection, std::string id, std::string action, std::uint64_t version, std::string data) {
    events::CloudEvent e;
    e.id = std::to_string(version) + "-0";
    e.source = "/tessera/" + collection;
    e.type = "tessera." + collection + "." + action;
    e.subject = std::move(id);
    e.version = version;
    e.data = std::move(data);
    e.time = std::chrono::system_clock::now();
    return e;
}

std::string service(std::string_view id, std::string_view name) {
    return R"({"objectId":")" + std::string(id) + R"(","objectType":"service","_org":"o","name":")" + std::string(name) + R"("})";
}

}  // namespace

TEST_SUITE("search") {
    TEST_CASE("Indexer: duplicated and reordered events end in the state of the last version of each document") {
        const auto catalog = Catalog::from_registry(schema::Registry::open(kSchemas).value());
        auto in_order = SearchIndex::open("sqlite::memory:", catalog).value();
        auto shuffled = SearchIndex::open("sqlite::memory:", catalog).value();

        // 50 services through create, updates and deletes (some re-created), in version order.
        std::vector<events::CloudEvent> history;
        std::mt19937 rng(7);
        std::uint64_t version = 0;
        std::vector<bool> live(50, false);
        for (int step = 0; step < 400; ++step) {
            const int n = static_cast<int>(rng() % 50);
            const std::string id = "s" + std::to_string(n);
            const std::string name = "v" + std::to_string(version + 1);
            if (!live[n]) {
                history.push_back(event("services", id, "created", ++version, service(id, name)));
                live[n] = true;
            } else if (rng() % 4 == 0) {
                history.push_back(event("services", id, rng() % 2 ? "deleted" : "expired", ++version, ""));
                live[n] = false;
            } else {
                history.push_back(event("services", id, "updated", ++version, service(id, name)));
            }
        }
        // Events of another kind or collection are acknowledged and ignored.
        history.push_back(event("_deadletters", "x", "created", ++version, "{}"));

        Indexer a(*in_order, catalog), b(*shuffled, catalog);
        for (const auto& e : history) REQUIRE(a.apply(e).has_value());
        // At least once, in any order: every event twice, shuffled.
        std::vector<events::CloudEvent> delivered = history;
        delivered.insert(delivered.end(), history.begin(), history.end());
        std::shuffle(delivered.begin(), delivered.end(), rng);
        for (const auto& e : delivered) REQUIRE(b.apply(e).has_value());

        CHECK(contents(*in_order, catalog) == contents(*shuffled, catalog));
        CHECK(b.stats().stale >= history.size() - 1);  // each duplicate (at least) was ignored
        const auto expected_live = static_cast<std::size_t>(std::count(live.begin(), live.end(), true));
        CHECK(contents(*shuffled, catalog).size() == expected_live);
        // A deleted document cannot come back through an older update delivered late.
        for (int n = 0; n < 50; ++n) {
            if (live[n]) continue;
            CHECK(shuffled->version_of("services", "s" + std::to_string(n)).value().has_value() ==
                  in_order->version_of("services", "s" + std::to_string(n)).value().has_value());
        }
    }

    TEST_CASE("Indexer: the engine's events keep the index equal to the store, and a rebuild gives the same index") {
        model::EngineConfig config;
        config.relay.poll_interval = std::chrono::milliseconds(0);  // run_once below: no threads, no sleeps
        config.sweep_interval = std::chrono::milliseconds(0);
        std::shared_ptr<Catalog> catalog;
        std::unique_ptr<SearchIndex> live;
        std::unique_ptr<Indexer> indexer;
        config.before_start = [&](const schema::Registry& registry, events::EventBus& bus) -> Result<void> {
            catalog = std::make_shared<Catalog>(Catalog::from_registry(registry));
            live = SearchIndex::open("sqlite::memory:", *catalog).value();
            indexer = Indexer::start(bus, *live, *catalog).value();
            return {};
        };
        auto engine = model::Engine::open(schema::Registry::open(kSchemas).value(), std::make_unique<store::MemoryStore>(), config).value();
        auto* plans = engine.collection("plans");
        REQUIRE(plans != nullptr);
        REQUIRE(plans->create(boost::json::parse(example_plan())).has_value());
        REQUIRE(plans->merge_patch("12xvxc345ssdsds-508", boost::json::parse(R"({"planType": "outOfNetwork"})")).has_value());
        auto* services = engine.collection("services");
        REQUIRE(services->create(boost::json::parse(service("solo", "lonely"))).has_value());
        REQUIRE(services->remove("solo").has_value());
        while (engine.relay().run_once().value() > 0) {
        }
        const auto after_events = contents(*live, *catalog);
        CHECK(after_events.size() == 8);  // the plan and its 7 entities; the deleted service is gone
        auto request = parse_search_request(boost::json::parse(R"({"query": {"term": {"planType": "outOfNetwork"}}})"), *catalog, {"plans"}).value();
        CHECK(live->search(request)->hits.size() == 1);

        auto rebuilt = SearchIndex::open("sqlite::memory:", *catalog).value();
        std::vector<std::string> progress;
        auto stats = rebuild(engine.store(), *rebuilt, *catalog, {},
                             [&](std::string_view c, std::uint64_t done, std::uint64_t total) {
                                 progress.push_back(std::string(c) + ":" + std::to_string(done) + "/" + std::to_string(total));
                             });
        REQUIRE(stats.has_value());
        CHECK(stats->documents == 8);
        CHECK(contents(*rebuilt, *catalog) == after_events);
        CHECK(std::find(progress.begin(), progress.end(), "planservices:2/2") != progress.end());
        CHECK(rebuild(engine.store(), *rebuilt, *catalog, "nope").error().code() == ErrorCode::invalid);
        indexer.reset();
    }
}
