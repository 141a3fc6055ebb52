// Store micro-benchmark: get and commit per backend, 1 and 2 threads, ~1 KB documents.
//
//   TESSERA_BENCH_REDIS_URL=redis://127.0.0.1:6379/0?prefix=bench   (no Redis benchmarks if unset)
//   TESSERA_BENCH_SQLITE_PATH=/tmp/bench.db                          (default: a file in $TMPDIR)
//   tessera-store-bench [--benchmark_filter=...]
//
// tests/bench/store.sh runs it next to redis-benchmark and prints the table the README quotes.
#include <tessera/store/store.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

using tessera::store::Batch;
using tessera::store::Event;
using tessera::store::Op;
using tessera::store::Store;

constexpr std::uint64_t kDocuments = 10'000;
constexpr std::size_t kBodyBytes = 1000;
// Commits append an outbox event each; draining it now and then (outside the timing) keeps the
// outbox, and the memory of the memory store, bounded as a relay would.
constexpr std::int64_t kDrainEvery = 8192;

std::string document_id(std::uint64_t n) { return "doc-" + std::to_string(n); }

std::string body(std::uint64_t n) {
    std::string text = R"({"n":)" + std::to_string(n) + R"(,"pad":")";
    text.append(kBodyBytes - text.size() - 2, 'x');
    text += "\"}";
    return text;
}

// A per-thread xorshift: cheap, and no shared state between benchmark threads.
std::uint64_t next_random(std::uint64_t& state) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

std::unique_ptr<Store> open_and_fill(const std::string& url) {
    auto store = Store::open(url);
    if (!store) {
        std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
        std::exit(2);
    }
    for (std::uint64_t first = 0; first < kDocuments; first += 500) {
        Batch batch;
        for (std::uint64_t n = first; n < first + 500 && n < kDocuments; ++n) {
            batch.ops.push_back(Op::put("bench", document_id(n), body(n)));
        }
        if (auto done = (*store)->commit(batch); !done) {
            std::fprintf(stderr, "cannot fill %s: %s\n", url.c_str(), done.error().to_string().c_str());
            std::exit(2);
        }
    }
    return std::move(*store);
}

void bench_get(benchmark::State& state, Store* store) {
    std::vector<std::string> ids;
    for (std::uint64_t n = 0; n < kDocuments; ++n) ids.push_back(document_id(n));
    std::uint64_t random = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    for (auto _ : state) {
        auto document = store->get("bench", ids[next_random(random) % kDocuments]);
        if (!document) {
            state.SkipWithError(document.error().to_string().c_str());
            break;
        }
        benchmark::DoNotOptimize(document->body.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void bench_commit(benchmark::State& state, Store* store) {
    std::vector<std::string> ids;
    for (std::uint64_t n = 0; n < kDocuments; ++n) ids.push_back(document_id(n));
    const std::string text = body(42);
    std::uint64_t random = 0xD1B54A32D192ED03ull + static_cast<std::uint64_t>(state.thread_index());
    Batch batch;
    batch.ops.push_back(Op::put("bench", "", text));
    Event event;
    event.collection = "bench";
    event.action = "updated";
    event.data = text;
    batch.events.push_back(event);
    std::int64_t done = 0;
    for (auto _ : state) {
        const std::string& id = ids[next_random(random) % kDocuments];
        batch.ops[0].id = id;
        batch.events[0].document_id = id;
        auto result = store->commit(batch);
        if (!result) {
            state.SkipWithError(result.error().to_string().c_str());
            break;
        }
        if (++done % kDrainEvery == 0) {
            state.PauseTiming();
            if (auto events = store->claim(static_cast<std::size_t>(kDrainEvery) * 2, std::chrono::minutes(1))) {
                std::vector<std::string> event_ids;
                for (const auto& e : *events) event_ids.push_back(e.id);
                (void)store->ack(event_ids);
            }
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    std::string sqlite_path;
    if (const char* path = std::getenv("TESSERA_BENCH_SQLITE_PATH")) {
        sqlite_path = path;
    } else {
        sqlite_path = (std::filesystem::temp_directory_path() / ("tessera-bench-" + std::to_string(getpid()) + ".db")).string();
    }
    std::vector<std::pair<std::string, std::string>> backends = {{"memory", "memory:"}, {"sqlite", "sqlite:" + sqlite_path}};
    if (const char* redis = std::getenv("TESSERA_BENCH_REDIS_URL")) backends.emplace_back("redis", redis);

    std::vector<std::unique_ptr<Store>> stores;
    for (const auto& [name, url] : backends) {
        stores.push_back(open_and_fill(url));
        Store* store = stores.back().get();
        auto* get = benchmark::RegisterBenchmark(("get/" + name).c_str(), bench_get, store);
        auto* commit = benchmark::RegisterBenchmark(("commit/" + name).c_str(), bench_commit, store);
        for (auto* b : {get, commit}) {
            b->Threads(1)->Threads(2)->UseRealTime();
            // A Redis client waits a round trip per call, so one thread cannot reach the server's
            // ceiling; 8 threads show how close the store gets when callers are concurrent (as
            // redis-benchmark's 50 clients are).
            if (name == "redis") b->Threads(8);
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    stores.clear();
    if (!std::getenv("TESSERA_BENCH_SQLITE_PATH")) {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(sqlite_path + suffix);
    }
    return 0;
}
