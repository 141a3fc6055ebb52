#include "schema/annotations.hpp"

#include "schema/load_error.hpp"
#include <tessera/json/pointer.hpp>

#include <boost/json/object.hpp>

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

namespace tessera::schema {
namespace {

namespace json = boost::json;

constexpr std::string_view kBlock = "x-tessera";

// Walks the block, failing at the first problem with the pointer of the offending value. Every
// accessor takes the pointer of the value it reads, so errors name exactly the place to fix.
class BlockReader {
public:
    explicit BlockReader(std::string_view file) : file_(file) {}

    Error wrong_type(std::string_view pointer, const json::value& value, std::string_view expected) const {
        return load_error(file_, pointer,
                          "expected " + std::string(expected) + ", got " + std::string(kind_name(value)));
    }

    Error invalid(std::string_view pointer, std::string_view message) const {
        return load_error(file_, pointer, message);
    }

    // Requires every key of `object` to be one of `known`.
    Result<void> only_keys(const json::object& object,
                           std::string_view pointer,
                           std::initializer_list<std::string_view> known) const {
        for (const auto& member : object) {
            bool found = false;
            for (const auto key : known) found = found || member.key() == key;
            if (found) continue;
            std::string list;
            for (const auto key : known) list += (list.empty() ? "" : ", ") + std::string(key);
            return invalid(tessera::json::append_token(pointer, member.key()),
                           "unknown key '" + std::string(member.key()) + "' (expected one of: " + list + ")");
        }
        return {};
    }

    Result<const json::object*> object(const json::value& value, std::string_view pointer) const {
        if (!value.is_object()) return wrong_type(pointer, value, "an object");
        return &value.get_object();
    }

    // An object whose keys are all among `known`.
    Result<const json::object*> block(const json::value& value,
                                      std::string_view pointer,
                                      std::initializer_list<std::string_view> known) const {
        auto result = object(value, pointer);
        if (!result) return result;
        if (auto keys = only_keys(**result, pointer, known); !keys) return keys.error();
        return result;
    }

    Result<std::string> string(const json::value& value, std::string_view pointer, bool non_empty) const {
        if (!value.is_string()) return wrong_type(pointer, value, non_empty ? "a non-empty string" : "a string");
        if (non_empty && value.get_string().empty()) return invalid(pointer, "expected a non-empty string");
        return std::string(value.get_string());
    }

    Result<bool> boolean(const json::value& value, std::string_view pointer) const {
        if (!value.is_bool()) return wrong_type(pointer, value, "a boolean");
        return value.get_bool();
    }

private:
    std::string_view file_;
};

Result<IdPolicy> read_id(const BlockReader& reader, const json::value& value, const std::string& pointer) {
    auto object = reader.block(value, pointer, {"field", "generate", "fromUrl"});
    if (!object) return std::move(object).error();
    // An explicit block means "never generate" unless it says how (header: absent = never).
    IdPolicy policy;
    for (const auto& member : **object) {
        const auto at = tessera::json::append_token(pointer, member.key());
        if (member.key() == "field") {
            auto field = reader.string(member.value(), at, false);
            if (!field) return std::move(field).error();
            policy.field = std::move(*field);
        } else if (member.key() == "generate") {
            auto format = reader.string(member.value(), at, true);
            if (!format) return std::move(format).error();
            if (*format == "uuid4") {
                policy.generate = IdFormat::uuid4;
            } else if (*format == "uuid7") {
                policy.generate = IdFormat::uuid7;
            } else if (*format == "hex32") {
                policy.generate = IdFormat::hex32;
            } else {
                return reader.invalid(at, "unknown id format '" + *format + "' (expected uuid4, uuid7 or hex32)");
            }
        } else {
            auto from_url = reader.boolean(member.value(), at);
            if (!from_url) return std::move(from_url).error();
            policy.from_url = *from_url;
        }
    }
    return policy;
}

Result<TtlPolicy> read_ttl(const BlockReader& reader, const json::value& value, const std::string& pointer) {
    auto object = reader.block(value, pointer, {"field", "default"});
    if (!object) return std::move(object).error();
    TtlPolicy policy;
    for (const auto& member : **object) {
        const auto at = tessera::json::append_token(pointer, member.key());
        if (member.key() == "field") {
            auto field = reader.string(member.value(), at, true);
            if (!field) return std::move(field).error();
            policy.field = std::move(*field);
        } else {
            policy.default_ttl = parse_duration(member.value());
            if (!policy.default_ttl) {
                return reader.invalid(at,
                                      "expected a positive duration: \"30d\", \"12h\", \"90m\", \"45s\" or a "
                                      "whole number of seconds");
            }
        }
    }
    return policy;
}

Result<EntityPolicy> read_entities(const BlockReader& reader, const json::value& value, const std::string& pointer) {
    auto object = reader.block(value, pointer, {"idField", "typeField", "types"});
    if (!object) return std::move(object).error();
    EntityPolicy policy;
    for (const auto& member : **object) {
        const auto at = tessera::json::append_token(pointer, member.key());
        if (member.key() == "types") {
            auto types = reader.object(member.value(), at);
            if (!types) return std::move(types).error();
            for (const auto& type : **types) {
                const auto type_at = tessera::json::append_token(at, type.key());
                auto collection = reader.string(type.value(), type_at, true);
                if (!collection) return std::move(collection).error();
                if (!is_collection_name(*collection)) return reader.invalid(type_at, std::string(kCollectionNameRule));
                policy.types.emplace(std::string(type.key()), std::move(*collection));
            }
            continue;
        }
        auto field = reader.string(member.value(), at, true);
        if (!field) return std::move(field).error();
        (member.key() == "idField" ? policy.id_field : policy.type_field) = std::move(*field);
    }
    return policy;
}

Result<std::vector<std::string>> read_routes(const BlockReader& reader,
                                             const json::value& value,
                                             const std::string& pointer) {
    if (!value.is_array()) return reader.wrong_type(pointer, value, "an array of path prefixes");
    std::vector<std::string> routes;
    const auto& array = value.get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
        const auto at = tessera::json::append_token(pointer, std::to_string(i));
        auto route = reader.string(array[i], at, true);
        if (!route) return std::move(route).error();
        if (route->front() != '/') return reader.invalid(at, "a route must start with '/'");
        routes.push_back(std::move(*route));
    }
    return routes;
}

// "search": {"indexes": [["planType", "creationDate"], ...]}: composite indexes of the embedded
// search index (each a list of dotted field paths; the catalog checks them against the fields).
Result<std::vector<std::vector<std::string>>> read_search(const BlockReader& reader,
                                                          const json::value& value,
                                                          const std::string& pointer) {
    auto object = reader.block(value, pointer, {"indexes"});
    if (!object) return std::move(object).error();
    std::vector<std::vector<std::string>> indexes;
    const auto* list = (*object)->if_contains("indexes");
    if (list == nullptr) return indexes;
    const auto list_at = tessera::json::append_token(pointer, "indexes");
    if (!list->is_array() || list->get_array().size() > 16) {
        return reader.wrong_type(list_at, *list, "an array of at most 16 indexes");
    }
    for (std::size_t i = 0; i < list->get_array().size(); ++i) {
        const auto at = tessera::json::append_token(list_at, std::to_string(i));
        const auto& fields = list->get_array()[i];
        if (!fields.is_array() || fields.get_array().empty() || fields.get_array().size() > 8) {
            return reader.wrong_type(at, fields, "an array of 1 to 8 field paths");
        }
        std::vector<std::string> index;
        for (std::size_t k = 0; k < fields.get_array().size(); ++k) {
            auto field = reader.string(fields.get_array()[k], tessera::json::append_token(at, std::to_string(k)), true);
            if (!field) return std::move(field).error();
            index.push_back(std::move(*field));
        }
        indexes.push_back(std::move(index));
    }
    return indexes;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(const json::value& value) {
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    if (value.is_int64()) {
        if (value.get_int64() <= 0) return std::nullopt;
        return std::chrono::seconds(value.get_int64());
    }
    if (value.is_uint64()) return std::nullopt;  // beyond int64: no sensible duration
    if (!value.is_string()) return std::nullopt;
    const std::string_view text = value.get_string();
    if (text.size() < 2) return std::nullopt;
    std::int64_t count = 0;
    const auto digits = text.substr(0, text.size() - 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc{} || end != digits.data() + digits.size() || count <= 0) return std::nullopt;
    std::int64_t unit = 0;
    switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return std::nullopt;
    }
    if (count > kMax / unit) return std::nullopt;
    return std::chrono::seconds(count * unit);
}

bool is_collection_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    // '_' starts the internal collections (_links, _idempotency, _deadletters); '.' would make a
    // route segment that URL normalisation removes.
    if (name.front() == '_' || name.front() == '.') return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

Result<Annotations> parse_annotations(const json::value& schema, std::string_view name, std::string_view file) {
    Annotations annotations;
    annotations.collection = std::string(name);
    annotations.id.generate = IdFormat::uuid4;  // header: default "from URL, else uuid4, not in the body"

    const auto* root = schema.if_object();
    const auto* block = root ? root->if_contains(kBlock) : nullptr;
    if (block == nullptr) return annotations;

    const BlockReader reader(file);
    const std::string pointer = tessera::json::append_token("", kBlock);
    auto object =
        reader.block(*block, pointer, {"collection", "routes", "id", "ttl", "requireIfMatch", "entities", "expose", "search"});
    if (!object) return std::move(object).error();

    for (const auto& member : **object) {
        const auto key = member.key();
        const auto& value = member.value();
        const auto at = tessera::json::append_token(pointer, key);
        if (key == "collection") {
            auto collection = reader.string(value, at, true);
            if (!collection) return std::move(collection).error();
            if (!is_collection_name(*collection)) return reader.invalid(at, std::string(kCollectionNameRule));
            annotations.collection = std::move(*collection);
        } else if (key == "routes") {
            auto routes = read_routes(reader, value, at);
            if (!routes) return std::move(routes).error();
            annotations.routes = std::move(*routes);
        } else if (key == "id") {
            auto id = read_id(reader, value, at);
            if (!id) return std::move(id).error();
            annotations.id = std::move(*id);
        } else if (key == "ttl") {
            auto ttl = read_ttl(reader, value, at);
            if (!ttl) return std::move(ttl).error();
            annotations.ttl = std::move(*ttl);
        } else if (key == "entities") {
            auto entities = read_entities(reader, value, at);
            if (!entities) return std::move(entities).error();
            annotations.entities = std::move(*entities);
        } else if (key == "search") {
            auto indexes = read_search(reader, value, at);
            if (!indexes) return std::move(indexes).error();
            annotations.search_indexes = std::move(*indexes);
        } else {
            auto flag = reader.boolean(value, at);
            if (!flag) return std::move(flag).error();
            (key == "expose" ? annotations.expose : annotations.require_if_match) = *flag;
        }
    }
    return annotations;
}

}  // namespace tessera::schema
