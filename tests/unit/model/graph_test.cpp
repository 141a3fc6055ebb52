#include "support/graph_contract.hpp"

#include <tessera/store/memory_store.hpp>

#include <doctest/doctest.h>

TEST_SUITE("model") {
    TEST_CASE("graph contract: memory store") {
        tessera::test::run_graph_contract([] { return std::make_unique<tessera::store::MemoryStore>(); });
    }
}

#include <tessera/json/canonical.hpp>
#include <tessera/model/engine.hpp>

#include "support/server_process.hpp"

#include <boost/json/parse.hpp>

namespace {
tessera::model::Engine plan_engine() {
    auto registry = tessera::schema::Registry::open(tessera::test::repository_schemas());
    REQUIRE(registry);
    tessera::model::EngineConfig config;
    config.sweep_interval = std::chrono::milliseconds(0);
    return std::move(tessera::model::Engine::open(std::move(*registry), std::make_unique<tessera::store::MemoryStore>(), config).value());
}
}  // namespace

TEST_SUITE("model") {
    TEST_CASE("graph: entity ids that need JSON escapes survive the text assembly") {
        auto engine = plan_engine();
        auto plan = boost::json::parse(R"({"objectId":"p\"1\\x","objectType":"plan","_org":"o","planType":"t",
            "creationDate":"12-12-2017","planCostShares":{"objectId":"m\"q\\u","objectType":"membercostshare",
            "_org":"o","deductible":1,"copay":2},"linkedPlanServices":[]})");
        auto created = engine.collection("plans")->create(plan);
        REQUIRE_MESSAGE(created, (created ? "" : created.error().to_string()));
        auto read = engine.collection("plans")->get("p\"1\\x");
        REQUIRE(read);
        CHECK(read->text == tessera::json::to_canonical(plan));
        CHECK(engine.collection("membercostshares")->get("m\"q\\u"));
    }

    TEST_CASE("graph: a dangling link is dropped from the assembled document instead of failing reads") {
        auto engine = plan_engine();
        auto plan = boost::json::parse(R"({"objectId":"p","objectType":"plan","_org":"o","planType":"t",
            "creationDate":"12-12-2017","planCostShares":{"objectId":"m","objectType":"membercostshare",
            "_org":"o","deductible":1,"copay":2},"linkedPlanServices":[]})");
        REQUIRE(engine.collection("plans")->create(plan));
        // Remove the entity behind the engine's back, as a hand-edited store might.
        tessera::store::Batch batch;
        batch.ops.push_back(tessera::store::Op::remove("membercostshares", "m"));
        REQUIRE(engine.store().commit(batch));
        auto read = engine.collection("plans")->get("p");
        REQUIRE(read);
        CHECK_FALSE(read->body.as_object().contains("planCostShares"));
        CHECK(read->body.at("objectId").as_string() == "p");
    }
}
