// Embedded search index benchmark (issue #13): bulk indexing and query latency of the SQLite FTS5
// index on generated plan graphs of seed 000's shape. A plain program, not a Google Benchmark: it
// builds one large index and reports percentiles over varied queries, which Benchmark's fixed-input
// loop does not model. tests/bench/search.sh builds and runs it.
//
//   tessera-search-bench [--entities N] [--batch N] [--runs N] [--warmup N] [--dir DIR] [--keep]
//                        [--queries-only]
//
// Each plan is 8 indexed objects, as the engine stores seed 000's example: the plan, its
// planCostShares membercostshare, and 2 planservices each with a linkedService service and a
// planserviceCostShares membercostshare; entities link their children with {"$entity": "c/id"}.
// N entities are N / 8 plans. Generation is deterministic (fixed seed, one thread).
//
// Figures: bulk index entities/s (time inside SearchIndex::apply only, batches of --batch ops), index
// bytes per entity (search.db + -wal after the index is closed, which checkpoints), and p50/p99/max
// of each query over --runs executions with varied parameters after --warmup executions. Output: a
// table, then one line `{"bench":"search",...}`.
#include <tessera/schema/registry.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/query.hpp>
#include <tessera/search/search_index.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <time.h>

namespace {

namespace fs = std::filesystem;
using namespace tessera::search;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 13;  // issue #13
constexpr std::size_t kObjectsPerPlan = 8;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "tessera-search-bench: %s\n", what.c_str());
    std::exit(2);
}

struct Options {
    std::size_t entities = 1'000'000;
    std::size_t batch = 10000;
    std::size_t runs = 500;
    std::size_t warmup = 50;
    std::string dir;
    bool keep = false;
    bool queries_only = false;
    std::string queries = "a,a2,b,c";  // which queries to run, by name
};

void usage(std::FILE* out) {
    std::fputs(
        "usage: tessera-search-bench [options]\n"
        "  --entities N    indexed objects to generate, 8 per plan (default 1000000)\n"
        "  --batch N       ops per SearchIndex::apply call (default 10000, what a rebuild uses)\n"
        "  --runs N        timed executions per query (default 500)\n"
        "  --warmup N      untimed executions per query first (default 50)\n"
        "  --dir DIR       where search.db goes (default: a fresh temporary directory)\n"
        "  --keep          leave DIR and its index in place (to inspect it with sqlite3)\n"
        "  --queries-only  reuse the index in --dir (same --entities) and run the queries only\n"
        "  --queries LIST  the queries to run, comma-separated (default a,a2,b,c)\n"
        "  --help          this text\n",
        out);
}

Options parse_options(int argc, char** argv) {
    Options o;
    auto number = [&](int& i) -> std::size_t {
        if (i + 1 >= argc) fail(std::string(argv[i]) + " needs a value");
        char* end = nullptr;
        const unsigned long long n = std::strtoull(argv[++i], &end, 10);
        if (end == argv[i] || *end != '\0' || n == 0) fail(std::string(argv[i - 1]) + " needs a positive integer");
        return static_cast<std::size_t>(n);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            usage(stdout);
            std::exit(0);
        } else if (arg == "--entities") {
            o.entities = number(i);
        } else if (arg == "--batch") {
            o.batch = number(i);
        } else if (arg == "--runs") {
            o.runs = number(i);
        } else if (arg == "--warmup") {
            o.warmup = number(i);
        } else if (arg == "--dir") {
            if (i + 1 >= argc) fail("--dir needs a value");
            o.dir = argv[++i];
        } else if (arg == "--keep") {
            o.keep = true;
        } else if (arg == "--queries") {
            if (i + 1 >= argc) fail("--queries needs a value");
            o.queries = argv[++i];
        } else if (arg == "--queries-only") {
            o.queries_only = true;
        } else {
            usage(stderr);
            std::exit(2);
        }
    }
    if (o.entities < kObjectsPerPlan) fail("--entities must be at least 8 (one plan)");
    if (o.queries_only && o.dir.empty()) fail("--queries-only needs --dir");
    return o;
}

// ---- the generated world ----

// Service-name words: common ones first (real medical words), then a tail of made-up but
// pronounceable ones, drawn Zipf-like (weight 1/rank), so a query word is in ~40 % of names or ~0.1 %.
std::vector<std::string> make_vocabulary() {
    std::vector<std::string> words = {
        "care", "visit", "exam", "physical", "therapy", "screening", "dental", "vision", "office", "preventive",
        "yearly", "well", "baby", "child", "adult", "cleaning", "xray", "lab", "blood", "test",
        "urgent", "emergency", "room", "specialist", "primary", "hospital", "inpatient", "outpatient", "surgery",
        "mental", "health", "counseling", "maternity", "prenatal", "postnatal", "immunization", "vaccine", "flu",
        "allergy", "hearing", "aid", "eye", "glasses", "contact", "lenses", "orthodontic", "braces", "filling",
        "crown", "root", "canal", "extraction", "imaging", "mri", "ct", "scan", "ultrasound", "mammogram",
        "colonoscopy", "dialysis", "chemotherapy", "radiation", "rehabilitation", "physiotherapy", "occupational",
        "speech", "chiropractic", "acupuncture", "ambulance", "transport", "home", "hospice", "skilled", "nursing",
        "facility", "durable", "medical", "equipment", "prescription", "generic", "brand", "drug", "pharmacy",
        "mail", "order", "telehealth", "virtual", "consultation", "diagnostic", "procedure", "anesthesia",
        "infusion", "injection", "wellness", "nutrition", "weight", "management", "smoking", "cessation", "sleep",
        "study", "cardiology", "dermatology", "neurology", "oncology", "pediatric", "geriatric", "podiatry",
        "orthopedic", "urology", "gynecology", "obstetric", "endocrinology", "pulmonary", "renal", "hepatic",
    };
    // Made-up words: consonant-vowel syllables, deterministic.
    static constexpr std::string_view kOnsets[] = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"};
    static constexpr std::string_view kVowels[] = {"a", "e", "i", "o", "u"};
    std::mt19937_64 rng(kSeed * 7);
    while (words.size() < 400) {
        std::string w;
        for (int s = 0; s < 3; ++s) {
            w += kOnsets[rng() % std::size(kOnsets)];
            w += kVowels[rng() % std::size(kVowels)];
        }
        w += "x";  // never a real word, never a duplicate of one
        if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(std::move(w));
    }
    return words;
}

const std::vector<std::string> kPlanTypes = {"inNetwork", "outOfNetwork", "HMO", "PPO", "EPO"};
const std::vector<std::string> kOrgs = {"example.com", "acme-health.org", "northwind.net", "contoso.com", "fabrikam.io"};

class Generator {
public:
    explicit Generator(const std::vector<std::string>& vocabulary)
        : vocabulary_(vocabulary), rng_(kSeed), word_(make_word_distribution(vocabulary.size())) {}

    // The 8 ops of plan number `n`, versions from `version` on.
    void plan(std::size_t n, std::uint64_t& version, std::vector<IndexOp>& out) {
        const std::string id = "plan-" + std::to_string(n);
        const std::string root = "plans/" + id;
        const std::string& org = pick_org();
        auto share = [&](const std::string& share_id, const std::string& parent) {
            out.push_back({IndexOp::Kind::upsert, "membercostshares", share_id, version++,
                           R"({"objectId":")" + share_id + R"(","objectType":"membercostshare","_org":")" + org +
                               R"(","deductible":)" + std::to_string(50 * uniform(0, 100)) + R"(,"copay":)" +
                               std::to_string(uniform(0, 200)) + "}",
                           root, parent});
        };
        std::string linked;
        for (int s = 1; s <= 2; ++s) {
            const std::string ps = id + "-ps" + std::to_string(s);
            const std::string svc = ps + "-svc";
            const std::string cost = ps + "-cs";
            const std::string ps_key = "planservices/" + ps;
            out.push_back({IndexOp::Kind::upsert, "services", svc, version++,
                           R"({"objectId":")" + svc + R"(","objectType":"service","_org":")" + org + R"(","name":")" +
                               service_name() + R"("})",
                           root, ps_key});
            share(cost, ps_key);
            out.push_back({IndexOp::Kind::upsert, "planservices", ps, version++,
                           R"({"objectId":")" + ps + R"(","objectType":"planservice","_org":")" + org +
                               R"(","linkedService":{"$entity":"services/)" + svc +
                               R"("},"planserviceCostShares":{"$entity":"membercostshares/)" + cost + R"("}})",
                           root, root});
            linked += (s > 1 ? "," : "") + std::string(R"({"$entity":")") + ps_key + R"("})";
        }
        const std::string cost = id + "-cs";
        share(cost, root);
        char date[16];
        std::snprintf(date, sizeof date, "%02d-%02d-%04d", uniform(1, 28), uniform(1, 12), uniform(2010, 2024));
        out.push_back({IndexOp::Kind::upsert, "plans", id, version++,
                       R"({"objectId":")" + id + R"(","objectType":"plan","_org":")" + org + R"(","planType":")" +
                           kPlanTypes[static_cast<std::size_t>(uniform(0, static_cast<int>(kPlanTypes.size()) - 1))] +
                           R"(","creationDate":")" + date + R"(","planCostShares":{"$entity":"membercostshares/)" +
                           cost + R"("},"linkedPlanServices":[)" + linked + "]}",
                       "", ""});
    }

private:
    static std::discrete_distribution<std::size_t> make_word_distribution(std::size_t n) {
        std::vector<double> w(n);
        for (std::size_t i = 0; i < n; ++i) w[i] = 1.0 / static_cast<double>(i + 1);
        return {w.begin(), w.end()};
    }
    int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    const std::string& pick_org() {
        // Skewed: the first org holds about half the plans.
        return kOrgs[org_(rng_)];
    }
    std::string service_name() {
        std::string name;
        const int n = uniform(2, 4);
        for (int i = 0; i < n; ++i) {
            std::string w = vocabulary_[word_(rng_)];
            if (i == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
            name += (i ? " " : "") + w;
        }
        return name;
    }

    const std::vector<std::string>& vocabulary_;
    std::mt19937_64 rng_;
    std::discrete_distribution<std::size_t> word_;
    std::discrete_distribution<std::size_t> org_{50, 20, 15, 10, 5};
};

// ---- measuring ----

struct Latencies {
    std::vector<double> ms;
    double percentile(double p) const {
        if (ms.empty()) return 0;
        std::vector<double> sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        // Nearest rank.
        const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
        return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
    }
    double max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
};

// This thread's CPU time: what a figure costs apart from the other processes sharing the cores.
double thread_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    in >> one >> five >> fifteen;
    return one + " " + five + " " + fifteen;
}

std::uintmax_t size_of(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

struct QuerySpec {
    std::string name;         // "a", "b", ...
    std::string description;  // what the output says it is
    std::string collection;
    // Request body for execution i, and the class of its parameters ("common", "rare", "" for none).
    std::function<std::pair<std::string, std::string>(std::size_t i, std::mt19937_64& rng)> body;
};

struct QueryResult {
    Latencies all;
    Latencies cpu;  // the same executions' CPU time
    std::vector<std::pair<std::string, Latencies>> by_class;
    double mean_hits = 0;
    double mean_total = 0;
    std::string example;
};

QueryResult run_query(SearchIndex& index, const Catalog& catalog, const QuerySpec& spec, const Options& options) {
    std::mt19937_64 rng(kSeed + spec.name[0]);
    struct Prepared {
        SearchRequest request;
        std::string cls;
    };
    std::vector<Prepared> prepared;
    QueryResult result;
    for (std::size_t i = 0; i < options.warmup + options.runs; ++i) {
        auto [text, cls] = spec.body(i, rng);
        if (i == options.warmup) result.example = text;
        auto request = parse_search_request(boost::json::parse(text), catalog, {spec.collection});
        if (!request) fail("query " + spec.name + ": " + request.error().to_string() + " in " + text);
        prepared.push_back({std::move(*request), cls});
    }
    double hits = 0, total = 0;
    for (std::size_t i = 0; i < prepared.size(); ++i) {
        const double cpu_start = thread_cpu_ms();
        const auto start = Clock::now();
        auto found = index.search(prepared[i].request);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        const double cpu_ms = thread_cpu_ms() - cpu_start;
        if (!found) fail("query " + spec.name + ": " + found.error().to_string());
        if (i < options.warmup) continue;
        result.all.ms.push_back(ms);
        result.cpu.ms.push_back(cpu_ms);
        hits += static_cast<double>(found->hits.size());
        total += static_cast<double>(found->total);
        const std::string& cls = prepared[i].cls;
        if (cls.empty()) continue;
        auto it = std::find_if(result.by_class.begin(), result.by_class.end(), [&](const auto& c) { return c.first == cls; });
        if (it == result.by_class.end()) {
            result.by_class.emplace_back(cls, Latencies{});
            it = std::prev(result.by_class.end());
        }
        it->second.ms.push_back(ms);
    }
    result.mean_hits = hits / static_cast<double>(options.runs);
    result.mean_total = total / static_cast<double>(options.runs);
    return result;
}

std::string fixed(double v, int digits = 2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // the table, then stderr progress, in order
    const Options options = parse_options(argc, argv);
    const std::size_t plans = options.entities / kObjectsPerPlan;
    const std::size_t entities = plans * kObjectsPerPlan;

    auto registry = tessera::schema::Registry::open(fs::path(TESSERA_SOURCE_DIR) / "schemas");
    if (!registry) fail("cannot read the schemas: " + registry.error().to_string());
    const Catalog catalog = Catalog::from_registry(*registry);

    fs::path dir = options.dir;
    const bool own_dir = dir.empty();
    if (own_dir) {
        std::string pattern = (fs::temp_directory_path() / "tessera-search-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary directory");
        dir = pattern;
    }
    const fs::path db = dir / "search.db";
    const std::string url = "sqlite:" + db.string();
    const std::string load_before = load_average();
    std::printf("tessera-search-bench: %zu entities (%zu plans x 8), %s, batches of %zu ops, load %s\n", entities, plans,
                url.c_str(), options.batch, load_before.c_str());

    const auto vocabulary = make_vocabulary();
    double index_seconds = 0, index_cpu_seconds = 0, wall_seconds = 0;
    if (!options.queries_only) {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix, ec);
        auto opened = SearchIndex::open(url, catalog);
        if (!opened) fail("cannot open " + url + ": " + opened.error().to_string());
        auto& index = **opened;
        Generator gen(vocabulary);
        std::vector<IndexOp> batch;
        batch.reserve(options.batch + kObjectsPerPlan);
        std::uint64_t version = 1;
        const auto wall_start = Clock::now();
        Clock::duration in_apply{};
        double cpu_in_apply_ms = 0;
        auto flush = [&] {
            const double cpu_start = thread_cpu_ms();
            const auto start = Clock::now();
            auto applied = index.apply(batch);
            in_apply += Clock::now() - start;
            cpu_in_apply_ms += thread_cpu_ms() - cpu_start;
            if (!applied) fail("apply: " + applied.error().to_string());
            if (applied->applied != batch.size()) fail("apply: some ops were stale");
            batch.clear();
        };
        std::size_t next_report = entities / 10;
        for (std::size_t p = 0; p < plans; ++p) {
            gen.plan(p, version, batch);
            if (batch.size() + kObjectsPerPlan > options.batch) flush();
            if ((p + 1) * kObjectsPerPlan >= next_report) {
                std::fprintf(stderr, "  indexed %zu / %zu entities, %.0f entities/s so far\n", (p + 1) * kObjectsPerPlan,
                             entities,
                             static_cast<double>((p + 1) * kObjectsPerPlan) / std::chrono::duration<double>(in_apply).count());
                next_report += entities / 10;
            }
        }
        if (!batch.empty()) flush();
        index_seconds = std::chrono::duration<double>(in_apply).count();
        index_cpu_seconds = cpu_in_apply_ms / 1e3;
        opened->reset();  // closing the last connection checkpoints the WAL into search.db
        wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
    }
    const std::uintmax_t bytes = size_of(db) + size_of(db.string() + "-wal");

    auto opened = SearchIndex::open(url, catalog);
    if (!opened) fail("cannot open " + url + ": " + opened.error().to_string());
    auto& index = **opened;
    auto state = index.state();
    if (!state) fail("state: " + state.error().to_string());
    if (state->entries != entities) {
        fail("the index holds " + std::to_string(state->entries) + " entries, expected " + std::to_string(entities) +
             (options.queries_only ? " (--queries-only needs the same --entities)" : ""));
    }

    // Query words: a quarter "common" (the 10 most frequent words, each in ~4-40 % of names), the rest
    // "tail" (ranks 11-400, uniformly: from ~4 % of names down to ~0.1 %).
    auto word = [&](std::mt19937_64& rng) -> std::pair<std::string, std::string> {
        if (rng() % 4 == 0) return {vocabulary[rng() % 10], "common"};
        return {vocabulary[10 + rng() % (vocabulary.size() - 10)], "tail"};
    };
    std::vector<QuerySpec> all_specs = {
        {"a", "membercostshares: term _org + range copay [lo, lo+20] + sort deductible desc + from 0..80, size 20",
         "membercostshares",
         [&](std::size_t, std::mt19937_64& rng) -> std::pair<std::string, std::string> {
             const std::string& org = kOrgs[rng() % kOrgs.size()];
             const auto lo = rng() % 181;
             const auto from = 20 * (rng() % 5);
             return {R"({"query":{"bool":{"filter":[{"term":{"_org":")" + org + R"("}},{"range":{"copay":{"gte":)" +
                         std::to_string(lo) + R"(,"lte":)" + std::to_string(lo + 20) +
                         R"(}}}]}},"sort":[{"deductible":"desc"}],"from":)" + std::to_string(from) + R"(,"size":20})",
                     ""};
         }},
        {"a2", "plans: term planType + range creationDate (string, byte-wise: days d1..d1+4) + sort creationDate + size 20",
         "plans",
         [&](std::size_t, std::mt19937_64& rng) -> std::pair<std::string, std::string> {
             const std::string& type = kPlanTypes[rng() % kPlanTypes.size()];
             const auto day = 1 + rng() % 24;
             char lo[8], hi[8];
             std::snprintf(lo, sizeof lo, "%02d", static_cast<int>(day));
             std::snprintf(hi, sizeof hi, "%02d", static_cast<int>(day + 4));
             const auto from = 20 * (rng() % 5);
             return {R"({"query":{"bool":{"filter":[{"term":{"planType":")" + type + R"("}},{"range":{"creationDate":{"gte":")" +
                         lo + R"(","lt":")" + hi + R"("}}}]}},"sort":[{"creationDate":"asc"}],"from":)" +
                         std::to_string(from) + R"(,"size":20})",
                     ""};
         }},
        {"b", "services: match name <word> (scored, BM25 order), size 20", "services",
         [&](std::size_t, std::mt19937_64& rng) -> std::pair<std::string, std::string> {
             auto [w, cls] = word(rng);
             return {R"({"query":{"match":{"name":")" + w + R"("}},"size":20})", cls};
         }},
        {"c",
         "plans: has_child planservices (has_child services (match name <word>)), size 20 (seed 000's query)",
         "plans",
         [&](std::size_t, std::mt19937_64& rng) -> std::pair<std::string, std::string> {
             auto [w, cls] = word(rng);
             return {R"({"query":{"has_child":{"type":"planservices","query":{"has_child":{"type":"services","query":{"match":{"name":")" +
                         w + R"("}}}}}},"size":20})",
                     cls};
         }},
    };

    std::vector<QuerySpec> specs;
    for (auto& spec : all_specs) {
        if (("," + options.queries + ",").find("," + spec.name + ",") != std::string::npos) specs.push_back(std::move(spec));
    }
    std::vector<QueryResult> results;
    for (const auto& spec : specs) {
        std::fprintf(stderr, "  query %s: %zu warm-up + %zu timed executions\n", spec.name.c_str(), options.warmup,
                     options.runs);
        results.push_back(run_query(index, catalog, spec, options));
    }
    const std::string load_after = load_average();

    const double per_s = index_seconds > 0 ? static_cast<double>(entities) / index_seconds : 0;
    const double per_cpu_s = index_cpu_seconds > 0 ? static_cast<double>(entities) / index_cpu_seconds : 0;
    const double bytes_per_entity = static_cast<double>(bytes) / static_cast<double>(entities);
    std::printf("\n");
    if (!options.queries_only) {
        std::printf("bulk index:   %.0f entities/s (%.1f s inside apply, %.1f s wall with generation)   target >= 50000: %s\n",
                    per_s, index_seconds, wall_seconds, per_s >= 50000 ? "met" : "MISSED");
        std::printf("              %.0f entities per CPU-second inside apply (%.1f CPU s: the rate on an idle core)\n",
                    per_cpu_s, index_cpu_seconds);
    }
    std::printf("index size:   %.0f bytes/entity (%.1f MB: search.db + -wal after close)\n\n", bytes_per_entity,
                static_cast<double>(bytes) / 1e6);
    std::printf("%-4s %-8s %9s %9s %9s %10s %12s  %-13s %9s %9s\n", "q", "params", "p50 ms", "p99 ms", "max ms", "hits/page",
                "mean total", "p99 <= 10 ms", "cpu p50", "cpu p99");
    for (std::size_t q = 0; q < specs.size(); ++q) {
        const auto& r = results[q];
        std::printf("%-4s %-8s %9.2f %9.2f %9.2f %10.1f %12.0f  %-13s %9.2f %9.2f\n", specs[q].name.c_str(), "all",
                    r.all.percentile(50), r.all.percentile(99), r.all.max(), r.mean_hits, r.mean_total,
                    r.all.percentile(99) <= 10 ? "met" : "MISSED", r.cpu.percentile(50), r.cpu.percentile(99));
        for (const auto& [cls, lat] : r.by_class) {
            std::printf("%-4s %-8s %9.2f %9.2f %9.2f\n", "", cls.c_str(), lat.percentile(50), lat.percentile(99), lat.max());
        }
    }
    std::printf("\n");
    for (std::size_t q = 0; q < specs.size(); ++q) {
        std::printf("(%s) %s\n    e.g. %s\n", specs[q].name.c_str(), specs[q].description.c_str(), results[q].example.c_str());
    }
    std::printf("(total: track_total_hits 10000, the default, counted on every query; load before %s, after %s)\n\n",
                load_before.c_str(), load_after.c_str());

    // One JSON line for scripts.
    std::string json = R"({"bench":"search","entities":)" + std::to_string(entities) + R"(,"plans":)" + std::to_string(plans) +
                       R"(,"batch":)" + std::to_string(options.batch) + R"(,"runs":)" + std::to_string(options.runs);
    if (!options.queries_only) {
        json += R"(,"index_entities_per_s":)" + fixed(per_s, 0) + R"(,"index_entities_per_cpu_s":)" + fixed(per_cpu_s, 0);
    }
    json += R"(,"bytes_per_entity":)" + fixed(bytes_per_entity, 1) + R"(,"queries":{)";
    for (std::size_t q = 0; q < specs.size(); ++q) {
        const auto& r = results[q];
        auto figures = [](const Latencies& l) {
            return R"({"p50_ms":)" + fixed(l.percentile(50), 3) + R"(,"p99_ms":)" + fixed(l.percentile(99), 3) +
                   R"(,"max_ms":)" + fixed(l.max(), 3);
        };
        json += (q ? "," : "") + std::string("\"") + specs[q].name + "\":" + figures(r.all) + R"(,"cpu_p50_ms":)" +
                fixed(r.cpu.percentile(50), 3) + R"(,"cpu_p99_ms":)" + fixed(r.cpu.percentile(99), 3);
        for (const auto& [cls, lat] : r.by_class) json += ",\"" + cls + "\":" + figures(lat) + "}";
        json += "}";
    }
    json += R"(},"load_before":")" + load_before + R"(","load_after":")" + load_after + "\"}";
    std::printf("%s\n", json.c_str());

    opened->reset();
    if (own_dir && !options.keep) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    } else {
        std::fprintf(stderr, "index kept in %s\n", dir.c_str());
    }
    return 0;
}
