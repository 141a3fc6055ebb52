#include "search/elasticsearch/elastic_index.hpp"

#include "search/elasticsearch/elastic_dsl.hpp"
#include "search/elasticsearch/elastic_layout.hpp"

#include <tessera/assert.hpp>
#include <tessera/remote/http_client.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <string>
#include <utility>

namespace tessera::search::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::size_t kMaxItemErrors = 10;

std::string key_of(std::string_view collection, std::string_view id) {
    std::string key(collection);
    key += '/';
    key += id;
    return key;
}

// ES index names: lower case, no \ / * ? " < > | , # : or space, not starting with - _ +, not . or ..
bool is_index_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
    if (name.front() == '-' || name.front() == '_' || name.front() == '+') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return std::islower(u) || std::isdigit(u) || c == '-' || c == '_' || c == '.' || c == '+';
    });
}

// What the ES error body says, bounded, for details.backend.elasticsearch.
object es_error_details(int status, std::string_view body) {
    object out{{"status", status}};
    boost::system::error_code ec;
    value parsed = boost::json::parse(body, ec);
    const value* error = !ec && parsed.is_object() ? parsed.get_object().if_contains("error") : nullptr;
    if (error && error->is_object()) {
        for (const char* key : {"type", "reason"}) {
            if (const value* v = error->get_object().if_contains(key); v && v->is_string()) {
                std::string text(v->get_string());
                if (text.size() > 1024) text.resize(1024);
                out[key] = text;
            }
        }
        if (const value* cause = error->get_object().if_contains("caused_by"); cause && cause->is_object()) {
            if (const value* type = cause->get_object().if_contains("type"); type && type->is_string()) out["caused_by"] = *type;
        }
    } else if (error && error->is_string()) {
        out["reason"] = std::string(error->get_string().subview(0, std::min<std::size_t>(error->get_string().size(), 1024)));
    } else {
        out["body"] = std::string(body.substr(0, 512));
    }
    return out;
}

// The one mapping from an ES HTTP status to our codes.
Error from_status(int status, std::string_view body, std::string_view what) {
    ErrorCode code = ErrorCode::internal;
    if (status == 429 || status == 502 || status == 503) {
        code = ErrorCode::unavailable;
    } else if (status == 504) {
        code = ErrorCode::timeout;
    } else if (status == 400) {
        code = ErrorCode::invalid;
    }
    return make_error(code, "Elasticsearch " + std::string(what) + ": HTTP " + std::to_string(status),
                      {{"backend", object{{"elasticsearch", es_error_details(status, body)}}}});
}

bool error_type_is(std::string_view body, std::string_view type) {
    boost::system::error_code ec;
    value parsed = boost::json::parse(body, ec);
    if (ec || !parsed.is_object()) return false;
    const value* error = parsed.get_object().if_contains("error");
    if (!error || !error->is_object()) return false;
    const value* t = error->get_object().if_contains("type");
    return t && t->is_string() && t->get_string() == type;
}

struct Endpoint {
    std::string base;   // scheme://authority
    std::string index;  // the index name
};

Result<Endpoint> parse_url(std::string_view url, const IndexOptions& options) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return make_error(ErrorCode::invalid, "Elasticsearch URL must be http:// or https://");
    std::string scheme(url.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme != "http" && scheme != "https") {
        return make_error(ErrorCode::invalid, "Elasticsearch URL must be http:// or https://");
    }
    const auto path_start = url.find('/', scheme_end + 3);
    Endpoint endpoint;
    endpoint.base = std::string(url.substr(0, path_start));
    if (endpoint.base.size() == scheme_end + 3) return make_error(ErrorCode::invalid, "Elasticsearch URL has no host");
    if (endpoint.base.find_first_of("?#") != std::string::npos) {
        return make_error(ErrorCode::invalid, "Elasticsearch URL takes no query or fragment");
    }
    std::string_view path = path_start == std::string_view::npos ? std::string_view{} : url.substr(path_start + 1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    endpoint.index = path.empty() ? options.index_prefix + "objects" : std::string(path);
    if (!is_index_name(endpoint.index)) {
        return make_error(ErrorCode::invalid, "not an Elasticsearch index name: " + endpoint.index.substr(0, 64) +
                                                  " (lower case letters, digits, '-', '_', '.', '+'; one path segment)");
    }
    return endpoint;
}

class ElasticIndex final : public SearchIndex {
public:
    ElasticIndex(Endpoint endpoint, ElasticLayout layout, const IndexOptions& options)
        : endpoint_(std::move(endpoint)), layout_(std::move(layout)), http_(client_options(options)) {}

    Result<void> open() {
        auto root = call("GET", "/", "", "check the cluster");
        if (!root) return std::move(root).error();
        const value* version = root->is_object() ? root->get_object().if_contains("version") : nullptr;
        const value* number = version && version->is_object() ? version->get_object().if_contains("number") : nullptr;
        if (number == nullptr || !number->is_string()) {
            // Not the URL in the message: it may hold credentials.
            return make_error(ErrorCode::unsupported, "the search server does not answer GET / as Elasticsearch");
        }
        const std::string_view text = number->get_string();
        int major = 0;
        for (char c : text.substr(0, text.find('.'))) major = std::isdigit(static_cast<unsigned char>(c)) ? major * 10 + (c - '0') : -1000;
        if (major < 8) {
            return make_error(ErrorCode::unsupported, "Elasticsearch " + std::string(text) + " is older than 8",
                              {{"backend", object{{"elasticsearch", object{{"version", text}}}}}});
        }
        return create_index();
    }

    Result<ApplyResult> apply(std::span<const IndexOp> ops, bool refresh) override {
        ApplyResult result;
        if (ops.empty()) return result;
        std::string body;
        for (const IndexOp& op : ops) {
            TESSERA_ASSERT(op.version > 0);
            if (layout_.catalog().find(op.collection) == nullptr) {
                return make_error(ErrorCode::invalid, "collection " + op.collection + " is not in the catalog");
            }
            const std::string key = key_of(op.collection, op.id);
            const std::string& routing = op.root.empty() ? key : op.root;
            object meta{{"_id", key}, {"routing", routing}, {"version", op.version}, {"version_type", "external"}};
            if (op.kind == IndexOp::Kind::remove) {
                body += boost::json::serialize(object{{"delete", std::move(meta)}});
                body += '\n';
                continue;
            }
            boost::system::error_code ec;
            value parsed = boost::json::parse(op.body, ec);
            if (ec || !parsed.is_object()) {
                return make_error(ErrorCode::invalid, "the body of " + key + " is not a JSON object");
            }
            object source = std::move(parsed.get_object());
            for (auto it = source.begin(); it != source.end();) {
                it = it->key().starts_with("tessera_") ? source.erase(it) : std::next(it);
            }
            source[kCollectionField] = op.collection;
            source[kIdField] = op.id;
            source[kRootField] = routing;
            if (!op.parent.empty()) source[kParentField] = op.parent;
            source[kVersionField] = op.version;
            if (!op.parent.empty()) {
                const auto slash = op.parent.find('/');
                if (slash == std::string::npos || !layout_.catalog().find(op.parent.substr(0, slash)) ||
                    !layout_.catalog().find(op.parent.substr(0, slash))->has_child(op.collection)) {
                    return make_error(ErrorCode::invalid, "the parent " + op.parent + " of " + key + " cannot parent " + op.collection);
                }
            }
            if (auto join = layout_.join_value(op.collection, op.parent)) {
                object j{{"name", join->name}};
                if (!join->parent.empty()) j["parent"] = join->parent;
                source[kJoinField] = std::move(j);
            }
            body += boost::json::serialize(object{{"index", std::move(meta)}});
            body += '\n';
            body += boost::json::serialize(source);
            body += '\n';
        }
        auto reply = call("POST", "/" + endpoint_.index + "/_bulk" + (refresh ? "?refresh=wait_for" : ""), body, "bulk",
                          "application/x-ndjson");
        if (!reply) return std::move(reply).error();
        const value* items = reply->is_object() ? reply->get_object().if_contains("items") : nullptr;
        if (items == nullptr || !items->is_array() || items->get_array().size() != ops.size()) {
            return make_error(ErrorCode::internal, "unexpected Elasticsearch bulk response: items do not match the request");
        }
        array errors;
        std::size_t failed = 0;
        for (const value& item : items->get_array()) {
            const value* outcome = nullptr;
            std::string_view action;
            if (item.is_object() && item.get_object().size() == 1) {
                action = item.get_object().begin()->key();
                outcome = &item.get_object().begin()->value();
            }
            if (outcome == nullptr || !outcome->is_object()) {
                return make_error(ErrorCode::internal, "unexpected Elasticsearch bulk response: an item is not {action: {...}}");
            }
            const object& o = outcome->get_object();
            const value* status_value = o.if_contains("status");
            const std::int64_t status = status_value && status_value->is_int64() ? status_value->get_int64() : 0;
            const value* error = o.if_contains("error");
            if (error == nullptr && (status == 200 || status == 201 || (action == "delete" && status == 404))) {
                ++result.applied;
                continue;
            }
            const value* type = error && error->is_object() ? error->get_object().if_contains("type") : nullptr;
            if (status == 409 && type && type->is_string() && type->get_string() == "version_conflict_engine_exception") {
                ++result.stale;  // it holds this version or a newer one: external versioning at work
                continue;
            }
            ++failed;
            if (errors.size() < kMaxItemErrors) {
                object e{{"action", action}, {"status", status}};
                if (const value* id = o.if_contains("_id")) e["_id"] = *id;
                if (error && error->is_object()) {
                    for (const char* k : {"type", "reason"}) {
                        if (const value* v = error->get_object().if_contains(k)) e[k] = *v;
                    }
                }
                errors.push_back(std::move(e));
            }
        }
        if (result.applied > 0) generation_.fetch_add(1);
        if (failed > 0) {
            return make_error(ErrorCode::internal,
                              "Elasticsearch refused " + std::to_string(failed) + " of " + std::to_string(ops.size()) + " bulk items",
                              {{"backend", object{{"elasticsearch", object{{"items", std::move(errors)}}}}}});
        }
        return result;
    }

    Result<SearchResult> search(const SearchRequest& request) override {
        auto body = to_search_body(request, layout_);
        if (!body) return std::move(body).error();
        auto reply = call("POST", "/" + endpoint_.index + "/_search", boost::json::serialize(*body), "search");
        if (!reply) return std::move(reply).error();
        return from_search_response(*reply, request, layout_);
    }

    Result<std::optional<std::uint64_t>> version_of(std::string_view collection, std::string_view id) override {
        object body{{"query", object{{"bool", object{{"filter", array{object{{"term", object{{kCollectionField, collection}}}},
                                                                      object{{"term", object{{kIdField, id}}}}}}}}}},
                    {"size", 1},
                    {"version", true},
                    {"_source", false}};
        auto reply = call("POST", "/" + endpoint_.index + "/_search", boost::json::serialize(body), "version lookup");
        if (!reply) return std::move(reply).error();
        const value* hits = reply->is_object() ? reply->get_object().if_contains("hits") : nullptr;
        const value* list = hits && hits->is_object() ? hits->get_object().if_contains("hits") : nullptr;
        if (list == nullptr || !list->is_array()) return make_error(ErrorCode::internal, "unexpected Elasticsearch search response");
        if (list->get_array().empty()) return std::optional<std::uint64_t>();
        const value& hit = list->get_array()[0];
        const value* version = hit.is_object() ? hit.get_object().if_contains("_version") : nullptr;
        if (version == nullptr || !version->is_int64() || version->get_int64() < 0) {
            return make_error(ErrorCode::internal, "unexpected Elasticsearch search response: a hit without _version");
        }
        return std::optional<std::uint64_t>(static_cast<std::uint64_t>(version->get_int64()));
    }

    Result<void> clear(std::string_view collection) override {
        if (collection.empty()) {
            auto dropped = call("DELETE", "/" + endpoint_.index, "", "delete the index");
            if (!dropped) return std::move(dropped).error();
            generation_.fetch_add(1);
            return create_index();
        }
        object body{{"query", object{{"term", object{{kCollectionField, collection}}}}}};
        auto reply = call("POST", "/" + endpoint_.index + "/_delete_by_query?conflicts=proceed&refresh=true",
                          boost::json::serialize(body), "delete by query");
        if (!reply) return std::move(reply).error();
        const value* failures = reply->is_object() ? reply->get_object().if_contains("failures") : nullptr;
        if (failures && failures->is_array() && !failures->get_array().empty()) {
            return make_error(ErrorCode::internal, "Elasticsearch _delete_by_query failed for some documents",
                              {{"backend", object{{"elasticsearch", object{{"failures", failures->get_array().size()}}}}}});
        }
        generation_.fetch_add(1);
        return {};
    }

    Result<std::uint64_t> generation() override { return generation_.load(); }

    Result<IndexState> state() override {
        object body{{"size", 0},
                    {"track_total_hits", true},
                    {"aggs", object{{"max_version", object{{"max", object{{"field", kVersionField}}}}}}}};
        auto reply = call("POST", "/" + endpoint_.index + "/_search", boost::json::serialize(body), "state");
        if (!reply) return std::move(reply).error();
        IndexState out;
        out.generation = generation_.load();
        boost::system::error_code ec;
        if (const value* total = reply->find_pointer("/hits/total/value", ec); total && total->is_int64()) {
            out.entries = static_cast<std::uint64_t>(std::max<std::int64_t>(0, total->get_int64()));
        }
        // ES gives a max as a double (null with no documents); versions stay below 2^53.
        if (const value* max = reply->find_pointer("/aggregations/max_version/value", ec); max && max->is_number()) {
            out.max_version = static_cast<std::uint64_t>(std::max(0.0, max->to_number<double>()));
        }
        return out;
    }

    Result<void> ping() override {
        auto reply = call("GET", "/", "", "ping");
        if (!reply) return std::move(reply).error();
        return {};
    }

    std::string_view backend() const noexcept override { return "elasticsearch"; }

private:
    static remote::HttpClientOptions client_options(const IndexOptions& options) {
        remote::HttpClientOptions o;
        o.timeout = options.request_timeout;
        o.connect_timeout = std::min(o.connect_timeout, options.request_timeout);
        return o;
    }

    // One exchange: a 2xx answer's JSON body, or the error (transport, status, unparsable body).
    Result<value> call(const char* method, const std::string& target, std::string body, std::string_view what,
                       const char* content_type = "application/json") {
        auto response = send(method, target, std::move(body), content_type);
        if (!response) return std::move(response).error();
        if (response->status < 200 || response->status >= 300) return from_status(response->status, response->body, what);
        return parse_body(*response, what);
    }

    Result<remote::HttpResponse> send(const char* method, const std::string& target, std::string body, const char* content_type) {
        remote::HttpRequest request{method, endpoint_.base + target, {{"Accept", "application/json"}}, std::move(body), {}};
        if (!request.body.empty()) request.headers.emplace_back("Content-Type", content_type);
        return http_.send(request);
    }

    static Result<value> parse_body(const remote::HttpResponse& response, std::string_view what) {
        boost::system::error_code ec;
        value parsed = boost::json::parse(response.body, ec);
        if (ec) {
            return make_error(ErrorCode::internal, "Elasticsearch " + std::string(what) + ": the answer is not JSON",
                              {{"backend", object{{"elasticsearch", object{{"status", response.status},
                                                                           {"body", response.body.substr(0, 512)}}}}}});
        }
        return parsed;
    }

    Result<void> create_index() {
        const std::string path = "/" + endpoint_.index;
        auto created = send("PUT", path, boost::json::serialize(layout_.index_body()), "application/json");
        if (!created) return std::move(created).error();
        if (created->status >= 200 && created->status < 300) return {};
        if (created->status != 400 || !error_type_is(created->body, "resource_already_exists_exception")) {
            return from_status(created->status, created->body, "create index " + endpoint_.index);
        }
        // It exists: put the mappings again — new fields and relations are added, a changed type fails.
        auto updated = call("PUT", path + "/_mapping", boost::json::serialize(layout_.mappings()),
                            "update the mapping of " + endpoint_.index + " (delete the index and reindex if the schemas changed a field's type)");
        if (!updated) return std::move(updated).error();
        return {};
    }

    Endpoint endpoint_;
    ElasticLayout layout_;
    remote::HttpClient http_;
    std::atomic<std::uint64_t> generation_{0};
};

}  // namespace

Result<std::unique_ptr<SearchIndex>> open_elasticsearch_index(std::string_view url, const Catalog& catalog, const IndexOptions& options) {
    auto endpoint = parse_url(url, options);
    if (!endpoint) return std::move(endpoint).error();
    auto index = std::make_unique<ElasticIndex>(std::move(*endpoint), ElasticLayout(catalog), options);
    if (auto opened = index->open(); !opened) return std::move(opened).error();
    return std::unique_ptr<SearchIndex>(std::move(index));
}

}  // namespace tessera::search::internal
