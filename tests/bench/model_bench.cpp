// Engine micro-benchmark: what a plan costs without HTTP. An Engine on a store (memory by default) with
// the repository's schemas and its background relay publishing to the in-process bus (no subscriber),
// as tessera-server runs it.
//
//   TESSERA_BENCH_STORE=sqlite:/tmp/bench.db   (default memory:)
//   tessera-model-bench [--benchmark_filter=...]
//
//   plan/create   parse the seed plan (962 B) with fresh ids, validate, split into 8 objects + 7 link
//                 records + 8 events, commit
//   plan/get      read it back assembled, with its ETag (what GET /api/plans/{id} serves)
//   guid/create   a flat document for comparison: validate, generate id and expiry, commit 1 object
//
// HTTP costs on top of these are in tests/bench/http.sh.
#include <tessera/json/parse.hpp>
#include <tessera/model/engine.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

tessera::model::Engine& engine() {
    static tessera::model::Engine instance = [] {
        tessera::model::EngineConfig config;
        config.schemas = TESSERA_SOURCE_DIR "/schemas";
        const char* store = std::getenv("TESSERA_BENCH_STORE");
        config.store_url = store != nullptr ? store : "memory:";
        auto opened = tessera::model::Engine::open(config);
        if (!opened) {
            std::fprintf(stderr, "cannot open the engine: %s\n", opened.error().to_string().c_str());
            std::exit(2);
        }
        return std::move(*opened);
    }();
    return instance;
}

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The seed plan cut around its objectId values, so a copy with fresh ids is one concatenation.
struct PlanTemplate {
    std::vector<std::string> parts;

    explicit PlanTemplate(const std::string& text) {
        static constexpr std::string_view kKey = R"("objectId")";
        std::size_t last = 0;
        for (auto at = text.find(kKey); at != std::string::npos; at = text.find(kKey, at + 1)) {
            const auto open = text.find('"', at + kKey.size());
            const auto close = text.find('"', open + 1);
            parts.push_back(text.substr(last, close - last));
            last = close;
        }
        parts.push_back(text.substr(last));
    }

    std::string with_suffix(const std::string& suffix) const {
        std::string out = parts.front();
        for (std::size_t i = 1; i < parts.size(); ++i) out += suffix + parts[i];
        return out;
    }
};

boost::json::value parse(const std::string& text) {
    auto parsed = tessera::json::parse(text);
    if (!parsed) {
        std::fprintf(stderr, "bad benchmark document: %s\n", parsed.error().to_string().c_str());
        std::exit(2);
    }
    return std::move(*parsed);
}

void plan_create(benchmark::State& state) {
    static const PlanTemplate plan(read_file(TESSERA_SOURCE_DIR "/examples/data/plan.json"));
    auto* plans = engine().collection("plans");
    static std::uint64_t run = 0;
    const std::string prefix = "-b" + std::to_string(++run) + "-";
    std::uint64_t n = 0;
    for (auto _ : state) {
        auto created = plans->create(parse(plan.with_suffix(prefix + std::to_string(++n))));
        if (!created) {
            state.SkipWithError(created.error().to_string().c_str());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

void plan_get(benchmark::State& state) {
    const std::string text = read_file(TESSERA_SOURCE_DIR "/examples/data/plan.json");
    auto* plans = engine().collection("plans");
    const auto id = std::string(parse(text).as_object().at("objectId").as_string());
    if (auto existing = plans->get(id); !existing) {
        if (auto created = plans->create(parse(text)); !created) {
            state.SkipWithError(created.error().to_string().c_str());
            return;
        }
    }
    for (auto _ : state) {
        auto read = plans->get(id, {}, tessera::model::Representation::text);
        if (!read) {
            state.SkipWithError(read.error().to_string().c_str());
            break;
        }
        benchmark::DoNotOptimize(read->text);
    }
    state.SetItemsProcessed(state.iterations());
}

void guid_create(benchmark::State& state) {
    auto* guids = engine().collection("guids");
    for (auto _ : state) {
        auto created = guids->create(parse(R"({"user":"bench"})"));
        if (!created) {
            state.SkipWithError(created.error().to_string().c_str());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(plan_create)->Name("plan/create")->UseRealTime();
BENCHMARK(plan_get)->Name("plan/get")->UseRealTime();
BENCHMARK(guid_create)->Name("guid/create")->UseRealTime();
BENCHMARK_MAIN();
