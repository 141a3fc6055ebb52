#pragma once
// Private: maps a request target to the route it addresses — the operational endpoints, the event
// admin routes, and each collection's mounts (`/api/<collection>` and its `x-tessera` aliases) —
// with the route template that labels its metrics. Knows nothing of methods or handlers.

#include <tessera/model/collection.hpp>
#include <tessera/model/engine.hpp>
#include <tessera/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tessera::rest::internal {

/// One collection prefix ("/api/plans", or an alias like "/guid"), split into decoded segments.
struct Mount {
    std::vector<std::string> segments;
    std::string prefix;  // "/api/plans"
    model::Collection* collection = nullptr;
    // Route templates, the metrics labels of this mount's routes.
    std::string collection_label;  // "<prefix>/"
    std::string item_label;        // "<prefix>/{id}"
    std::string graph_label;       // "<prefix>/{id}/graph"
    std::string search_label;      // "<prefix>/_search"
};

/// What a request target resolved to.
struct Route {
    enum class Kind { none, health, ready, metrics, openapi, events, collection, item, graph, search, search_all };
    Kind kind = Kind::none;
    const Mount* mount = nullptr;
    std::string id;                        // item and graph routes: the decoded, valid document id
    std::string_view label = "unmatched";  // route template for metrics (static or owned by a Mount)
    std::vector<std::string> segments;     // the decoded path (the event admin routes read it)
    std::string query;                     // the raw query string, without '?'
    std::string path;                      // the raw path, for problem instances
    std::string subject;                   // who the request's token names (set by the Gate; "" without auth)
};

/// Routes of one engine's collections; immutable after construction, so thread-safe.
class Router {
public:
    /// Requires: `engine` outlives the router.
    explicit Router(model::Engine& engine);

    /// The route `target` (origin-form: path and optional query) addresses; `Kind::none` if no route
    /// matches. Errors: `malformed` if the target is not origin-form, a path segment does not decode to
    /// valid UTF-8, or an item route's id is not a valid document id (`model::is_valid_id`: e.g. empty,
    /// "." or "..", control characters) — such a target can never name a resource.
    Result<Route> resolve(std::string_view target) const;

    /// The mounts, longest prefix first.
    const std::vector<Mount>& mounts() const noexcept { return mounts_; }

private:
    void add_mount(const std::string& prefix, model::Collection* collection);

    std::vector<Mount> mounts_;
};

}  // namespace tessera::rest::internal
