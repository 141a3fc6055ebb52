#include <tessera/rest/api.hpp>

#include <tessera/log.hpp>
#include <tessera/rest/problem.hpp>

#include "rest/access.hpp"
#include "rest/events_admin.hpp"
#include "rest/metrics.hpp"
#include "rest/openapi.hpp"
#include "rest/responses.hpp"
#include "rest/router.hpp"
#include "rest/search_routes.hpp"

#include <tessera/json/text.hpp>

#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/rfc/pchars.hpp>

#include <chrono>

namespace tessera::rest {
namespace {

using boost::json::value;
using internal::Route;

constexpr std::string_view kCollectionAllow = "GET, HEAD, POST, OPTIONS";
constexpr std::string_view kItemAllow = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view kAcceptPatch = "application/merge-patch+json, application/json-patch+json";

std::string media_type(const Request& request) {
    auto type = request.headers.get("Content-Type").value_or("");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    std::string out(type);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Response resource_response(int status, model::Resource& resource) {
    Response response = json_response(status, std::move(resource.text));
    response.headers.set("ETag", resource.etag.to_header());
    return response;
}

Response no_content(int status) {
    Response response;
    response.status = status;
    return response;
}

std::string encode_segment(std::string_view segment) {
    return boost::urls::encode(segment, boost::urls::pchars);
}

}  // namespace

struct Api::Impl {
    Impl(model::Engine& e, ApiOptions o)
        : engine(e),
          options(std::move(o)),
          openapi(make_openapi(e, options)),
          router(e),
          gate(options),
          search(e, options.search, options.default_page_size, options.max_page_size) {}

    Response dispatch(const Request& request, Route& route) {
        auto resolved = router.resolve(request.target);
        if (!resolved) return failure(resolved.error(), request);
        route = std::move(*resolved);

        Headers rate_fields;
        auto refused = gate.admit(request, route, rate_fields);
        Response response = refused ? std::move(*refused) : answer(request, route);
        for (const auto& [name, value] : rate_fields) response.headers.set(name, value);
        return response;
    }

    Response answer(const Request& request, const Route& route) {
        const std::string& method = request.method;
        const std::string& path = route.path;
        switch (route.kind) {
            case Route::Kind::health:
                return method == "GET" || method == "HEAD" ? json_response(200, R"({"status":"ok"})")
                                                            : method_not_allowed("GET, HEAD", method, path);
            case Route::Kind::ready: {
                if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD", method, path);
                auto ready = engine.ready();
                if (!ready) return failure(ready.error(), request);
                // A bus that is down delays events (they wait in the outbox), never writes: still ready,
                // but said, so an operator sees it.
                const bool bus_up = engine.bus().stats().connected;
                return json_response(200, bus_up ? R"({"status":"ready","store":"up","bus":"connected"})"
                                                 : R"({"status":"ready","store":"up","bus":"down"})");
            }
            case Route::Kind::metrics: {
                if (method != "GET" && method != "HEAD") return method_not_allowed("GET, HEAD", method, path);
                Response response;
                response.headers.set("Content-Type", "text/plain; version=0.0.4");
                response.body = metrics.render() + render_event_metrics(engine) + gate.render_metrics() +
                                search.render_metrics();
                return response;
            }
            case Route::Kind::events:
                return events_admin(engine, request, route.label, route.segments, route.query, path,
                                    [&](const Error& error) { return failure(error, request); });
            case Route::Kind::openapi:
                return method == "GET" || method == "HEAD" ? json_response(200, openapi)
                                                            : method_not_allowed("GET, HEAD", method, path);
            case Route::Kind::collection: return collection_route(request, route);
            case Route::Kind::item: return item_route(request, route);
            case Route::Kind::graph: return graph_route(request, route);
            case Route::Kind::search: return search_route(request, route, route.mount->collection->name());
            case Route::Kind::search_all: return search_route(request, route, "");
            case Route::Kind::none: break;
        }
        return failure(Error(ErrorCode::not_found, "no route for " + json::excerpt(path, 256)), request);
    }

    // POST <collection>/_search, POST /api/_search: a search body in the Elasticsearch DSL subset.
    Response search_route(const Request& request, const Route& route, const std::string& collection) {
        if (request.method == "OPTIONS") {
            Response response = no_content(204);
            response.headers.set("Allow", "POST, OPTIONS");
            return response;
        }
        if (request.method != "POST") return method_not_allowed("POST, OPTIONS", request.method, route.path);
        if (auto type = media_type(request); type != "application/json" && !(type.empty() && request.body.empty())) {
            return unsupported(type, "application/json", route.path);
        }
        return search.search(collection, request.body, options.limits,
                             [&](const Error& error) { return failure(error, request); });
    }

    // A write, then — with ?refresh=wait_for — its change applied to the search index before the answer.
    template <class Write>
    Response refreshing(const Request& request, const Route& route, Write&& write) {
        auto wanted = internal::SearchRoutes::wants_refresh(route.query);
        if (!wanted) return failure(wanted.error(), request);
        if (!*wanted || !search.enabled()) return write();
        model::Engine::CommitCapture capture;
        Response response = write();
        if (response.status < 300 && !search.refresh(capture)) response.headers.set("X-Search-Refresh", "failed");
        return response;
    }

    Response collection_route(const Request& request, const Route& route) {
        const std::string& method = request.method;
        if (method == "GET" || method == "HEAD") return list(request, route);
        if (method == "POST") return refreshing(request, route, [&] { return create(request, route, ""); });
        if (method == "OPTIONS") {
            Response response = no_content(204);
            response.headers.set("Allow", std::string(kCollectionAllow));
            return response;
        }
        return method_not_allowed(kCollectionAllow, method, route.path);
    }

    Response item_route(const Request& request, const Route& route) {
        auto& collection = *route.mount->collection;
        const std::string& method = request.method;
        const std::string& id = route.id;
        if (method == "OPTIONS") {
            Response response = no_content(204);
            response.headers.set("Allow", std::string(kItemAllow));
            response.headers.set("Accept-Patch", std::string(kAcceptPatch));
            return response;
        }
        if (method == "POST") return refreshing(request, route, [&] { return create(request, route, id); });
        if (method == "PUT" || method == "PATCH" || method == "DELETE") {
            return refreshing(request, route, [&] { return item_write(request, route); });
        }

        auto preconditions = parse_preconditions(request);
        if (!preconditions) return failure(preconditions.error(), request);

        if (method == "GET" || method == "HEAD") {
            auto resource = collection.get(id, *preconditions, model::Representation::text);
            if (!resource) return failure(resource.error(), request);
            if (resource->not_modified) {
                // RFC 9110 §15.4.5: 304 carries the ETag but no content.
                Response response = no_content(304);
                response.headers.set("ETag", resource->etag.to_header());
                return response;
            }
            return resource_response(200, *resource);
        }
        return method_not_allowed(kItemAllow, method, route.path);
    }

    // PUT, PATCH, DELETE of one document.
    Response item_write(const Request& request, const Route& route) {
        auto& collection = *route.mount->collection;
        const std::string& method = request.method;
        const std::string& id = route.id;
        auto preconditions = parse_preconditions(request);
        if (!preconditions) return failure(preconditions.error(), request);
        if (collection.annotations().require_if_match && !preconditions->if_match) {
            return failure(Error(ErrorCode::precondition_required,
                                 collection.name() + " requires If-Match on " + method + " (RFC 6585 §3)",
                                 {{"header", "If-Match"}}),
                           request);
        }
        model::WriteOptions write_options{*preconditions, idempotency_key(request, method, route.subject)};

        if (method == "DELETE") {
            auto removed = collection.remove(id, write_options);
            if (!removed) return failure(removed.error(), request);
            return no_content(204);
        }
        if (method == "PUT") {
            if (auto type = media_type(request); type != "application/json") {
                return unsupported(type, "application/json", route.path);
            }
            auto body = parse_body(request);
            if (!body) return failure(body.error(), request);
            auto resource = collection.replace(id, std::move(*body), write_options);
            if (!resource) return failure(resource.error(), request);
            return written(*resource, route, request);
        }
        // PATCH: RFC 7386 merge patch (also for plain application/json), or RFC 6902 JSON Patch.
        const std::string type = media_type(request);
        const bool merge = type == "application/merge-patch+json" || type == "application/json";
        if (!merge && type != "application/json-patch+json") {
            Response response = unsupported(type, std::string(kAcceptPatch), route.path);
            response.headers.set("Accept-Patch", std::string(kAcceptPatch));  // RFC 5789 §3.1
            return response;
        }
        auto patch = parse_body(request);
        if (!patch) return failure(patch.error(), request);
        auto resource = merge ? collection.merge_patch(id, *patch, write_options)
                              : collection.json_patch(id, *patch, write_options);
        if (!resource) return failure(resource.error(), request);
        return written(*resource, route, request);
    }

    // The stored objects of a document and the parent → child links between them.
    Response graph_route(const Request& request, const Route& route) {
        if (request.method != "GET" && request.method != "HEAD") {
            return method_not_allowed("GET, HEAD", request.method, route.path);
        }
        auto graph = route.mount->collection->graph(route.id);
        if (!graph) return failure(graph.error(), request);
        boost::json::array nodes;
        for (const auto& node : graph->nodes) nodes.push_back(value(node));
        boost::json::array edges;
        for (const auto& edge : graph->edges) {
            edges.push_back(boost::json::object{{"parent", edge.parent}, {"child", edge.child}, {"relation", edge.relation}});
        }
        return json_response(200, boost::json::serialize(boost::json::object{
                                      {"root", graph->root}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}}));
    }

    Response create(const Request& request, const Route& route, std::string_view url_id) {
        auto& collection = *route.mount->collection;
        if (auto type = media_type(request); type != "application/json") {
            return unsupported(type, "application/json", route.path);
        }
        auto preconditions = parse_preconditions(request);
        if (!preconditions) return failure(preconditions.error(), request);
        auto body = parse_body(request);
        if (!body) return failure(body.error(), request);
        model::WriteOptions write_options{*preconditions, idempotency_key(request, "POST", route.subject)};
        auto resource = collection.create(std::move(*body), url_id, write_options);
        if (!resource) return failure(resource.error(), request);
        return written(*resource, route, request);
    }

    Response written(model::Resource& resource, const Route& route, const Request& request) {
        const bool created = resource.created;
        const std::string location = route.mount->prefix + "/" + encode_segment(resource.id);
        const bool replayed = resource.replayed;
        Response response = resource_response(created ? 201 : 200, resource);
        if (created) response.headers.set("Location", location);
        if (replayed) response.headers.set("Idempotent-Replayed", "true");
        (void)request;
        return response;
    }

    Response list(const Request& request, const Route& route) {
        if (auto searched = search.list(route.mount->collection->name(), route.query,
                                        [&](const Error& error) { return failure(error, request); })) {
            return std::move(*searched);
        }
        std::size_t limit = options.default_page_size;
        std::string cursor;
        for (auto param : boost::urls::params_view(route.query)) {
            if (param.key == "limit") {
                auto parsed = parse_limit(param.value, options.max_page_size);
                if (!parsed) return failure(parsed.error(), request);
                limit = *parsed;
            } else if (param.key == "cursor") {
                cursor = param.value;
            }
        }
        auto page = route.mount->collection->list(cursor, limit, model::Representation::text);
        if (!page) return failure(page.error(), request);
        std::string body = "[";
        for (std::size_t i = 0; i < page->items.size(); ++i) {
            if (i) body += ',';
            body += page->items[i].text;
        }
        body += ']';
        Response response = json_response(200, std::move(body));
        if (!page->next_cursor.empty()) {
            response.headers.set("Link", "<" + route.mount->prefix + "/?limit=" + std::to_string(limit) + "&cursor=" +
                                             boost::urls::encode(page->next_cursor, boost::urls::pchars) +
                                             ">; rel=\"next\"");
        }
        return response;
    }

    Result<model::Preconditions> parse_preconditions(const Request& request) const {
        model::Preconditions out;
        if (auto field = request.headers.combined("If-Match")) {
            auto set = model::EtagSet::parse(*field);
            if (!set) return std::move(set).error();
            out.if_match = std::move(*set);
        }
        if (auto field = request.headers.combined("If-None-Match")) {
            auto set = model::EtagSet::parse(*field);
            if (!set) return std::move(set).error();
            out.if_none_match = std::move(*set);
        }
        return out;
    }

    // Idempotency keys are scoped by method and target, so one key cannot replay another route, and
    // by the caller's subject, so one principal cannot read another's answer by reusing its key.
    static std::string idempotency_key(const Request& request, std::string_view method, std::string_view subject) {
        auto key = request.headers.get("Idempotency-Key");
        if (!key || key->empty() || (method != "POST" && method != "PATCH")) return {};
        std::string scoped = std::string(method) + " " + request.target + "|" + std::string(*key);
        if (!subject.empty()) scoped = std::string(subject) + "|" + scoped;
        return scoped;
    }

    Result<value> parse_body(const Request& request) const { return json::parse(request.body, options.limits); }

    static Response unsupported(std::string_view type, const std::string& expected, std::string_view instance) {
        return make_problem(Error(ErrorCode::unsupported_media_type,
                                  "Content-Type '" + json::excerpt(type) + "' is not accepted here; use " + expected),
                            instance);
    }

    Response failure(const Error& error, const Request& request) {
        const auto code = error.code();
        if (code == ErrorCode::unavailable || code == ErrorCode::timeout || code == ErrorCode::internal) {
            metrics.store_error(to_string(code));
            log::warn("rest", error.message(), {{"error", error.to_json()}, {"target", json::excerpt(request.target, 512)}});
        }
        auto target = std::string_view(request.target).substr(0, request.target.find('?'));
        return make_problem(error, target);
    }

    model::Engine& engine;
    ApiOptions options;
    std::string openapi;
    internal::Router router;
    internal::Gate gate;  // refers to `options`, which is declared (so built) before it
    internal::SearchRoutes search;  // refers to `options.search`
    Metrics metrics;
};

Api::Api(model::Engine& engine, ApiOptions options) : impl_(std::make_unique<Impl>(engine, std::move(options))) {}
Api::Api(Api&&) noexcept = default;
Api& Api::operator=(Api&&) noexcept = default;
Api::~Api() = default;

const std::string& Api::openapi() const noexcept { return impl_->openapi; }

bool Api::may_block(const Request& request) const noexcept {
    try {
        auto route = impl_->router.resolve(request.target);
        if (!route) return false;  // refused before anything is read
        if (impl_->gate.may_block()) return true;
        const std::string& method = request.method;
        const bool read = method == "GET" || method == "HEAD" || method == "OPTIONS";
        switch (route->kind) {
            case Route::Kind::health:
            case Route::Kind::openapi:
            case Route::Kind::none: return false;
            case Route::Kind::metrics:
                // The outbox's stats come from the store; an AMQP bus counts dead letters at the broker.
                return impl_->engine.store().may_block() || impl_->engine.bus().backend() != "inproc";
            case Route::Kind::ready:
            case Route::Kind::events:
            case Route::Kind::search:
            case Route::Kind::search_all: return true;
            case Route::Kind::collection:
                // A list may be a search (the index may block).
                return !read || impl_->engine.store().may_block() || impl_->search.enabled();
            case Route::Kind::item:
            case Route::Kind::graph: return !read || impl_->engine.store().may_block();
        }
        return true;
    } catch (...) {
        return true;  // the safe side: a worker thread
    }
}

Response Api::handle(const Request& request) noexcept {
    const auto start = std::chrono::steady_clock::now();
    Route route;
    Response response;
    try {
        response = impl_->dispatch(request, route);
    } catch (const std::exception& e) {
        log::error("rest", "unhandled exception", {{"what", e.what()}, {"target", json::excerpt(request.target, 512)}});
        response = make_problem(Error(ErrorCode::internal, "internal error"));
    } catch (...) {
        response = make_problem(Error(ErrorCode::internal, "internal error"));
    }
    if (request.method == "HEAD") {
        // Same headers as GET, no content (RFC 9110 §9.3.2); a 304 or 204 has no length to report.
        if (response.status != 304 && response.status != 204) {
            response.headers.set("Content-Length", std::to_string(response.body.size()));
        }
        response.body.clear();
    }
    try {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        impl_->metrics.observe(route.label, request.method, response.status, seconds);
    } catch (...) {
        // Metrics must never turn an answer into a failure.
    }
    return response;
}

}  // namespace tessera::rest
