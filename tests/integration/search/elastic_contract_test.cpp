// The Elasticsearch backend against ES 8's recorded contract. Each es_contract/*.json file holds
// exchanges in order: the request our code must send (method, target = path + query, a JSON body
// compared as JSON, or an NDJSON body compared line by line as JSON) and the response ES gives,
// shaped as the ES 8 reference documents them. The stub answers the i-th request with the i-th
// response whatever it was, and the test asserts what was sent as well as what was parsed. No
// Elasticsearch runs here: this is the contract, not a live cluster.
#include "search/elasticsearch/elastic_index.hpp"

#include <tessera/schema/registry.hpp>
#include <tessera/search/catalog.hpp>
#include <tessera/search/query.hpp>
#include <tessera/search/search_index.hpp>

#include "support/http_stub.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

using boost::json::value;
using tessera::ErrorCode;
using tessera::test::HttpStub;
using tessera::test::StubRequest;
using tessera::test::StubResponse;
using namespace tessera::search;

namespace {

const Catalog& bundled() {
    static const Catalog catalog = Catalog::from_registry(tessera::schema::Registry::open(TESSERA_SCHEMAS_DIR).value());
    return catalog;
}

value read_json(const std::string& name) {
    std::ifstream in(std::filesystem::path(TESSERA_ES_CONTRACT_DIR) / (name + ".json"));
    REQUIRE_MESSAGE(in.good(), "missing contract file " << name);
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str());
}

struct Exchange {
    std::string file;
    value request;
    value response;
};

// Serves the exchanges of `files`, in order, and checks what was sent against them.
class EsContract {
public:
    explicit EsContract(const std::vector<std::string>& files) {
        for (const auto& file : files) {
            const value recorded = read_json(file);
            for (const value& e : recorded.at("exchanges").as_array()) {
                exchanges_.push_back(Exchange{file, e.at("request"), e.at("response")});
            }
        }
        stub_.set_handler([this](const StubRequest&) {
            std::lock_guard lock(mutex_);
            if (served_ >= exchanges_.size()) return StubResponse::json(599, R"({"error":"no more recorded exchanges"})");
            const value& response = exchanges_[served_++].response;
            return StubResponse::json(static_cast<int>(response.at("status").as_int64()), boost::json::serialize(response.at("body")));
        });
    }

    std::string url(const std::string& path = "") const { return stub_.url() + path; }

    // Every recorded exchange was asked for, exactly as recorded.
    void check() const {
        const auto requests = stub_.requests();
        CHECK_MESSAGE(requests.size() == exchanges_.size(), "requests sent: " << requests.size() << ", recorded: " << exchanges_.size());
        for (std::size_t i = 0; i < requests.size() && i < exchanges_.size(); ++i) {
            const StubRequest& sent = requests[i];
            const auto& expected = exchanges_[i].request.as_object();
            INFO("exchange " << i << " of " << exchanges_[i].file << ".json: " << sent.method << " " << sent.target);
            CHECK(sent.method == expected.at("method").as_string());
            CHECK(sent.target == expected.at("target").as_string());
            if (const value* json = expected.if_contains("json")) {
                CHECK(sent.header("Content-Type") == "application/json");
                const value body = parse_or_null(sent.body);
                CHECK_MESSAGE(body == *json, "sent:     " << sent.body << "\nexpected: " << boost::json::serialize(*json));
            } else if (const value* lines = expected.if_contains("ndjson")) {
                CHECK(sent.header("Content-Type") == "application/x-ndjson");
                CHECK_MESSAGE(sent.body.ends_with("\n"), "NDJSON ends with a newline");
                std::vector<std::string> got;
                std::stringstream in(sent.body);
                for (std::string line; std::getline(in, line);) got.push_back(line);
                const auto& want = lines->as_array();
                CHECK(got.size() == want.size());
                for (std::size_t l = 0; l < got.size() && l < want.size(); ++l) {
                    CHECK_MESSAGE(parse_or_null(got[l]) == want[l],
                                  "line " << l << " sent:     " << got[l] << "\nexpected: " << boost::json::serialize(want[l]));
                }
            } else {
                CHECK_MESSAGE(sent.body.empty(), "no body expected, sent: " << sent.body);
            }
        }
    }

private:
    static value parse_or_null(const std::string& text) {
        boost::system::error_code ec;
        value v = boost::json::parse(text, ec);
        return ec ? value("<not JSON>") : v;
    }

    HttpStub stub_;
    std::vector<Exchange> exchanges_;
    mutable std::mutex mutex_;
    std::size_t served_ = 0;
};

std::unique_ptr<SearchIndex> open_index(const EsContract& contract) {
    auto index = internal::open_elasticsearch_index(contract.url(), bundled(), IndexOptions{});
    REQUIRE_MESSAGE(index.has_value(), (index ? "" : index.error().to_string()));
    return std::move(*index);
}

Query q(auto node) { return Query{std::move(node)}; }
std::shared_ptr<const Query> sub(Query query) { return std::make_shared<const Query>(std::move(query)); }

SearchRequest request_for(std::vector<std::string> collections, Query query) {
    SearchRequest r;
    r.collections = std::move(collections);
    r.query = std::move(query);
    return r;
}

Hit hit(std::string collection, std::string id, std::uint64_t version, double score, std::vector<value> sort) {
    return Hit{std::move(collection), std::move(id), version, score, std::move(sort)};
}

}  // namespace

TEST_SUITE("search.elasticsearch") {
    TEST_CASE("Elasticsearch: open checks the cluster and creates the one index with mappings and the join field") {
        EsContract contract({"open"});
        auto index = open_index(contract);
        contract.check();
        CHECK(index->backend() == "elasticsearch");
    }

    TEST_CASE("Elasticsearch: open is idempotent — an existing index gets its mappings put again") {
        EsContract contract({"open_existing"});
        auto index = open_index(contract);
        contract.check();
    }

    TEST_CASE("Elasticsearch: the URL's path names the index; bad URLs and old clusters are refused") {
        SUBCASE("path") {
            EsContract contract({"open_named"});
            auto index = internal::open_elasticsearch_index(contract.url("/plans-search"), bundled(), IndexOptions{});
            REQUIRE(index);
            contract.check();
        }
        SUBCASE("Elasticsearch 7") {
            EsContract contract({"open_es7"});
            auto index = internal::open_elasticsearch_index(contract.url(), bundled(), IndexOptions{});
            REQUIRE_FALSE(index);
            CHECK(index.error().code() == ErrorCode::unsupported);
            contract.check();
        }
        SUBCASE("malformed") {
            for (const char* url : {"ftp://h:9200", "http://", "http://h:9200/Upper", "http://h:9200/a/b", "http://h:9200/_x"}) {
                auto index = internal::open_elasticsearch_index(url, bundled(), IndexOptions{});
                REQUIRE_FALSE(index);
                CHECK(index.error().code() == ErrorCode::invalid);
            }
        }
    }

    TEST_CASE("Elasticsearch: apply is one _bulk with routing by root, external versions and the join; a 409 item is stale") {
        EsContract contract({"open", "bulk"});
        auto index = open_index(contract);
        const std::vector<IndexOp> ops{
            {IndexOp::Kind::upsert, "plans", "12xvxc345ssdsds-508", 5,
             R"({"_org":"example.com","objectId":"12xvxc345ssdsds-508","objectType":"plan","planType":"inNetwork","creationDate":"12-12-2017","planCostShares":{"$entity":"membercostshares/1234vxc2324sdf-501"},"tessera_id":"spoof"})",
             "", ""},
            {IndexOp::Kind::upsert, "membercostshares", "1234vxc2324sdf-501", 5,
             R"({"deductible":2000,"_org":"example.com","copay":23,"objectId":"1234vxc2324sdf-501","objectType":"membercostshare"})",
             "plans/12xvxc345ssdsds-508", "plans/12xvxc345ssdsds-508"},
            {IndexOp::Kind::upsert, "planservices", "27283xvx9asdff-504", 5,
             R"({"_org":"example.com","objectId":"27283xvx9asdff-504","objectType":"planservice"})",
             "plans/12xvxc345ssdsds-508", "plans/12xvxc345ssdsds-508"},
            {IndexOp::Kind::remove, "services", "1201", 6, "", "plans/12xvxc345ssdsds-508", "planservices/27283xvx9asdff-504"},
            {IndexOp::Kind::upsert, "membercostshares", "1234512xvc1314asdfs-503", 3,
             R"({"deductible":10,"_org":"example.com","copay":0,"objectId":"1234512xvc1314asdfs-503","objectType":"membercostshare"})",
             "plans/12xvxc345ssdsds-508", "planservices/27283xvx9asdff-504"},
        };
        auto result = index->apply(ops, true);
        contract.check();
        REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
        CHECK(result->applied == 4);
        CHECK(result->stale == 1);
    }

    TEST_CASE("Elasticsearch: a bulk item error other than a version conflict fails apply with the item's error") {
        EsContract contract({"open", "bulk_item_error"});
        auto index = open_index(contract);
        const std::vector<IndexOp> ops{
            {IndexOp::Kind::upsert, "services", "1201", 7, R"({"_org":"example.com","objectId":"1201","objectType":"service","name":"Yearly physical"})",
             "plans/12xvxc345ssdsds-508", "planservices/27283xvx9asdff-504"},
            {IndexOp::Kind::upsert, "guids", "0123456789ABCDEF0123456789ABCDEF", 8, R"({"user":"ann","expire":"not a date"})", "", ""},
        };
        auto result = index->apply(ops, false);
        contract.check();
        REQUIRE_FALSE(result);
        CHECK(result.error().code() == ErrorCode::internal);
        const auto& items = result.error().details().at("backend").at("elasticsearch").at("items").as_array();
        REQUIRE(items.size() == 1);
        CHECK(items[0].at("_id") == "guids/0123456789ABCDEF0123456789ABCDEF");
        CHECK(items[0].at("type") == "document_parsing_exception");
        CHECK(items[0].at("status") == 400);
    }

    TEST_CASE("Elasticsearch: apply refuses ops the catalog cannot place, before sending anything") {
        EsContract contract({"open"});
        auto index = open_index(contract);
        SUBCASE("unknown collection") {
            const std::vector<IndexOp> ops{{IndexOp::Kind::upsert, "cars", "1", 1, "{}", "", ""}};
            auto r = index->apply(ops, false);
            REQUIRE_FALSE(r);
            CHECK(r.error().code() == ErrorCode::invalid);
        }
        SUBCASE("body not an object") {
            const std::vector<IndexOp> ops{{IndexOp::Kind::upsert, "plans", "1", 1, "[1]", "", ""}};
            auto r = index->apply(ops, false);
            REQUIRE_FALSE(r);
            CHECK(r.error().code() == ErrorCode::invalid);
        }
        SUBCASE("parent that cannot parent it") {
            const std::vector<IndexOp> ops{{IndexOp::Kind::upsert, "plans", "1", 1, "{}", "services/9", "services/9"}};
            auto r = index->apply(ops, false);
            REQUIRE_FALSE(r);
            CHECK(r.error().code() == ErrorCode::invalid);
        }
        contract.check();  // only open's exchanges
    }

    TEST_CASE("Elasticsearch: term + range + sort + page") {
        EsContract contract({"open", "search_term_range_sort"});
        auto index = open_index(contract);
        SearchRequest r = request_for({"membercostshares"},
                                      q(Bool{{}, {q(Term{"_org", "example.com"}), q(Range{"copay", {}, value(10), {}, {}})}, {}, {}, {}}));
        r.sort = {SortKey{"deductible", true}};
        r.from = 2;
        r.size = 2;
        auto result = index->search(r);
        contract.check();
        REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
        CHECK(result->total == 7);
        CHECK(result->total_exact);
        CHECK(result->hits == std::vector<Hit>{
                                  hit("membercostshares", "1234vxc2324sdf-502", 4, 0, {value(500), "membercostshares", "1234vxc2324sdf-502"}),
                                  hit("membercostshares", "1234vxc2324sdf-501", 5, 0, {value(100), "membercostshares", "1234vxc2324sdf-501"}),
                              });
        CHECK(result->aggregations.empty());
    }

    TEST_CASE("Elasticsearch: match scores on the text subfield, sorted by score") {
        EsContract contract({"open", "search_match"});
        auto index = open_index(contract);
        auto result = index->search(request_for({"services"}, q(Match{"name", "Yearly Physical", Operator::and_})));
        contract.check();
        REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
        CHECK(result->total == 1);
        CHECK(result->hits == std::vector<Hit>{hit("services", "1201", 7, 1.3862942, {value(1.3862942), "services", "1201"})});
    }

    TEST_CASE("Elasticsearch: has_child plans → planservices → services (seed 000: plans with a service named ...)") {
        EsContract contract({"open", "search_has_child_services"});
        auto index = open_index(contract);
        auto inner = q(HasChild{"services", sub(q(Match{"name", "physical", Operator::or_}))});
        auto result = index->search(request_for({"plans"}, q(HasChild{"planservices", sub(std::move(inner))})));
        contract.check();
        REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
        CHECK(result->hits == std::vector<Hit>{hit("plans", "12xvxc345ssdsds-508", 5, 0, {"plans", "12xvxc345ssdsds-508"})});
    }

    TEST_CASE("Elasticsearch: has_child plans → membercostshares names the relation by edge") {
        EsContract contract({"open", "search_has_child_costshares"});
        auto index = open_index(contract);
        auto result = index->search(request_for({"plans"}, q(HasChild{"membercostshares", sub(q(Range{"copay", {}, value(20), {}, {}}))})));
        contract.check();
        REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
        CHECK(result->total == 1);
        CHECK(result->hits.size() == 1);
        CHECK(result->hits[0].id == "12xvxc345ssdsds-508");

        SUBCASE("searching plans and planservices asks both relations") {
            EsContract both({"open", "search_has_child_costshares_both"});
            auto index2 = open_index(both);
            SearchRequest r = request_for({"planservices", "plans"},
                                          q(HasChild{"membercostshares", sub(q(Range{"copay", {}, value(20), {}, {}}))}));
            r.size = 0;
            auto found = index2->search(r);
            both.check();
            REQUIRE(found);
            CHECK(found->total == 2);
            CHECK(found->hits.empty());
        }
    }

    TEST_CASE("Elasticsearch: has_parent from membercostshares to plans") {
        EsContract contract({"open", "search_has_parent"});
        auto index = open_index(contract);
        auto result = index->search(request_for({"membercostshares"}, q(HasParent{"plans", sub(q(Term{"planType", "inNetwork"}))})));
        contract.check();
        REQUIRE(result);
        CHECK(result->hits == std::vector<Hit>{hit("membercostshares", "1234vxc2324sdf-501", 5, 0, {"membercostshares", "1234vxc2324sdf-501"})});
    }

    TEST_CASE("Elasticsearch: terms aggregations by count then key; a bounded total") {
        EsContract contract({"open", "search_aggregations"});
        auto index = open_index(contract);
        SearchRequest r = request_for({"membercostshares"}, q(MatchAll{}));
        r.size = 0;
        r.track_total_hits = 100;
        r.aggregations = {TermsAggregation{"copays", "copay", 3}, TermsAggregation{"orgs", "_org", 10}};
        auto result = index->search(r);
        contract.check();
        REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().to_string()));
        CHECK(result->total == 100);
        CHECK_FALSE(result->total_exact);
        CHECK(result->hits.empty());
        REQUIRE(result->aggregations.size() == 2);
        CHECK(result->aggregations[0].first == "copays");
        CHECK(result->aggregations[0].second == std::vector<Bucket>{{value(0), 61}, {value(23), 40}, {value(5), 40}});
        CHECK(result->aggregations[1].first == "orgs");
        CHECK(result->aggregations[1].second == std::vector<Bucket>{{value("example.com"), 141}});
    }

    TEST_CASE("Elasticsearch: search_after continues after the last hit's sort values") {
        EsContract contract({"open", "search_after"});
        auto index = open_index(contract);
        SearchRequest r = request_for({"plans"}, q(MatchAll{}));
        r.sort = {SortKey{"planType", false}};
        r.size = 2;
        r.search_after = {value("inNetwork"), value("plans"), value("12xvxc345ssdsds-508")};
        auto result = index->search(r);
        contract.check();
        REQUIRE(result);
        CHECK(result->hits == std::vector<Hit>{hit("plans", "plan-2", 9, 0, {"outOfNetwork", "plans", "plan-2"})});

        SUBCASE("values that do not fit the sort are refused before sending") {
            r.search_after = {value("inNetwork")};
            auto refused = index->search(r);
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code() == ErrorCode::invalid);
        }
    }

    TEST_CASE("Elasticsearch: 429 and 503 are unavailable (retryable); 400 is invalid; the ES error is in details") {
        EsContract contract({"open", "errors"});
        auto index = open_index(contract);
        const std::vector<IndexOp> ops{{IndexOp::Kind::remove, "plans", "p1", 9, "", "", ""}};
        auto rejected = index->apply(ops, false);
        REQUIRE_FALSE(rejected);
        CHECK(rejected.error().code() == ErrorCode::unavailable);
        CHECK(rejected.error().retryable());
        CHECK(rejected.error().details().at("backend").at("elasticsearch").at("type") == "es_rejected_execution_exception");
        CHECK(rejected.error().details().at("backend").at("elasticsearch").at("status") == 429);

        auto down = index->search(request_for({"plans"}, q(MatchAll{})));
        REQUIRE_FALSE(down);
        CHECK(down.error().code() == ErrorCode::unavailable);
        CHECK(down.error().details().at("backend").at("elasticsearch").at("type") == "search_phase_execution_exception");

        auto bad = index->search(request_for({"membercostshares"}, q(Prefix{"copay", "1"})));
        REQUIRE_FALSE(bad);
        CHECK(bad.error().code() == ErrorCode::invalid);
        CHECK(bad.error().details().at("backend").at("elasticsearch").at("type") == "search_phase_execution_exception");
        CHECK(bad.error().details().at("backend").at("elasticsearch").at("caused_by") == "query_shard_exception");
        contract.check();
    }

    TEST_CASE("Elasticsearch: unreachable is unavailable") {
        HttpStub stub;
        const std::string url = stub.url();
        stub.stop();
        auto index = internal::open_elasticsearch_index(url, bundled(), IndexOptions{});
        REQUIRE_FALSE(index);
        CHECK(index.error().code() == ErrorCode::unavailable);
    }

    TEST_CASE("Elasticsearch: version_of, state, clear and ping") {
        EsContract contract({"open", "maintenance"});
        auto index = open_index(contract);
        auto found = index->version_of("plans", "12xvxc345ssdsds-508");
        REQUIRE(found);
        CHECK(*found == std::optional<std::uint64_t>(5));
        auto gone = index->version_of("services", "1201");
        REQUIRE(gone);
        CHECK(*gone == std::nullopt);
        auto state = index->state();
        REQUIRE(state);
        CHECK(state->entries == 141);
        CHECK(state->max_version == 12);
        REQUIRE(index->clear("services"));
        REQUIRE(index->clear());
        REQUIRE(index->ping());
        contract.check();
    }
}
