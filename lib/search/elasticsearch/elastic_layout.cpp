#include "search/elasticsearch/elastic_layout.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <map>

namespace tessera::search::internal {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

bool is_meta_name(std::string_view top) { return top.starts_with("tessera_"); }

std::string_view top_of(std::string_view path) { return path.substr(0, path.find('.')); }

object field_mapping(FieldType type) {
    switch (type) {
        case FieldType::string:
            return object{{"type", "keyword"},
                          {"ignore_above", kKeywordIgnoreAbove},
                          {"fields", object{{kTextSubfield, object{{"type", "text"}, {"analyzer", kTextAnalyzer}}}}}};
        case FieldType::integer: return object{{"type", "long"}};
        case FieldType::number: return object{{"type", "double"}};
        case FieldType::boolean: return object{{"type", "boolean"}};
        case FieldType::date: return object{{"type", "date"}};
    }
    return object{{"type", "keyword"}};
}

// Two collections give one path different types: one ES field must hold both.
FieldType merge(FieldType a, FieldType b) {
    if (a == b) return a;
    if ((a == FieldType::integer || a == FieldType::number) && (b == FieldType::integer || b == FieldType::number)) {
        return FieldType::number;
    }
    return FieldType::string;  // a keyword takes any scalar's text
}

}  // namespace

ElasticLayout::ElasticLayout(Catalog catalog) : catalog_(std::move(catalog)) {
    // Fields: one mapping per path across collections. A path below another collection's scalar
    // ("a" and "a.b") cannot be mapped; the scalar, first in path order, wins.
    std::map<std::string, FieldType> types;
    for (const auto& c : catalog_.collections()) {
        for (const auto& f : c.fields) {
            if (is_meta_name(top_of(f.path))) continue;
            auto [it, inserted] = types.emplace(f.path, f.type);
            if (!inserted) it->second = merge(it->second, f.type);
        }
    }
    for (const auto& entry : types) {
        // (A named reference, not a structured binding: clang 14 cannot capture those.)
        const std::string& path = entry.first;
        const bool under_scalar = std::any_of(mapped_.begin(), mapped_.end(), [&](const auto& m) {
            return path.size() > m.first.size() && path.starts_with(m.first) && path[m.first.size()] == '.';
        });
        if (!under_scalar) mapped_.emplace_back(path, entry.second);
    }

    // Join relations. ES lets each join name have one parent name, so a collection's documents must
    // carry one name to be parents: a collection with two parent collections (membercostshares under
    // plans and planservices) carries "<parent>/<child>" names and cannot parent anything in the join.
    // ES also refuses cycles: an edge back to an ancestor is left out.
    auto parent_in_join = [&](const std::string& child) -> const std::string* {
        for (const auto& e : edges_) {
            if (e.second == child) return &e.first;
        }
        return nullptr;
    };
    for (const auto& parent : catalog_.collections()) {
        if (parent.parents.size() > 1) continue;
        for (const auto& child : parent.children) {
            if (catalog_.find(child) == nullptr) continue;
            bool cycle = child == parent.collection;
            const std::string* up = parent_in_join(parent.collection);
            for (std::size_t hops = 0; up != nullptr && !cycle && hops <= catalog_.collections().size(); ++hops) {
                cycle = *up == child;
                up = parent_in_join(*up);
            }
            if (!cycle) edges_.emplace(parent.collection, child);
        }
    }
}

object ElasticLayout::mappings() const {
    object properties;
    for (const char* meta : {kCollectionField, kIdField, kRootField, kParentField}) {
        properties[meta] = object{{"type", "keyword"}};
    }
    properties[kVersionField] = object{{"type", "long"}};
    for (const auto& [path, type] : mapped_) {
        // "address.city" is the object path address → city.
        object* level = &properties;
        std::string_view rest = path;
        for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
            value& node = (*level)[rest.substr(0, dot)];
            if (!node.is_object()) node = object{{"properties", object{}}};
            level = &node.get_object()["properties"].as_object();
            rest.remove_prefix(dot + 1);
        }
        (*level)[rest] = field_mapping(type);
    }
    if (!edges_.empty()) {
        object relations;
        for (const auto& [parent, child] : edges_) {
            value& children = relations[parent];
            if (!children.is_array()) children = array{};
            children.get_array().push_back(value(catalog_.relation_name(parent, child)));
        }
        properties[kJoinField] = object{{"type", "join"}, {"relations", std::move(relations)}};
    }
    return object{{"dynamic", false}, {"properties", std::move(properties)}};
}

object ElasticLayout::index_body() const {
    // standard tokenizer + lowercase + asciifolding: words split, lower-cased and stripped of
    // diacritics as SQLite's unicode61 (remove_diacritics) does for the embedded index.
    object analyzer{{"type", "custom"}, {"tokenizer", "standard"}, {"filter", array{"lowercase", "asciifolding"}}};
    return object{{"settings", object{{"index", object{{"analysis", object{{"analyzer", object{{kTextAnalyzer, std::move(analyzer)}}}}}}}}},
                  {"mappings", mappings()}};
}

bool ElasticLayout::joins(std::string_view parent, std::string_view child) const {
    return edges_.contains(std::pair<std::string, std::string>(parent, child));
}

std::vector<std::string> ElasticLayout::parent_names(std::string_view collection) const {
    for (const auto& e : edges_) {
        if (e.first == collection) return {e.first};
    }
    return {};
}

std::optional<JoinValue> ElasticLayout::join_value(std::string_view collection, std::string_view parent) const {
    if (!parent.empty()) {
        const std::string_view parent_collection = parent.substr(0, parent.find('/'));
        if (joins(parent_collection, collection)) {
            return JoinValue{catalog_.relation_name(parent_collection, collection), std::string(parent)};
        }
    }
    // A child-relation name needs a parent: an object that is a child in the join but stored as a
    // root (or under a parent the join leaves out) carries no join value unless it only parents.
    const bool is_join_child =
        std::any_of(edges_.begin(), edges_.end(), [&](const auto& e) { return e.second == collection; });
    if (is_join_child) return std::nullopt;
    if (!parent_names(collection).empty()) return JoinValue{std::string(collection), {}};
    return std::nullopt;
}

const Field* ElasticLayout::field(const std::vector<std::string>& collections, std::string_view path) const {
    for (const auto& name : collections) {
        if (const CollectionFields* c = catalog_.find(name)) {
            if (const Field* f = c->find(path)) return f;
        }
    }
    return nullptr;
}

std::optional<FieldType> ElasticLayout::mapped_type(std::string_view path) const {
    for (const auto& [p, type] : mapped_) {
        if (p == path) return type;
    }
    return std::nullopt;
}

std::vector<std::string> ElasticLayout::string_fields(const std::vector<std::string>& collections) const {
    std::set<std::string> out;
    for (const auto& name : collections) {
        if (const CollectionFields* c = catalog_.find(name)) {
            for (const auto& f : c->fields) {
                if (f.type == FieldType::string && mapped_type(f.path) == FieldType::string) out.insert(f.path);
            }
        }
    }
    return {out.begin(), out.end()};
}

}  // namespace tessera::search::internal
