#include "rest/openapi.hpp"

#include <tessera/version.hpp>

#include <boost/json/serialize.hpp>

#include <optional>
#include <utility>
#include <vector>

namespace tessera::rest {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

// "service.json#/definitions/x" → "#/components/schemas/service/definitions/x"; "#/x" stays inside
// the schema it came from (`self`).
std::string rewrite_ref(std::string_view ref, std::string_view self) {
    const auto hash = ref.find('#');
    std::string_view file = ref.substr(0, hash);
    std::string_view fragment = hash == std::string_view::npos ? std::string_view() : ref.substr(hash + 1);
    std::string target(self);
    if (!file.empty()) {
        const auto slash = file.find_last_of('/');
        if (slash != std::string_view::npos) file = file.substr(slash + 1);
        if (file.ends_with(".json")) file.remove_suffix(5);
        target = std::string(file);
    }
    return "#/components/schemas/" + target + std::string(fragment);
}

value to_component(const value& schema, std::string_view self) {
    if (schema.is_array()) {
        array out;
        for (const auto& item : schema.as_array()) out.push_back(to_component(item, self));
        return out;
    }
    if (!schema.is_object()) return schema;
    object out;
    for (const auto& [key, member] : schema.as_object()) {
        if (key == "$schema" || key == "$id" || key == "x-tessera") continue;
        if (key == "$ref" && member.is_string()) {
            out[key] = rewrite_ref(member.as_string(), self);
        } else {
            out[key] = to_component(member, self);
        }
    }
    return out;
}

object problem_response(std::string_view description) {
    return {{"description", description},
            {"content", {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

object document_response(std::string_view description, const std::string& schema_ref) {
    return {{"description", description},
            {"headers", {{"ETag", {{"schema", {{"type", "string"}}}}}}},
            {"content", {{"application/json", {{"schema", {{"$ref", schema_ref}}}}}}}};
}

object json_body(const std::string& schema_ref, std::initializer_list<std::string_view> media_types) {
    object content;
    for (auto media : media_types) content[media] = {{"schema", {{"$ref", schema_ref}}}};
    return {{"required", true}, {"content", std::move(content)}};
}

void add_search_path(object& paths, const std::string& path, const array& tags, const std::string& summary) {
    paths[path] = {{"post", {{"tags", tags},
                             {"summary", summary},
                             {"requestBody", {{"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
                             {"responses",
                              {{"200", {{"description", "{total, total_relation, hits: [{id, collection, etag, score, document}], next, aggregations}"}}},
                               {"400", problem_response("Outside the query language; `pointer` names the member")},
                               {"503", problem_response("The search backend is unavailable (Retry-After)")}}}}}};
}

void add_collection_paths(object& paths, const model::Collection& collection, const std::string& prefix, bool search) {
    const std::string& name = collection.name();
    const std::string ref = "#/components/schemas/" + collection.schema().name();
    const array tags{value(name)};
    const object id_parameter{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};

    object list_op{{"tags", tags},
                   {"summary", "List " + name},
                   {"parameters", array{object{{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}}}},
                                        object{{"name", "cursor"}, {"in", "query"}, {"schema", {{"type", "string"}}}}}},
                   {"responses",
                    {{"200", {{"description", "A page of documents; Link rel=\"next\" points to the next page"},
                              {"content", {{"application/json", {{"schema", {{"type", "array"}, {"items", {{"$ref", ref}}}}}}}}}}},
                     {"400", problem_response("Bad query")}}}};
    object create_op{{"tags", tags},
                     {"summary", "Create a " + name + " document"},
                     {"requestBody", json_body(ref, {"application/json"})},
                     {"responses",
                      {{"201", document_response("Created; Location names the new document", ref)},
                       {"400", problem_response("Malformed JSON")},
                       {"409", problem_response("The id exists")},
                       {"413", problem_response("Body too large")},
                       {"415", problem_response("Not application/json")},
                       {"422", problem_response("Schema violations, with a JSON Pointer each")}}}};
    if (search) {
        auto& parameters = list_op["parameters"].as_array();
        for (const char* name : {"q", "sort", "offset", "after", "track_total_hits"}) {
            parameters.push_back(object{{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}}}});
        }
        list_op["description"] =
            "With search parameters (q, sort, offset, after, or a filter on a field: <field>=v, "
            "<field>[gte]=v, <field>[in]=a,b, ...) the answer is a search result, not the plain list.";
        add_search_path(paths, prefix + "/_search", tags, "Search " + name + " (Elasticsearch query DSL subset)");
    }
    paths[prefix + "/"] = {{"get", std::move(list_op)}, {"post", std::move(create_op)}};

    const object common_errors{{"400", problem_response("Malformed: a path segment that is not UTF-8, an invalid id, a malformed header")},
                               {"404", problem_response("No such document")},
                               {"412", problem_response("If-Match / If-None-Match failed")},
                               {"428", problem_response("If-Match is required for this collection")}};
    auto with_errors = [&](object responses) {
        for (const auto& [k, v] : common_errors) responses[k] = v;
        return responses;
    };
    object item{
        {"parameters", array{id_parameter}},
        {"get", {{"tags", tags}, {"summary", "Read a " + name + " document (If-None-Match → 304)"},
                 {"responses", with_errors({{"200", document_response("The document", ref)},
                                            {"304", {{"description", "Not modified"}}}})}}},
        {"put", {{"tags", tags}, {"summary", "Replace (or create) a " + name + " document"},
                 {"requestBody", json_body(ref, {"application/json"})},
                 {"responses", with_errors({{"200", document_response("Replaced", ref)},
                                            {"201", document_response("Created", ref)},
                                            {"422", problem_response("Schema violations")}})}}},
        {"patch", {{"tags", tags}, {"summary", "Merge patch (RFC 7386) or JSON Patch (RFC 6902)"},
                   {"requestBody", {{"required", true},
                                    {"content", {{"application/merge-patch+json", {{"schema", {{"type", "object"}}}}},
                                                 {"application/json-patch+json", {{"schema", {{"type", "array"}}}}}}}}},
                   {"responses", with_errors({{"200", document_response("Patched", ref)},
                                              {"400", problem_response("Not a valid patch document")},
                                              {"409", problem_response("A JSON Patch path or test failed")},
                                              {"413", problem_response("The patched document would exceed the document limit")},
                                              {"415", problem_response("Unsupported patch type")},
                                              {"422", problem_response("The patched document violates the schema")}})}}},
        {"delete", {{"tags", tags}, {"summary", "Delete a " + name + " document"},
                    {"responses", with_errors({{"204", {{"description", "Deleted"}}}})}}}};
    paths[prefix + "/{id}"] = std::move(item);
}

}  // namespace

// Declares what each operation needs (lib/rest/access.cpp decides the same way) and the answers
// that brings.
void add_security(object& paths, const ApiOptions& options, const std::vector<std::pair<std::string, std::string>>& collections) {
    auto scope_of = [&](std::string_view path, std::string_view method) -> std::optional<std::string> {
        if (path == "/healthz" || path == "/readyz") return std::nullopt;
        if (path == "/metrics") return options.open_metrics ? std::nullopt : std::optional<std::string>("admin");
        if (path == "/openapi.json") return options.open_openapi ? std::nullopt : std::optional<std::string>("read");
        if (path.starts_with("/api/_events")) return "admin";
        const bool reads = method == "get" || method == "head" || method == "options" || path.ends_with("/_search");
        const std::string level = reads ? "read" : "write";
        for (const auto& [prefix, collection] : collections) {
            if (path.starts_with(prefix)) return collection + ":" + level;
        }
        return level;
    };
    for (auto& [path, item] : paths) {
        for (auto& [method, operation] : item.as_object()) {
            if (method == "parameters" || !operation.is_object()) continue;
            auto& op = operation.as_object();
            auto& responses = op["responses"].as_object();
            if (options.rate_limiter) responses["429"] = problem_response("Rate limit exceeded; Retry-After says when to retry");
            const auto scope = scope_of(path, method);
            if (!options.authenticator || !scope) {
                if (options.authenticator) op["security"] = array{};
                continue;
            }
            op["security"] = array{object{{"bearerAuth", array{value(*scope)}}}};
            responses["401"] = problem_response("No or an invalid bearer token (WWW-Authenticate says why)");
            responses["403"] = problem_response("The token lacks the scope " + *scope);
        }
    }
}

std::string make_openapi(model::Engine& engine, const ApiOptions& options) {
    object schemas;
    schemas["Problem"] = {{"type", "object"},
                          {"description", "RFC 9457 problem details"},
                          {"properties",
                           {{"type", {{"type", "string"}}},
                            {"title", {{"type", "string"}}},
                            {"status", {{"type", "integer"}}},
                            {"detail", {{"type", "string"}}},
                            {"instance", {{"type", "string"}, {"description", "The request's path"}}},
                            {"code",
                             {{"type", "string"},
                              {"enum", array{"malformed", "invalid", "not_found", "conflict", "precondition_failed",
                                             "precondition_required", "unauthorized", "forbidden", "too_large",
                                             "unsupported_media_type", "rate_limited", "unavailable", "timeout",
                                             "method_not_allowed", "internal", "unsupported"}}}},
                            {"truncated", {{"type", "boolean"}, {"description", "More errors than listed (the first 100)"}}},
                            {"total_errors", {{"type", "integer"}}},
                            {"errors", {{"type", "array"},
                                        {"items", {{"type", "object"},
                                                   {"properties", {{"pointer", {{"type", "string"}}},
                                                                   {"message", {{"type", "string"}}}}}}}}}}}};
    for (const auto* schema : engine.registry().schemas()) {
        schemas[schema->name()] = to_component(schema->document(), schema->name());
    }

    object paths;
    const bool search = static_cast<bool>(options.search.index);
    std::vector<std::pair<std::string, std::string>> prefixes;  // path prefix → collection
    for (const auto* collection : engine.collections()) {
        if (collection->annotations().expose) {
            add_collection_paths(paths, *collection, "/api/" + collection->name(), search);
            prefixes.emplace_back("/api/" + collection->name() + "/", collection->name());
        }
        for (const auto& alias : collection->annotations().routes) {
            add_collection_paths(paths, *collection, alias, search);
            prefixes.emplace_back(alias + "/", collection->name());
        }
    }
    const object plain_get{{"responses", {{"200", {{"description", "OK"}}}}}};
    paths["/healthz"] = {{"get", plain_get}};
    paths["/readyz"] = {{"get", {{"responses", {{"200", {{"description", "Store reachable; `bus` says connected or down"}}},
                                                {"503", problem_response("Store unreachable")}}}}}};
    paths["/metrics"] = {{"get", plain_get}};

    // Event admin routes (lib/rest/events_admin.hpp).
    const array events_tag{value("_events")};
    paths["/api/_events"] = {{"get", {{"tags", events_tag}, {"summary", "Relay, outbox and bus state"}, {"responses", {{"200", {{"description", "State"}}}}}}}};
    paths["/api/_events/deadletters"] = {
        {"get", {{"tags", events_tag},
                 {"summary", "Dead letters: events a subscription's handler kept failing"},
                 {"parameters", array{object{{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}}}}},
                 {"responses", {{"200", {{"description", "[{id, subscription, error, attempts, time, event}]"}}},
                                {"503", problem_response("The broker is unreachable")}}}}}};
    paths["/api/_events/deadletters/replay"] = {
        {"post", {{"tags", events_tag},
                  {"summary", "Hand every dead letter back to its subscription"},
                  {"responses", {{"200", {{"description", "{replayed: n}"}}}, {"503", problem_response("The broker is unreachable")}}}}}};
    paths["/api/_events/deadletters/{id}/replay"] = {
        {"parameters", array{object{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}}},
        {"post", {{"tags", events_tag},
                  {"summary", "Hand one dead letter back to its subscription"},
                  {"responses", {{"200", {{"description", "{replayed: 1}"}}},
                                 {"404", problem_response("No such dead letter, or its subscription is not there")},
                                 {"503", problem_response("The broker is unreachable")}}}}}};

    paths["/openapi.json"] = {{"get", plain_get}};
    if (options.search.index) add_search_path(paths, "/api/_search", array{value("_search")}, "Search across collections");
    add_security(paths, options, prefixes);

    object components{{"schemas", std::move(schemas)}};
    if (options.authenticator) {
        // OpenAPI 3.1 §4.8.30: for schemes other than OAuth2/OIDC the scope list names roles.
        components["securitySchemes"] = {
            {"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT or a static token"},
                            {"description", "Scopes: read, write, admin (each includes the ones before), "
                                            "or <collection>:<level> for one collection"}}}};
    }
    const object doc{{"openapi", "3.1.0"},
                     {"info", {{"title", "Tessera"}, {"version", tessera::version()}}},
                     {"paths", std::move(paths)},
                     {"components", std::move(components)}};
    return boost::json::serialize(doc);
}

}  // namespace tessera::rest
