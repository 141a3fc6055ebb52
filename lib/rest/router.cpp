#include "rest/router.hpp"

#include "rest/events_admin.hpp"

#include <tessera/json/text.hpp>
#include <tessera/model/ids.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>

namespace tessera::rest::internal {

Router::Router(model::Engine& engine) {
    for (auto* collection : engine.collections()) {
        if (collection->annotations().expose) add_mount("/api/" + collection->name(), collection);
        for (const auto& alias : collection->annotations().routes) add_mount(alias, collection);
    }
    // Longest prefix first, so "/api/plans/x" never matches a shorter alias.
    std::stable_sort(mounts_.begin(), mounts_.end(),
                     [](const Mount& a, const Mount& b) { return a.segments.size() > b.segments.size(); });
}

void Router::add_mount(const std::string& prefix, model::Collection* collection) {
    Mount mount;
    std::string_view rest = prefix;
    while (!rest.empty()) {
        if (rest.front() == '/') {
            rest.remove_prefix(1);
            continue;
        }
        const auto slash = rest.find('/');
        mount.segments.emplace_back(rest.substr(0, slash));
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    }
    mount.prefix = "/";
    for (std::size_t i = 0; i < mount.segments.size(); ++i) {
        mount.prefix += (i ? "/" : "") + mount.segments[i];
    }
    mount.collection = collection;
    mount.collection_label = mount.prefix + "/";
    mount.item_label = mount.prefix + "/{id}";
    mount.graph_label = mount.prefix + "/{id}/graph";
    mount.search_label = mount.prefix + "/_search";
    mounts_.push_back(std::move(mount));
}

Result<Route> Router::resolve(std::string_view target) const {
    // Search filters are written `copay[gte]=10`, and clients send the brackets as they are although
    // RFC 3986 reserves them: in the query only, they are taken as if percent-encoded.
    std::string escaped;
    if (const auto q = target.find('?'); q != std::string_view::npos && target.find_first_of("[]", q) != std::string_view::npos) {
        escaped.reserve(target.size() + 16);
        escaped.append(target.substr(0, q));
        for (const char c : target.substr(q)) {
            if (c == '[') escaped += "%5B";
            else if (c == ']') escaped += "%5D";
            else escaped += c;
        }
        target = escaped;
    }
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return Error(ErrorCode::malformed, "malformed request target");
    Route route;
    route.path = std::string(url->encoded_path());
    route.query = std::string(url->encoded_query());
    for (auto segment : url->segments()) {
        // Decoded segments end up in ids, messages and JSON: a JSON string must be UTF-8.
        if (!json::is_valid_utf8(segment)) {
            return Error(ErrorCode::malformed, "the path segment '" + json::excerpt(segment) + "' is not valid UTF-8");
        }
        route.segments.push_back(std::move(segment));
    }
    auto& segments = route.segments;
    // "/api/plans/" and "/api/plans" are the same resource: drop the empty last segment.
    if (!segments.empty() && segments.back().empty()) segments.pop_back();

    using Kind = Route::Kind;
    const auto found = [&](Kind kind, std::string_view label) {
        route.kind = kind;
        route.label = label;
        return std::move(route);
    };
    if (segments.size() == 1) {
        if (segments[0] == "healthz") return found(Kind::health, "/healthz");
        if (segments[0] == "readyz") return found(Kind::ready, "/readyz");
        if (segments[0] == "metrics") return found(Kind::metrics, "/metrics");
        if (segments[0] == "openapi.json") return found(Kind::openapi, "/openapi.json");
    }
    if (is_events_admin(segments)) return found(Kind::events, events_admin_label(segments));
    if (segments.size() == 2 && segments[0] == "api" && segments[1] == "_search") return found(Kind::search_all, "/api/_search");
    for (const auto& mount : mounts_) {
        if (segments.size() < mount.segments.size() ||
            !std::equal(mount.segments.begin(), mount.segments.end(), segments.begin())) {
            continue;
        }
        const std::size_t extra = segments.size() - mount.segments.size();
        const bool item = extra == 1;
        const bool graph = extra == 2 && segments.back() == "graph";
        if (extra == 0) {
            route.mount = &mount;
            return found(Kind::collection, mount.collection_label);
        }
        if (!item && !graph) continue;
        std::string id = segments[mount.segments.size()];
        // "_search" is the collection's search endpoint, never a document id.
        if (item && id == "_search") {
            route.mount = &mount;
            return found(Kind::search, mount.search_label);
        }
        if (!model::is_valid_id(id)) {
            return Error(ErrorCode::malformed, "'" + json::excerpt(id) + "' is not a valid document id",
                         {{"parameter", "id"}});
        }
        route.mount = &mount;
        route.id = std::move(id);
        return found(item ? Kind::item : Kind::graph, item ? mount.item_label : mount.graph_label);
    }
    return route;
}

}  // namespace tessera::rest::internal
