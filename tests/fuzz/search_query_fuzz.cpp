// Search requests from outside (issue #13): the JSON DSL body, the list endpoint's query string and the
// `after` token — parsed, normalised, then run on an embedded index holding seed 000's plan, so the SQL
// built from whatever parses is exercised too. The first byte picks the parser.
#include <tessera/json/parse.hpp>
#include <tessera/search/query_string.hpp>
#include <tessera/search/search_index.hpp>

#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string_view>

namespace {

using namespace tessera::search;

struct World {
    Catalog catalog = Catalog::from_registry(tessera::schema::Registry::open(TESSERA_SOURCE_DIR "/schemas").value());
    std::unique_ptr<SearchIndex> index = SearchIndex::open("sqlite::memory:", catalog).value();
    World() {
        const std::vector<IndexOp> ops{
            {IndexOp::Kind::upsert, "services", "s1", 1, R"({"objectId":"s1","objectType":"service","_org":"o","name":"Yearly physical"})", "", ""},
            {IndexOp::Kind::upsert, "membercostshares", "m1", 2,
             R"({"objectId":"m1","objectType":"membercostshare","_org":"o","deductible":10,"copay":175})", "", ""},
            {IndexOp::Kind::upsert, "planservices", "ps1", 3,
             R"({"objectId":"ps1","objectType":"planservice","_org":"o","linkedService":{"$entity":"services/s1"},"planserviceCostShares":{"$entity":"membercostshares/m1"}})", "", ""},
            {IndexOp::Kind::upsert, "plans", "p1", 4,
             R"({"objectId":"p1","objectType":"plan","_org":"o","planType":"inNetwork","creationDate":"12-12-2017","planCostShares":{"$entity":"membercostshares/m1"},"linkedPlanServices":[{"$entity":"planservices/ps1"}]})", "", ""},
        };
        (void)index->apply(ops);
    }
};

World& world() {
    static World w;
    return w;
}

void run(const SearchRequest& request) {
    (void)boost::json::serialize(to_json(request));
    (void)world().index->search(request);  // any answer, never a crash
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0: {
            auto body = tessera::json::parse(input, tessera::json::ParseLimits{});
            if (!body) return 0;
            auto request = parse_search_request(*body, world().catalog, data[0] & 0x80 ? std::vector<std::string>{} : std::vector<std::string>{"plans"});
            if (request) run(*request);
            break;
        }
        case 1: {
            auto request = parse_query_string(input, world().catalog, "plans");
            if (request && *request) run(**request);
            break;
        }
        default: (void)decode_search_after(input); break;
    }
    return 0;
}
