#include "support/graph_contract.hpp"

#include "support/server_process.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/rest/api.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera::test {
namespace {

using boost::json::value;

value example_plan() {
    std::ifstream in(TESSERA_SOURCE_DIR "/examples/data/plan.json");
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str());
}

// A second plan sharing the example's first linked service, with ids of its own elsewhere.
value second_plan(const value& first) {
    value plan = first;
    auto& o = plan.as_object();
    o["objectId"] = "plan-two";
    o["planCostShares"].as_object()["objectId"] = "mcs-two";
    auto& services = o["linkedPlanServices"].as_array();
    services.resize(1);
    auto& ps = services[0].as_object();
    ps["objectId"] = "ps-two";
    ps["planserviceCostShares"].as_object()["objectId"] = "pscs-two";
    return plan;
}

model::Engine make_engine(const StoreFactory& make_store) {
    auto registry = schema::Registry::open(repository_schemas());
    REQUIRE_MESSAGE(registry, (registry ? "" : registry.error().to_string()));
    model::EngineConfig config;
    config.sweep_interval = std::chrono::milliseconds(0);
    config.relay.poll_interval = std::chrono::milliseconds(0);  // the contract reads the outbox itself
    auto engine = model::Engine::open(std::move(*registry), make_store(), config);
    REQUIRE(engine);
    return std::move(*engine);
}

std::uint64_t count(model::Engine& engine, const char* collection) { return engine.store().count(collection).value(); }

// Everything stored, as (collection/id → text), to prove a failed write changed nothing.
std::map<std::string, std::string> dump(model::Engine& engine,
                                        const std::vector<const char*>& collections = {
                                            "plans", "planservices", "services", "membercostshares", "_links"}) {
    std::map<std::string, std::string> out;
    for (const char* collection : collections) {
        std::string cursor;
        do {
            auto page = engine.store().scan(collection, cursor, 100).value();
            for (const auto& doc : page.documents) out[std::string(collection) + "/" + doc.id] = doc.body;
            cursor = page.next_cursor;
        } while (!cursor.empty());
    }
    return out;
}

const std::vector<const char*> kEntityCollections{"planservices", "services", "membercostshares"};

// Issue 11's invariant: `_links` records exactly the links the stored objects hold, and every entity
// has a parent (these tests create entities through plans only). The references are found by parsing
// every stored body, independently of the library's own link scanner.
void check_links_invariant(model::Engine& engine) {
    std::map<std::string, std::set<std::string>> referenced;  // child → parents, from the stored bodies
    std::set<std::string> objects;
    const std::function<void(const value&, const std::string&)> collect = [&](const value& v, const std::string& parent) {
        if (const auto* o = v.if_object()) {
            if (o->size() == 1 && o->contains("$entity")) {
                referenced[std::string(o->at("$entity").as_string())].insert(parent);
                return;
            }
            for (const auto& member : *o) collect(member.value(), parent);
        } else if (const auto* a = v.if_array()) {
            for (const auto& element : *a) collect(element, parent);
        }
    };
    std::vector<const char*> stored = kEntityCollections;
    stored.push_back("plans");
    for (const auto& [key, body] : dump(engine, stored)) {
        objects.insert(key);
        collect(boost::json::parse(body), key);
    }
    std::map<std::string, std::set<std::string>> recorded;
    for (const auto& [key, body] : dump(engine, {"_links"})) {
        std::set<std::string>& parents = recorded[key.substr(std::string("_links/").size())];
        const value links = boost::json::parse(body);
        for (const auto& p : links.at("parents").as_array()) parents.insert(std::string(p.as_string()));
    }
    CHECK(recorded == referenced);
    for (const auto& [child, parents] : referenced) {
        CHECK_MESSAGE(objects.contains(child), "a stored link points at the missing object " << child);
        for (const auto& parent : parents) CHECK(objects.contains(parent));
    }
    for (const auto& key : objects) {
        if (!key.starts_with("plans/")) CHECK_MESSAGE(referenced.contains(key), "orphaned entity " << key);
    }
}

// Random but valid plans over small pools of entity ids, so that plans share entities, re-point links
// and orphan them in every way a write can.
class PlanGenerator {
public:
    explicit PlanGenerator(std::uint64_t seed) : random_(seed) {}

    value plan(const std::string& id) {
        flavours_.clear();
        boost::json::array services;
        for (int i = 0, n = pick(0, 3); i < n; ++i) services.push_back(planservice());
        return boost::json::object{{"objectId", id},           {"objectType", "plan"},
                                   {"_org", "example.com"},   {"planType", "t" + std::to_string(pick(0, 2))},
                                   {"creationDate", "12-12-2017"}, {"planCostShares", cost_share()},
                                   {"linkedPlanServices", std::move(services)}};
    }

    value planservice() {
        const std::string id = "ps" + std::to_string(pick(0, 5));
        return boost::json::object{{"objectId", id},
                                   {"objectType", "planservice"},
                                   {"_org", "org" + flavour(id)},
                                   {"linkedService", service()},
                                   {"planserviceCostShares", cost_share()}};
    }

    int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
    std::string ps_id() { return "ps" + std::to_string(pick(0, 5)); }

private:
    value service() {
        const std::string id = "s" + std::to_string(pick(0, 5));
        return boost::json::object{{"objectId", id}, {"objectType", "service"}, {"_org", "o"}, {"name", "n" + flavour(id)}};
    }
    value cost_share() {
        const std::string id = "m" + std::to_string(pick(0, 7));
        return boost::json::object{{"objectId", id}, {"objectType", "membercostshare"}, {"_org", "o"},
                                   {"deductible", std::stoi(flavour(id))}, {"copay", 1}};
    }
    // The same id has the same contents throughout one document (a document may not hold two
    // different copies of one entity), and may change from one document to the next.
    std::string flavour(const std::string& id) {
        auto [it, fresh] = flavours_.emplace(id, "");
        if (fresh) it->second = std::to_string(pick(0, 2));
        return it->second;
    }

    std::mt19937_64 random_;
    std::map<std::string, std::string> flavours_;
};

}  // namespace

void run_graph_contract(const StoreFactory& make_store) {
    const value plan = example_plan();
    const std::string plan_id(plan.at("objectId").as_string());
    const std::string service_id(plan.at("linkedPlanServices").at(0).at("linkedService").at("objectId").as_string());

    SUBCASE("graph: a plan round-trips byte for byte in canonical form, stored as linked entities") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        auto created = plans.create(plan);
        REQUIRE_MESSAGE(created, (created ? "" : created.error().to_string()));
        CHECK(created->text == json::to_canonical(plan));
        auto read = plans.get(plan_id);
        REQUIRE(read);
        CHECK(read->text == json::to_canonical(plan));
        CHECK(read->etag == created->etag);
        CHECK(count(engine, "plans") == 1);
        CHECK(count(engine, "planservices") == 2);
        CHECK(count(engine, "services") == 2);
        CHECK(count(engine, "membercostshares") == 3);
        // The stored plan holds links, not copies.
        const auto stored = engine.store().get("plans", plan_id).value();
        CHECK(stored.body.find("\"$entity\":\"planservices/") != std::string::npos);
        CHECK(stored.body.find("Yearly physical") == std::string::npos);
        // Entities are addressable on their own.
        auto service = engine.collection("services")->get(service_id);
        REQUIRE(service);
        CHECK(service->body == plan.at("linkedPlanServices").at(0).at("linkedService"));
        auto graph = plans.graph(plan_id);
        REQUIRE(graph);
        CHECK(graph->nodes.size() == 8);
        CHECK(graph->edges.size() == 7);
        bool saw = false;
        for (const auto& e : graph->edges) saw = saw || (e.parent == "plans/" + plan_id && e.relation == "/planCostShares");
        CHECK(saw);
    }

    SUBCASE("graph: a shared service is stored once; PATCH /api/services changes both plans and their tags") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        auto first = plans.create(plan);
        REQUIRE(first);
        auto second = plans.create(second_plan(plan));
        REQUIRE_MESSAGE(second, (second ? "" : second.error().to_string()));
        CHECK(count(engine, "services") == 2);  // the shared one is not duplicated

        // Through the REST routes, as a client does: PATCH /api/services/{id}, then GET both plans.
        rest::Api api(engine);
        const auto call = [&](std::string method, std::string target, std::string body = {},
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
            rest::Request request;
            request.method = std::move(method);
            request.target = std::move(target);
            request.body = std::move(body);
            for (auto& [name, value] : headers) request.headers.add(std::move(name), std::move(value));
            return api.handle(request);
        };
        const auto service = call("GET", "/api/services/" + service_id);
        REQUIRE(service.status == 200);
        const auto patched = call("PATCH", "/api/services/" + service_id, R"({"name":"Renamed"})",
                                  {{"Content-Type", "application/merge-patch+json"},
                                   {"If-Match", std::string(*service.headers.get("ETag"))}});
        REQUIRE_MESSAGE(patched.status == 200, patched.body);
        const auto a = call("GET", "/api/plans/" + plan_id);
        const auto b = call("GET", "/api/plans/plan-two");
        REQUIRE(a.status == 200);
        REQUIRE(b.status == 200);
        CHECK(boost::json::parse(a.body).at("linkedPlanServices").at(0).at("linkedService").at("name") == "Renamed");
        CHECK(boost::json::parse(b.body).at("linkedPlanServices").at(0).at("linkedService").at("name") == "Renamed");
        CHECK(a.headers.get("ETag") != first->etag.to_header());
        CHECK(b.headers.get("ETag") != second->etag.to_header());
        CHECK(a.headers.get("ETag") == plans.get(plan_id).value().etag.to_header());
    }

    SUBCASE("graph: deleting a plan removes its own entities and keeps shared ones") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        REQUIRE(plans.create(plan));
        REQUIRE(plans.create(second_plan(plan)));
        REQUIRE(plans.remove(plan_id));
        CHECK(count(engine, "plans") == 1);
        CHECK(count(engine, "planservices") == 1);
        CHECK(count(engine, "services") == 1);  // the shared service stays for plan-two
        CHECK(engine.collection("services")->get(service_id));
        auto remaining = plans.get("plan-two");
        REQUIRE(remaining);
        CHECK(remaining->text == json::to_canonical(second_plan(plan)));
        REQUIRE(plans.remove("plan-two"));
        CHECK(count(engine, "planservices") == 0);
        CHECK(count(engine, "services") == 0);
        CHECK(count(engine, "membercostshares") == 0);
        CHECK(count(engine, "_links") == 0);
    }

    SUBCASE("graph: deleting a referenced entity directly is a conflict naming the referrers") {
        auto engine = make_engine(make_store);
        REQUIRE(engine.collection("plans")->create(plan));
        auto refused = engine.collection("services")->remove(service_id);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code() == ErrorCode::conflict);
        const auto& referrers = refused.error().details().at("referrers").as_array();
        REQUIRE(referrers.size() == 1);
        CHECK(referrers[0].as_string().starts_with("planservices/"));
        CHECK(engine.collection("services")->get(service_id));
    }

    SUBCASE("graph: merge patch appends a new linkedPlanService and merges an existing one by id") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        auto created = plans.create(plan);
        REQUIRE(created);
        value added = plan.at("linkedPlanServices").at(0);
        added.as_object()["objectId"] = "ps-new";
        added.as_object()["linkedService"].as_object()["objectId"] = "svc-new";
        added.as_object()["linkedService"].as_object()["name"] = "Dental";
        added.as_object()["planserviceCostShares"].as_object()["objectId"] = "mcs-new";
        const std::string existing_ps(plan.at("linkedPlanServices").at(1).at("objectId").as_string());
        boost::json::object patch;
        patch["linkedPlanServices"] = boost::json::array{
            added, boost::json::object{{"objectId", existing_ps}, {"objectType", "planservice"}, {"_org", "changed.org"}}};
        auto patched = plans.merge_patch(plan_id, patch);
        REQUIRE_MESSAGE(patched, (patched ? "" : patched.error().to_string()));
        const auto& list = patched->body.at("linkedPlanServices").as_array();
        REQUIRE(list.size() == 3);  // two kept, one appended
        CHECK(list[1].at("_org").as_string() == "changed.org");
        CHECK(list[1].at("linkedService") == plan.at("linkedPlanServices").at(1).at("linkedService"));  // merged, not replaced
        CHECK(list[2].at("linkedService").at("name").as_string() == "Dental");
        CHECK(count(engine, "services") == 3);
        CHECK(plans.get(plan_id)->text == patched->text);
    }

    SUBCASE("graph: JSON Patch removing a linkedPlanService deletes its orphaned entities") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        REQUIRE(plans.create(plan));
        auto patched = plans.json_patch(plan_id, boost::json::parse(R"([{"op":"remove","path":"/linkedPlanServices/1"}])"));
        REQUIRE_MESSAGE(patched, (patched ? "" : patched.error().to_string()));
        CHECK(count(engine, "planservices") == 1);
        CHECK(count(engine, "services") == 1);
        CHECK(count(engine, "membercostshares") == 2);
    }

    SUBCASE("graph: a write failing validation or a precondition changes nothing") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        auto created = plans.create(plan);
        REQUIRE(created);
        const auto before = dump(engine);

        auto invalid = plans.merge_patch(plan_id, boost::json::parse(R"({"linkedPlanServices":[{"objectId":")" +
                                                                       std::string(plan.at("linkedPlanServices").at(0).at("objectId").as_string()) +
                                                                       R"(","objectType":"planservice","linkedService":{"objectId":"x","objectType":"service","name":7}}]})"));
        REQUIRE_FALSE(invalid);
        CHECK(invalid.error().code() == ErrorCode::invalid);
        CHECK(dump(engine) == before);

        model::WriteOptions stale;
        stale.preconditions.if_match = model::EtagSet{false, {{"stale", false}}};
        CHECK(plans.merge_patch(plan_id, boost::json::parse(R"({"planType":"x"})"), stale).error().code() ==
              ErrorCode::precondition_failed);
        CHECK(plans.create(plan).error().code() == ErrorCode::conflict);
        CHECK(dump(engine) == before);
    }

    SUBCASE("graph: one event per changed stored object, with root and parent") {
        auto engine = make_engine(make_store);
        REQUIRE(engine.collection("plans")->create(plan));
        auto events = engine.store().claim(100, std::chrono::seconds(30)).value();
        CHECK(events.size() == 8);
        std::set<std::string> objects;
        for (const auto& e : events) {
            CHECK(e.action == "created");
            CHECK(e.root_id == "plans/" + plan_id);
            objects.insert(e.collection + "/" + e.document_id);
            if (e.collection == "services") CHECK(e.parent_id.starts_with("planservices/"));
            if (e.collection == "plans") CHECK(e.parent_id.empty());
        }
        CHECK(objects.size() == 8);
        CHECK(engine.store().ack([&] {
            std::vector<std::string> ids;
            for (const auto& e : events) ids.push_back(e.id);
            return ids;
        }()));
        REQUIRE(engine.collection("services")->merge_patch(service_id, boost::json::parse(R"({"name":"x"})")));
        auto more = engine.store().claim(100, std::chrono::seconds(30)).value();
        REQUIRE(more.size() == 1);
        CHECK(more[0].action == "updated");
        CHECK(more[0].collection == "services");
    }

    SUBCASE("graph: concurrent patches of two plans sharing a service never lose either change") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        REQUIRE(plans.create(plan));
        REQUIRE(plans.create(second_plan(plan)));
        const std::string ps_one(plan.at("linkedPlanServices").at(0).at("objectId").as_string());
        // Each thread renames the shared service through its own plan, and records its own marker in
        // its plan; after both, the service holds one of the names and each plan its own marker.
        constexpr int kRounds = 20;
        // doctest assertions belong on the test's thread: workers only record what went wrong.
        std::mutex failures_mutex;
        std::vector<std::string> failures;
        auto worker = [&](const std::string& id, const std::string& ps, const std::string& field) {
            for (int i = 0; i < kRounds; ++i) {
                boost::json::object service{{"objectId", service_id}, {"objectType", "service"}, {field, std::to_string(i)}};
                boost::json::object planservice{{"objectId", ps}, {"objectType", "planservice"}, {"linkedService", service}};
                boost::json::object patch{{"linkedPlanServices", boost::json::array{planservice}}};
                auto r = plans.merge_patch(id, patch);
                if (!r) {
                    std::lock_guard lock(failures_mutex);
                    failures.push_back(r.error().to_string());
                }
            }
        };
        std::thread a(worker, plan_id, ps_one, "_org");
        std::thread b(worker, "plan-two", "ps-two", "name");
        a.join();
        b.join();
        CHECK_MESSAGE(failures.empty(), (failures.empty() ? "" : failures.front()));
        const auto service = engine.collection("services")->get(service_id).value().body;
        CHECK(service.at("_org").as_string() == std::to_string(kRounds - 1));
        CHECK(service.at("name").as_string() == std::to_string(kRounds - 1));
    }

    SUBCASE("graph: issue 11 — re-pointing a planservice id keeps links exact and leaves no orphan") {
        // Re-pointing means: this place now holds the entity with that id, with the contents the write
        // gives it (shared by id, so every plan linking to it sees them); the entity that was there loses
        // this parent, and so do the former children of the re-pointed one — each deleted if orphaned.
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        REQUIRE(plans.replace(plan_id, plan));
        REQUIRE(plans.replace("plan-two", second_plan(plan)));
        auto patched = plans.json_patch(
            plan_id, boost::json::parse(R"([{"op":"replace","path":"/linkedPlanServices/0/objectId","value":"ps-two"}])"));
        REQUIRE_MESSAGE(patched, (patched ? "" : patched.error().to_string()));
        check_links_invariant(engine);
        // plan-two's planservice is now the one the patch wrote: the first plan's children.
        const auto two = plans.get("plan-two").value().body;
        CHECK(two.at("linkedPlanServices").at(0).at("planserviceCostShares") ==
              plan.at("linkedPlanServices").at(0).at("planserviceCostShares"));
        CHECK_FALSE(engine.collection("membercostshares")->get("pscs-two"));  // its old cost share: orphaned, gone
        REQUIRE(plans.remove(plan_id));
        check_links_invariant(engine);
        REQUIRE(plans.remove("plan-two"));
        for (const char* collection : kEntityCollections) CHECK(count(engine, collection) == 0);
        CHECK(count(engine, "_links") == 0);
    }

    SUBCASE("graph: issue 11 — after random write sequences, links are exact and no orphan survives") {
        auto engine = make_engine(make_store);
        auto& plans = *engine.collection("plans");
        const std::uint64_t seed = std::random_device{}();
        CAPTURE(seed);
        PlanGenerator generate(seed);
        const std::vector<std::string> ids{"p0", "p1", "p2", "p3"};
        int written = 0;
        for (int step = 0; step < 120; ++step) {
            CAPTURE(step);
            const std::string& id = ids[static_cast<std::size_t>(generate.pick(0, 3))];
            const int kind = generate.pick(0, 5);
            Result<model::Resource> result = Error(ErrorCode::not_found, "");
            if (kind == 0 || kind == 1) {
                result = plans.replace(id, generate.plan(id));
            } else if (kind == 2) {
                boost::json::object patch{{"linkedPlanServices", boost::json::array{generate.planservice()}}};
                result = plans.merge_patch(id, patch);
            } else if (kind == 3) {
                // Re-point a link, or replace a whole planservice, or drop one.
                const int which = generate.pick(0, 2);
                const std::string op =
                    which == 0 ? R"({"op":"replace","path":"/linkedPlanServices/0/objectId","value":")" + generate.ps_id() + R"("})"
                    : which == 1 ? R"({"op":"replace","path":"/linkedPlanServices/0","value":)" +
                                       json::to_canonical(generate.planservice()) + "}"
                                 : R"({"op":"remove","path":"/linkedPlanServices/0"})";
                result = plans.json_patch(id, boost::json::parse("[" + op + "]"));
            } else if (kind == 4) {
                const auto removed = plans.remove(id);
                if (!removed) CHECK(removed.error().code() == ErrorCode::not_found);
            } else {
                // Re-point the plan's cost share at another one's id.
                result = plans.json_patch(id, boost::json::parse(R"([{"op":"replace","path":"/planCostShares/objectId","value":"m)" +
                                                                  std::to_string(generate.pick(0, 7)) + R"("}])"));
            }
            if (result) ++written;
            // Refusals are fine (a missing plan or path, two copies of one entity that differ); they
            // must change nothing, which the invariant and the final cleanup check too.
            if (!result) {
                const auto code = result.error().code();
                CHECK_MESSAGE((code == ErrorCode::not_found || code == ErrorCode::conflict || code == ErrorCode::invalid),
                              result.error().to_string());
            }
            check_links_invariant(engine);
        }
        CHECK(written > 30);  // the sequence really wrote
        for (const auto& id : ids) {
            const auto removed = plans.remove(id);
            if (!removed) CHECK(removed.error().code() == ErrorCode::not_found);
        }
        for (const char* collection : kEntityCollections) CHECK(count(engine, collection) == 0);
        CHECK(count(engine, "_links") == 0);
    }
}

}  // namespace tessera::test
