#include "rest/search_routes.hpp"

#include <tessera/json/parse.hpp>
#include <tessera/json/text.hpp>
#include <tessera/log.hpp>
#include <tessera/search/query_string.hpp>

#include "auth/crypto.hpp"
#include "common/encoding.hpp"
#include "rest/metrics.hpp"
#include "rest/responses.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/params_view.hpp>

namespace tessera::rest::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

void append_json(std::string& out, const value& v) { out += boost::json::serialize(v); }

}  // namespace

SearchRoutes::SearchRoutes(model::Engine& engine, const SearchOptions& options, std::size_t default_page_size,
                           std::size_t max_page_size)
    : engine_(engine), options_(options), default_page_size_(default_page_size), max_page_size_(max_page_size) {
    if (options_.resilient) {
        remote::BreakerOptions breaker = options_.breaker;
        if (breaker.name == "backend") breaker.name = "search";
        breaker_ = std::make_unique<remote::CircuitBreaker>(breaker);
    }
}

std::optional<Response> SearchRoutes::list(const std::string& collection, const std::string& query,
                                           const FailureFn& failure) {
    if (!enabled()) {
        // Without an index only cursor paging exists; anything else it would not understand.
        for (auto param : boost::urls::params_view(query)) {
            if (param.key != "limit" && param.key != "cursor") {
                return failure(Error(ErrorCode::malformed, "search is not configured on this server (parameter '" +
                                                             json::excerpt(param.key, 64) + "')",
                                     {{"parameter", json::excerpt(param.key, 64)}}));
            }
        }
        return std::nullopt;
    }
    search::QueryStringOptions qs;
    qs.default_limit = default_page_size_;
    qs.max_limit = max_page_size_;
    auto request = search::parse_query_string(query, *options_.catalog, collection, qs);
    if (!request) return failure(request.error());
    if (!*request) return std::nullopt;
    return answer(std::move(**request), failure);
}

Response SearchRoutes::search(const std::string& collection, const std::string& body, const json::ParseLimits& limits,
                              const FailureFn& failure) {
    if (!enabled()) return failure(Error(ErrorCode::not_found, "search is not configured on this server"));
    auto parsed = json::parse(body.empty() ? std::string_view("{}") : std::string_view(body), limits);
    if (!parsed) return failure(parsed.error());
    // The "next" token of an earlier answer stands for its search_after array.
    if (parsed->is_object()) {
        if (auto* after = parsed->as_object().if_contains("search_after"); after && after->is_string()) {
            auto decoded = search::decode_search_after(after->as_string());
            if (!decoded) {
                // Named as the body's member, not as the query string's `after` the decoder knows.
                const std::string why = "search_after is neither the sort values of a hit nor a \"next\" token of this search";
                return failure(Error(ErrorCode::malformed, why,
                                     {{"pointer", "/search_after"},
                                      {"errors", boost::json::array{boost::json::object{{"pointer", "/search_after"}, {"message", why}}}}}));
            }
            *after = array(decoded->begin(), decoded->end());
        }
    }
    std::vector<std::string> collections;
    if (!collection.empty()) collections.push_back(collection);
    auto request = search::parse_search_request(*parsed, *options_.catalog, std::move(collections));
    if (!request) return failure(request.error());
    return answer(std::move(*request), failure);
}

Response SearchRoutes::answer(search::SearchRequest request, const FailureFn& failure) {
    searches_.fetch_add(1, std::memory_order_relaxed);
    // The key names the index state the answer came from, so a change to the index (a newer
    // generation) can never be answered from before it.
    std::string key;
    if (options_.cache) {
        auto generation = options_.index->generation();
        if (generation) {
            const std::string normal = boost::json::serialize(search::to_json(request));
            key = "search:" + common::hex(auth::internal::sha256(std::to_string(*generation) + "|" + normal));
            auto cached = options_.cache->get(key);
            if (cached && *cached) {
                hits_.fetch_add(1, std::memory_order_relaxed);
                Response response = json_response(200, std::move(**cached));
                response.headers.set("X-Cache", "hit");
                return response;
            }
        }
        misses_.fetch_add(1, std::memory_order_relaxed);
    }
    auto found = run(request);
    if (!found) {
        failures_.fetch_add(1, std::memory_order_relaxed);
        return failure(found.error());
    }
    auto body = render(request, *found);
    if (!body) return failure(body.error());
    if (options_.cache && !key.empty()) {
        // A cache that is down only costs the next search a miss.
        (void)options_.cache->put(key, *body, options_.cache_ttl);
    }
    Response response = json_response(200, std::move(*body));
    if (options_.cache) response.headers.set("X-Cache", "miss");
    return response;
}

Result<search::SearchResult> SearchRoutes::run(const search::SearchRequest& request) {
    if (!breaker_) return options_.index->search(request);
    return remote::call(*breaker_, options_.retry, [&] { return options_.index->search(request); });
}

// {"total", "total_relation", "hits": [{"id", "collection", "etag", "score", "document"}], "next",
// "aggregations"}; a hit's document is read from the store (a root's assembled graph), so it is the
// current one; a hit whose document is gone since it was indexed is left out.
Result<std::string> SearchRoutes::render(const search::SearchRequest& request, const search::SearchResult& result) {
    std::string out = "{\"total\":" + std::to_string(result.total) + ",\"total_relation\":\"" +
                      (result.total_exact ? "eq" : "gte") + "\",\"hits\":[";
    bool first = true;
    for (const auto& hit : result.hits) {
        model::Collection* collection = engine_.collection(hit.collection);
        if (collection == nullptr) continue;
        auto resource = collection->get(hit.id, {}, model::Representation::text);
        if (!resource) {
            if (resource.error().code() == ErrorCode::not_found) continue;
            return std::move(resource).error();
        }
        if (!first) out += ',';
        first = false;
        out += "{\"id\":";
        append_json(out, value(hit.id));
        out += ",\"collection\":";
        append_json(out, value(hit.collection));
        out += ",\"etag\":";
        append_json(out, value(resource->etag.to_header()));
        out += ",\"score\":";
        if (hit.score == 0) {
            out += '0';  // not Boost.JSON's "0E0"
        } else {
            append_json(out, value(hit.score));
        }
        out += ",\"document\":";
        out += resource->text;
        out += '}';
    }
    out += "],\"next\":";
    if (!result.hits.empty() && result.hits.size() == request.size) {
        append_json(out, value(search::encode_search_after(result.hits.back().sort_values)));
    } else {
        out += "null";
    }
    if (!result.aggregations.empty()) {
        object aggregations;
        for (const auto& [name, buckets] : result.aggregations) {
            array list;
            for (const auto& b : buckets) list.push_back(object{{"key", b.key}, {"doc_count", b.count}});
            aggregations[name] = object{{"buckets", std::move(list)}};
        }
        out += ",\"aggregations\":";
        append_json(out, aggregations);
    }
    out += '}';
    return out;
}

Result<bool> SearchRoutes::wants_refresh(const std::string& query) {
    for (auto param : boost::urls::params_view(query)) {
        if (param.key != "refresh") continue;
        if (param.value == "wait_for" || param.value == "true" || param.value.empty()) return true;
        if (param.value == "false") return false;
        return Error(ErrorCode::malformed, "refresh must be wait_for, true or false", {{"parameter", "refresh"}});
    }
    return false;
}

Result<void> SearchRoutes::refresh(const model::Engine::CommitCapture& capture) {
    if (!enabled()) return {};
    std::vector<search::IndexOp> ops;
    for (const auto& [event, version] : capture.events()) {
        if (auto op = search::to_index_op(event, version, *options_.catalog)) ops.push_back(std::move(*op));
    }
    if (ops.empty()) return {};
    refreshes_.fetch_add(1, std::memory_order_relaxed);
    auto applied = options_.index->apply(ops, true);
    if (!applied) {
        log::warn("rest.search", "refresh=wait_for could not apply the write to the index",
                  {{"error", applied.error().to_json()}});
        return std::move(applied).error();
    }
    return {};
}

std::string SearchRoutes::render_metrics() const {
    if (!enabled()) return {};
    std::string out;
    auto counter = [&](const char* name, const char* help, std::uint64_t v) {
        append_metric(out, name, "counter", help, static_cast<double>(v));
    };
    auto gauge = [&](const char* name, const char* help, double v) { append_metric(out, name, "gauge", help, v); };
    counter("tessera_search_requests_total", "Searches answered or failed.", searches_.load());
    counter("tessera_search_failures_total", "Searches the index failed.", failures_.load());
    counter("tessera_search_refreshes_total", "Writes applied to the index at once (refresh=wait_for).", refreshes_.load());
    if (options_.cache) {
        counter("tessera_search_cache_hits_total", "Searches answered from the response cache.", hits_.load());
        counter("tessera_search_cache_misses_total", "Searches the response cache did not hold.", misses_.load());
    }
    if (breaker_) {
        const auto stats = breaker_->stats();
        out += "# HELP tessera_search_breaker_state Circuit breaker around the search backend (1 for its state).\n"
               "# TYPE tessera_search_breaker_state gauge\n";
        for (auto state : {remote::BreakerState::closed, remote::BreakerState::open, remote::BreakerState::half_open}) {
            out += "tessera_search_breaker_state{state=\"" + std::string(remote::to_string(state)) + "\"} " +
                   (stats.state == state ? "1" : "0") + "\n";
        }
        counter("tessera_search_breaker_opened_total", "Times the breaker opened.", stats.opened);
        counter("tessera_search_breaker_rejected_total", "Searches refused while the breaker was open.", stats.rejected);
    }
    if (options_.indexer) {
        const auto stats = options_.indexer->stats();
        counter("tessera_indexer_applied_total", "Events that changed the search index.", stats.applied);
        counter("tessera_indexer_stale_total", "Events ignored as older than the index.", stats.stale);
        counter("tessera_indexer_failed_total", "Indexer attempts that failed (retried by the bus).", stats.failed);
        gauge("tessera_indexer_lag_seconds", "Commit-to-index delay of the last event applied.",
              static_cast<double>(stats.lag.count()) / 1000.0);
    }
    return out;
}

}  // namespace tessera::rest::internal
