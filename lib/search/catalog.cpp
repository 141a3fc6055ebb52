#include <tessera/search/catalog.hpp>

#include <boost/json/string.hpp>

#include <algorithm>
#include <set>
#include <utility>

namespace tessera::search {
namespace {

using boost::json::object;
using boost::json::value;

constexpr int kMaxNesting = 8;
constexpr int kMaxRefHops = 32;  // $ref chains (and cycles) end here

std::optional<FieldType> scalar_type(const object& schema) {
    const value* type = schema.if_contains("type");
    if (type == nullptr) return std::nullopt;
    std::string_view name;
    if (type->is_string()) {
        name = type->get_string();
    } else if (type->is_array()) {
        // ["string", "null"]: nullable, one type.
        for (const auto& t : type->get_array()) {
            if (!t.is_string() || t.get_string() == "null") continue;
            if (!name.empty()) return std::nullopt;
            name = t.get_string();
        }
    }
    if (name == "string") {
        const value* format = schema.if_contains("format");
        if (format && format->is_string() && (format->get_string() == "date-time" || format->get_string() == "date")) {
            return FieldType::date;
        }
        return FieldType::string;
    }
    if (name == "integer") return FieldType::integer;
    if (name == "number") return FieldType::number;
    if (name == "boolean") return FieldType::boolean;
    return std::nullopt;
}

bool is_object_schema(const object& schema) {
    const value* type = schema.if_contains("type");
    if (type && type->is_string()) return type->get_string() == "object";
    return schema.contains("properties");
}

// Walks one collection's schema, collecting fields and the entity collections it nests.
class Walker {
public:
    Walker(const schema::Registry& registry, const std::set<std::string>& entity_collections, CollectionFields& out)
        : registry_(registry), entity_collections_(entity_collections), out_(out) {}

    void walk(const value& node, const schema::Schema* file, const std::string& path, bool multi, int depth, int hops) {
        if (depth > kMaxNesting || hops > kMaxRefHops || !node.is_object()) return;
        const object& schema = node.get_object();
        if (const value* ref = schema.if_contains("$ref"); ref && ref->is_string()) {
            auto [target, target_file] = resolve(ref->get_string(), file);
            if (target == nullptr) return;
            if (target_file != file && !path.empty() && is_entity(*target_file)) {
                add_child(target_file->annotations().collection);
                return;
            }
            walk(*target, target_file, path, multi, depth, hops + 1);
            return;
        }
        if (const value* all = schema.if_contains("allOf"); all && all->is_array()) {
            for (const auto& part : all->get_array()) walk(part, file, path, multi, depth, hops);
        }
        if (auto type = scalar_type(schema)) {
            const value* one_of = schema.if_contains("enum");
            const bool fixed = schema.contains("const") || (one_of && one_of->is_array() && one_of->get_array().size() == 1);
            if (!path.empty()) add_field(path, *type, multi, !fixed && path != id_field_);
            return;
        }
        if (const value* items = schema.if_contains("items"); items && items->is_object()) {
            walk(*items, file, path, true, depth + 1, hops);
            return;
        }
        if (!is_object_schema(schema)) return;
        const value* properties = schema.if_contains("properties");
        if (properties == nullptr || !properties->is_object()) return;
        for (const auto& [name, sub] : properties->get_object()) {
            const std::string_view key = name;
            // A dot would make the path ambiguous; "$..." members are reserved.
            if (key.empty() || key.find('.') != std::string_view::npos || key.front() == '$') continue;
            walk(sub, file, path.empty() ? std::string(key) : path + "." + std::string(key), multi, depth + 1, hops);
        }
    }

private:
    bool is_entity(const schema::Schema& file) const {
        return entity_collections_.contains(file.annotations().collection);
    }

    // "other.json#/definitions/x", "#/definitions/x", "other.json": the target and its file.
    std::pair<const value*, const schema::Schema*> resolve(std::string_view ref, const schema::Schema* file) const {
        const auto hash = ref.find('#');
        std::string_view file_part = ref.substr(0, hash);
        std::string_view fragment = hash == std::string_view::npos ? std::string_view{} : ref.substr(hash + 1);
        const schema::Schema* target_file = file;
        if (!file_part.empty()) {
            std::string name(file_part);
            if (name.size() > 5 && name.ends_with(".json")) name.resize(name.size() - 5);
            // Relative to the referring file's directory within the registry.
            const std::string& from = file->name();
            if (const auto slash = from.rfind('/'); slash != std::string::npos) name = from.substr(0, slash + 1) + name;
            target_file = registry_.find(name);
            if (target_file == nullptr) return {nullptr, nullptr};
        }
        const value& document = target_file->document();
        if (fragment.empty()) return {&document, target_file};
        boost::system::error_code ec;
        const value* target = document.find_pointer(fragment, ec);
        return {ec ? nullptr : target, target_file};
    }

    void add_field(const std::string& path, FieldType type, bool multi, bool indexed) {
        if (out_.fields.size() >= Catalog::kMaxFields) return;
        for (const auto& f : out_.fields) {
            if (f.path == path) return;  // the first definition wins (allOf repeats)
        }
        out_.fields.push_back(Field{path, type, multi, indexed});
    }

public:
    void set_id_field(std::string field) { id_field_ = std::move(field); }

private:
    std::string id_field_;

    void add_child(const std::string& collection) {
        if (std::find(out_.children.begin(), out_.children.end(), collection) == out_.children.end()) {
            out_.children.push_back(collection);
        }
    }

    const schema::Registry& registry_;
    const std::set<std::string>& entity_collections_;
    CollectionFields& out_;
};

}  // namespace

std::string_view to_string(FieldType type) noexcept {
    switch (type) {
        case FieldType::string: return "string";
        case FieldType::integer: return "integer";
        case FieldType::number: return "number";
        case FieldType::boolean: return "boolean";
        case FieldType::date: return "date";
    }
    return "string";
}

const Field* CollectionFields::find(std::string_view path) const noexcept {
    auto it = std::lower_bound(fields.begin(), fields.end(), path,
                               [](const Field& f, std::string_view p) { return f.path < p; });
    return it != fields.end() && it->path == path ? &*it : nullptr;
}

bool CollectionFields::has_child(std::string_view collection) const noexcept {
    return std::find(children.begin(), children.end(), collection) != children.end();
}

bool CollectionFields::has_parent(std::string_view collection) const noexcept {
    return std::find(parents.begin(), parents.end(), collection) != parents.end();
}

Catalog Catalog::from_registry(const schema::Registry& registry) {
    std::set<std::string> entity_collections;
    for (const auto* schema : registry.schemas()) {
        if (const auto& entities = schema->annotations().entities) {
            for (const auto& [type, collection] : entities->types) entity_collections.insert(collection);
        }
    }
    std::vector<CollectionFields> collections;
    for (const auto* schema : registry.schemas()) {
        CollectionFields fields;
        fields.collection = schema->annotations().collection;
        Walker walker(registry, entity_collections, fields);
        walker.set_id_field(schema->annotations().id.field);
        walker.walk(schema->document(), schema, "", false, 0, 0);
        fields.indexes = schema->annotations().search_indexes;
        collections.push_back(std::move(fields));
    }
    return from_collections(std::move(collections));
}

Catalog Catalog::from_collections(std::vector<CollectionFields> collections) {
    std::sort(collections.begin(), collections.end(),
              [](const CollectionFields& a, const CollectionFields& b) { return a.collection < b.collection; });
    for (auto& c : collections) {
        std::sort(c.fields.begin(), c.fields.end(), [](const Field& a, const Field& b) { return a.path < b.path; });
        std::sort(c.children.begin(), c.children.end());
        c.parents.clear();
    }
    for (const auto& parent : collections) {
        for (const auto& child : parent.children) {
            auto it = std::find_if(collections.begin(), collections.end(),
                                   [&](const CollectionFields& c) { return c.collection == child; });
            if (it != collections.end()) it->parents.push_back(parent.collection);
        }
    }
    for (auto& c : collections) {
        std::sort(c.parents.begin(), c.parents.end());
        std::erase_if(c.indexes, [&](const std::vector<std::string>& index) {
            return std::any_of(index.begin(), index.end(), [&](const std::string& path) {
                const Field* f = c.find(path);
                return f == nullptr || f->multi;
            });
        });
    }
    Catalog catalog;
    catalog.collections_ = std::move(collections);
    return catalog;
}

const CollectionFields* Catalog::find(std::string_view collection) const noexcept {
    auto it = std::lower_bound(collections_.begin(), collections_.end(), collection,
                               [](const CollectionFields& c, std::string_view name) { return c.collection < name; });
    return it != collections_.end() && it->collection == collection ? &*it : nullptr;
}

std::string Catalog::relation_name(std::string_view parent, std::string_view child) const {
    const CollectionFields* c = find(child);
    if (c != nullptr && c->parents.size() == 1) return std::string(child);
    return std::string(parent) + "/" + std::string(child);
}

}  // namespace tessera::search
