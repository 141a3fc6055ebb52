// embedded_plans: Tessera inside your own program, with no HTTP server and no network.
//
// Opens an `Engine` on the in-memory store with the bundled schemas (plan.json and the schemas it
// refers to), then does in C++ what a client of the REST API does over HTTP:
//   1. create a plan                          POST /api/plans
//   2. read it only if it changed             GET with If-None-Match: <its ETag>  ->  not modified
//   3. merge-patch it under its ETag          PATCH with If-Match; then once more with the now stale
//                                             ETag: refused (precondition_failed), no update lost
//   4. list the plans                         GET /api/plans/
//   5. react to every change through the in-process event bus
//
// Usage: embedded_plans [SCHEMAS_DIR [PLAN_JSON]]
//        (defaults: the schemas installed with Tessera, examples/data/plan.json)
#include <tessera/tessera.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <mutex>
#include <vector>

namespace {

using namespace tessera;

// Every fallible call returns a Result: a value, or an Error saying what went wrong. This example
// stops at the first unexpected error.
[[noreturn]] void die(const char* what, const Error& error) {
    std::fprintf(stderr, "embedded_plans: %s: %s\n", what, error.to_string().c_str());
    std::exit(1);
}

boost::json::value parse_json(std::string_view text) {
    auto value = json::parse(text);  // size and depth limits apply: 1 MiB, 64 levels by default
    if (!value) die("not JSON", value.error());
    return std::move(*value);
}

boost::json::value read_json_file(const std::string& path) {
    std::ifstream file(path);
    if (!file) die("cannot read the plan", Error(ErrorCode::not_found, path));
    std::ostringstream text;
    text << file.rdbuf();
    return parse_json(text.str());
}

}  // namespace

int main(int argc, char** argv) {
    const std::string schemas = argc > 1 ? argv[1] : EXAMPLE_SCHEMAS_DIR;
    const std::string plan_file = argc > 2 ? argv[2] : EXAMPLE_DATA_DIR "/plan.json";

    // The engine loads every schema in the directory; each one defines a collection (plan.json's
    // `x-tessera.collection` is "plans"). "memory:" keeps documents in this process only; use
    // "sqlite:./plans.db" to keep them, or "redis://host:6379/0" to share them.
    model::EngineConfig config;
    config.schemas = schemas;
    config.store_url = "memory:";
    auto engine = model::Engine::open(config);
    if (!engine) die("cannot open the engine", engine.error());
    model::Collection* plans = engine->collection("plans");
    if (plans == nullptr) die("no plan schema", Error(ErrorCode::not_found, "no 'plans' collection in " + schemas));
    std::printf("Tessera %s: %zu collections from %s, store %s\n", std::string(version()).c_str(),
                engine->collections().size(), schemas.c_str(), std::string(engine->store().backend()).c_str());

    // 5. (set up first) Every committed write reaches the engine's in-process event bus as a
    //    CloudEvent, delivered at least once after the commit, on a bus thread. "plans.*" matches the
    //    plan's own events; its entities have theirs ("services.created", ...).
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::string> seen;
    auto subscription = engine->bus().subscribe("plans.*", [&](const events::Delivery& delivery) {
        std::lock_guard lock(mutex);
        seen.push_back(delivery.event.type + " " + delivery.event.subject + " version " +
                       std::to_string(delivery.event.version));
        arrived.notify_all();
    });
    if (!subscription) die("subscribe", subscription.error());

    // 1. Create. The body is validated against plan.json first; its nested cost shares, plan services
    //    and services are stored as entities of their own (plan.json's `x-tessera.entities`).
    auto created = plans->create(read_json_file(plan_file));
    if (!created) die("create", created.error());
    auto graph = plans->graph(created->id);
    if (!graph) die("graph", graph.error());
    std::printf("1. created plans/%s  ETag %s  (%zu stored objects)\n", created->id.c_str(),
                created->etag.to_header().c_str(), graph->nodes.size());

    // 2. Conditional read: with If-None-Match naming the ETag we hold, an unchanged document comes
    //    back as "not modified" (HTTP 304), so a client need not transfer it again.
    model::Preconditions if_none_match;
    if_none_match.if_none_match = model::EtagSet{.any = false, .tags = {created->etag}};
    auto cached = plans->get(created->id, if_none_match);
    if (!cached) die("conditional get", cached.error());
    std::printf("2. read with If-None-Match %s: %s\n", created->etag.to_header().c_str(),
                cached->not_modified ? "not modified" : "changed");

    // 3. Optimistic concurrency: a write with If-Match applies only while the document still has that
    //    ETag. The first patch succeeds and changes the ETag; the second, still sending the old one
    //    (as a client with a stale copy would), is refused instead of overwriting the first.
    model::WriteOptions if_match;
    if_match.preconditions.if_match = model::EtagSet{.any = false, .tags = {created->etag}};
    auto patched = plans->merge_patch(created->id, parse_json(R"({"planType": "outOfNetwork"})"), if_match);
    if (!patched) die("merge patch", patched.error());
    std::printf("3. merge-patched planType -> outOfNetwork  ETag %s\n", patched->etag.to_header().c_str());
    auto stale = plans->merge_patch(created->id, parse_json(R"({"planType": "inNetwork"})"), if_match);
    if (stale) die("stale ETag", Error(ErrorCode::internal, "a write with a stale If-Match was applied"));
    if (stale.error().code() != ErrorCode::precondition_failed) die("stale merge patch", stale.error());
    std::printf("   merge patch with the stale ETag %s refused: %s\n", created->etag.to_header().c_str(),
                stale.error().to_string().c_str());

    // 4. List: pages in id order; an empty next_cursor means the last page.
    auto page = plans->list(/*cursor=*/"", /*limit=*/10);
    if (!page) die("list", page.error());
    std::printf("4. plans (%zu):\n", page->items.size());
    for (const model::Resource& plan : page->items) {
        std::printf("   %s  planType=%s  ETag %s  version %llu\n", plan.id.c_str(),
                    json::to_canonical(plan.body.at("planType")).c_str(), plan.etag.to_header().c_str(),
                    static_cast<unsigned long long>(plan.version));
    }

    // 5. The events of steps 1 and 3 (the refused patch wrote nothing, so it has none).
    std::unique_lock lock(mutex);
    if (!arrived.wait_for(lock, std::chrono::seconds(10), [&] { return seen.size() >= 2; })) {
        die("events", Error(ErrorCode::timeout, "expected 2 plan events, got " + std::to_string(seen.size())));
    }
    std::printf("5. events:\n");
    for (const auto& line : seen) std::printf("   %s\n", line.c_str());
    return 0;
}
