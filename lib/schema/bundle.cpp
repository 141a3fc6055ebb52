#include "schema/bundle.hpp"

#include "schema/formats.hpp"
#include "schema/load_error.hpp"
#include "schema/metaschemas.hpp"
#include <tessera/json/pointer.hpp>
#include "schema/schema_file.hpp"
#include "schema/uri.hpp"

#include <tessera/json/parse.hpp>

#include <boost/json/object.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <utility>

namespace tessera::schema {

namespace bj = boost::json;

struct DocumentSet::Document {
    bj::value root;
    std::string uri;   // retrieval URI, normalised, no fragment
    std::string file;  // names the document in errors
    Draft draft = Draft::draft7;
};

namespace {

constexpr std::string_view kRefsKey = "$tessera-refs";
constexpr std::string_view kChecksKey = "$tessera-checks";
constexpr std::string_view kRefsPrefix = "#/$tessera-refs/";

// How a keyword holds subschemas.
enum class Child { none, schema, items, schema_array, schema_map };

Child classify(std::string_view key, Draft draft) noexcept {
    if (key == "additionalItems" || key == "additionalProperties" || key == "not") return Child::schema;
    if (draft == Draft::draft7 &&
        (key == "contains" || key == "propertyNames" || key == "if" || key == "then" || key == "else")) {
        return Child::schema;
    }
    if (key == "items") return Child::items;
    if (key == "allOf" || key == "anyOf" || key == "oneOf") return Child::schema_array;
    if (key == "properties" || key == "patternProperties" || key == "definitions" || key == "dependencies") {
        return Child::schema_map;
    }
    return Child::none;
}

// Calls visit(child, relative_pointer) for each subschema position directly under `schema`. Only
// these positions are schemas: a "$ref" or "$id" anywhere else (an enum value, a property named
// "$ref") is data. Malformed containers are skipped here; the meta-schema check reports them.
template <class Value, class Visit>
Result<void> for_each_subschema(Value& schema, Draft draft, Visit&& visit) {
    auto* object = schema.if_object();
    if (object == nullptr) return {};
    for (auto& member : *object) {
        const std::string_view key = member.key();
        auto& child = member.value();
        const std::string at = tessera::json::append_token("", key);
        const Child kind = classify(key, draft);
        if (kind == Child::none) continue;
        if (kind == Child::schema || (kind == Child::items && !child.is_array())) {
            if (auto result = visit(child, at); !result) return result;
            continue;
        }
        if (kind == Child::items || kind == Child::schema_array) {
            if (auto* array = child.if_array()) {
                for (std::size_t i = 0; i < array->size(); ++i) {
                    if (auto result = visit((*array)[i], at + "/" + std::to_string(i)); !result) return result;
                }
            }
            continue;
        }
        if (auto* map = child.if_object()) {
            for (auto& entry : *map) {
                // dependencies: an array lists property names; only other values are schemas.
                if (key == "dependencies" && entry.value().is_array()) continue;
                if (auto result = visit(entry.value(), tessera::json::append_token(at, entry.key())); !result) return result;
            }
        }
    }
    return {};
}

std::string_view id_keyword(Draft draft) noexcept {
    return draft == Draft::draft4 ? "id" : "$id";
}

Result<Draft> draft_of(const bj::value& root, Draft fallback, std::string_view file) {
    const auto* object = root.if_object();
    const auto* declared = object ? object->if_contains("$schema") : nullptr;
    if (declared == nullptr) return fallback;
    if (!declared->is_string()) return load_error(file, "/$schema", "expected a string");
    std::string_view uri = declared->get_string();
    if (uri.ends_with('#')) uri.remove_suffix(1);
    if (const auto builtin = builtin_metaschema(uri)) return *builtin;
    // Draft-06 is draft-07 minus if/then/else (which it would ignore); close enough to compile it as 07.
    if (uri == "http://json-schema.org/draft-06/schema" || uri == "https://json-schema.org/draft-06/schema") {
        return Draft::draft7;
    }
    return load_error(file, "/$schema",
                      "unsupported $schema '" + std::string(declared->get_string()) +
                          "' (supported: draft-04, draft-06 and draft-07)");
}

const bj::value* child_of(const bj::value& node, const std::string& token) {
    if (const auto* object = node.if_object()) return object->if_contains(token);
    if (const auto* array = node.if_array()) {
        std::size_t index = 0;
        const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
        if (ec != std::errc{} || end != token.data() + token.size() || index >= array->size()) return nullptr;
        return &(*array)[index];
    }
    return nullptr;
}

// The base URI inside `node` given the base around it: its `$id`, unless a `$ref` beside it makes
// the `$id` meaningless (draft-07 §8.3: all other properties of a "$ref" object are ignored).
std::string scope_of(const bj::value& node, Draft draft, const std::string& base) {
    const auto* object = node.if_object();
    if (object == nullptr || object->contains("$ref")) return base;
    const auto* id = object->if_contains(id_keyword(draft));
    if (id == nullptr || !id->is_string()) return base;
    const auto [uri, fragment] = split_fragment(id->get_string());
    if (uri.empty()) return base;
    return resolve_uri(base, uri).value_or(base);
}

Result<unsigned> parse_types(const bj::value& value, std::string_view file, const std::string& pointer) {
    const auto bit = [](std::string_view name) -> unsigned {
        if (name == "null") return kNullBit;
        if (name == "boolean") return kBooleanBit;
        if (name == "integer") return kIntegerBit;
        if (name == "number") return kNumberBit;
        if (name == "string") return kStringBit;
        if (name == "array") return kArrayBit;
        if (name == "object") return kObjectBit;
        return 0;
    };
    const auto one = [&](const bj::value& name, const std::string& at) -> Result<unsigned> {
        if (!name.is_string()) return load_error(file, at, "expected a type name, got " + std::string(kind_name(name)));
        const unsigned flag = bit(name.get_string());
        if (flag == 0) return load_error(file, at, "unknown type '" + std::string(name.get_string()) + "'");
        return flag;
    };
    if (!value.is_array()) return one(value, pointer);
    unsigned mask = 0;
    const auto& names = value.get_array();
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto flag = one(names[i], pointer + "/" + std::to_string(i));
        if (!flag) return std::move(flag).error();
        mask |= *flag;
    }
    return mask;
}

std::optional<Number> to_number(const bj::value& value) {
    Number number;
    char buffer[32];
    if (value.is_int64()) {
        number.integer = value.get_int64();
        number.value = static_cast<double>(value.get_int64());
        number.text = std::to_string(value.get_int64());
        return number;
    }
    if (!value.is_number()) return std::nullopt;
    number.value = value.to_number<double>();
    if (std::isfinite(number.value) && std::trunc(number.value) == number.value && std::fabs(number.value) < 9.0e18) {
        number.integer = static_cast<std::int64_t>(number.value);
    }
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, number.value);
    number.text.assign(buffer, ec == std::errc{} ? end : buffer);
    return number;
}

// Doubles with an integral value become int64 (valijson reads "maxLength": 2.0 as "not an integer").
void normalise_numbers(bj::value& value) {
    if (value.is_double()) {
        const double d = value.get_double();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e18) value = static_cast<std::int64_t>(d);
    } else if (auto* array = value.if_array()) {
        for (auto& item : *array) normalise_numbers(item);
    } else if (auto* object = value.if_object()) {
        for (auto& member : *object) normalise_numbers(member.value());
    }
}

}  // namespace

struct DocumentSet::BundleState {
    std::size_t main = 0;
    bj::object refs;                                                     // "<n>" -> bundled subschema
    std::map<Location, std::string> hoisted;                             // target -> "<n>"
    std::map<std::string, std::pair<std::string, std::string>> origins;  // "<n>" -> (file, pointer of its $ref)
    struct Pending {
        std::string key;
        Location target;
        std::string ref;
    };
    std::deque<Pending> pending;
    std::vector<std::shared_ptr<const Checks>> checks;
    std::map<std::string, std::shared_ptr<const std::regex>> regexes;  // one compile per source text

    std::string new_slot() {
        std::string key = std::to_string(refs.size());
        refs[key] = nullptr;
        return key;
    }
};

DocumentSet::DocumentSet(RegistryOptions options, std::vector<std::filesystem::path> file_roots)
    : options_(std::move(options)), file_roots_(std::move(file_roots)) {
    // Prefixes are compared with normalised URIs ("HTTP://Host/" is "http://host/").
    for (auto& [prefix, directory] : options_.uri_mappings) {
        if (auto normalised = resolve_uri(prefix, "")) prefix = std::move(*normalised);
    }
}

DocumentSet::~DocumentSet() = default;

const bj::value& DocumentSet::root(std::size_t document) const {
    return documents_.at(document)->root;
}
Draft DocumentSet::draft(std::size_t document) const {
    return documents_.at(document)->draft;
}
const std::string& DocumentSet::file(std::size_t document) const {
    return documents_.at(document)->file;
}

Result<std::size_t> DocumentSet::add(bj::value root, std::string_view uri, std::string file) {
    auto draft = draft_of(root, options_.default_draft, file);
    if (!draft) return std::move(draft).error();
    auto normalised = resolve_uri(uri, "");
    if (!normalised) return load_error(file, "", "not an absolute URI: '" + std::string(uri) + "'");

    auto document = std::make_unique<Document>();
    document->root = std::move(root);
    document->uri = std::move(*normalised);
    document->file = std::move(file);
    document->draft = *draft;
    const std::size_t index = documents_.size();
    documents_.push_back(std::move(document));
    const Document& added = *documents_.back();

    if (auto result = register_uri(resources_, added.uri, {index, ""}, ""); !result) return result.error();
    if (auto result = this->index(index, added.root, "", added.uri); !result) return result.error();
    return index;
}

Result<void> DocumentSet::register_uri(std::map<std::string, Location>& table,
                                       const std::string& uri,
                                       Location location,
                                       std::string_view pointer_of_id) {
    const auto [it, inserted] = table.emplace(uri, location);
    if (inserted || it->second == location) return {};
    const Document& other = *documents_[it->second.document];
    return load_error(documents_[location.document]->file, pointer_of_id,
                      "duplicate schema URI '" + uri + "' (also " + other.file + "#" + it->second.pointer + ")");
}

Result<void> DocumentSet::index(std::size_t document,
                                const bj::value& node,
                                const std::string& pointer,
                                const std::string& base) {
    const Draft draft = documents_[document]->draft;
    std::string scope = base;
    const auto* object = node.if_object();
    const auto* id = (object && !object->contains("$ref")) ? object->if_contains(id_keyword(draft)) : nullptr;
    if (id != nullptr && id->is_string()) {
        const std::string id_pointer = tessera::json::append_token(pointer, id_keyword(draft));
        const auto [uri, fragment] = split_fragment(id->get_string());
        if (!uri.empty()) {
            auto resolved = resolve_uri(base, uri);
            if (!resolved) {
                return load_error(documents_[document]->file, id_pointer,
                                  "malformed URI '" + std::string(id->get_string()) + "'");
            }
            scope = std::move(*resolved);
            if (auto result = register_uri(resources_, scope, {document, pointer}, id_pointer); !result) return result;
        }
        // "$id": "#name" names a location-independent anchor within the current base (draft-07 §8.2.3).
        if (!fragment.empty() && fragment.front() != '/') {
            const std::string anchor = scope + "#" + percent_decode(fragment);
            if (auto result = register_uri(anchors_, anchor, {document, pointer}, id_pointer); !result) return result;
        }
    }
    return for_each_subschema(node, draft, [&](const bj::value& child, std::string_view at) {
        return this->index(document, child, pointer + std::string(at), scope);
    });
}

Result<bool> DocumentSet::load(const std::string& uri) {
    if (!attempted_.insert(uri).second) return false;

    if (const auto draft = builtin_metaschema(uri)) {
        // One copy however it is spelled (https, or http): a second would repeat the same `$id`.
        const std::string canonical(metaschema_uri(*draft));
        if (!resources_.contains(canonical)) {
            auto root = json::parse(metaschema_text(*draft));
            if (!root) return std::move(root).error();
            auto added = add(std::move(*root), canonical, "<" + canonical + ">");
            if (!added) return std::move(added).error();
        }
        resources_.emplace(uri, resources_.at(canonical));
        return true;
    }

    std::optional<std::filesystem::path> path;
    for (const auto& [prefix, directory] : options_.uri_mappings) {
        if (!uri.starts_with(prefix)) continue;
        auto candidate = directory / percent_decode(std::string_view(uri).substr(prefix.size()));
        if (is_inside(candidate, directory)) path = std::move(candidate);
        break;
    }
    if (!path) {
        // file: URIs are read only inside the directories this set was opened on, so a `$ref` cannot
        // reach arbitrary files ("../../etc/passwd").
        auto local = file_path(uri);
        if (local) {
            for (const auto& root : file_roots_) {
                if (is_inside(*local, root)) path = std::move(local);
                if (path) break;
            }
        }
    }
    if (!path) return false;
    auto root = read_schema_file(*path, path->string());
    if (!root) {
        if (root.error().code() == ErrorCode::not_found) return false;
        return std::move(root).error();
    }
    auto added = add(std::move(*root), uri, path->string());
    if (!added) return std::move(added).error();
    return true;
}

Result<std::optional<DocumentSet::Location>> DocumentSet::lookup(const std::string& uri, std::string_view fragment) {
    auto it = resources_.find(uri);
    if (it == resources_.end()) {
        auto loaded = load(uri);
        if (!loaded) return std::move(loaded).error();
        it = resources_.find(uri);
        if (it == resources_.end()) return std::optional<Location>();
    }
    // RFC 6901 §6: a fragment is %-decoded, then read as a JSON Pointer if it starts with '/'.
    const std::string decoded = percent_decode(fragment);
    if (decoded.empty()) return std::optional<Location>(it->second);
    if (decoded.front() == '/')
        return std::optional<Location>(Location{it->second.document, it->second.pointer + decoded});
    const auto anchor = anchors_.find(uri + "#" + decoded);
    if (anchor == anchors_.end()) return std::optional<Location>();
    return std::optional<Location>(anchor->second);
}

Result<DocumentSet::Location> DocumentSet::resolve_ref(std::string_view ref,
                                                       const std::string& base,
                                                       std::size_t from,
                                                       const std::string& ref_pointer) {
    const Document& document = *documents_[from];
    const auto [uri_part, fragment] = split_fragment(ref);
    const auto unresolvable = [&](std::string_view why) {
        return load_error(document.file, ref_pointer,
                          "unresolvable $ref '" + std::string(ref) + "': " + std::string(why));
    };

    auto uri = uri_part.empty() ? std::optional<std::string>(base) : resolve_uri(base, uri_part);
    if (!uri) return unresolvable("malformed URI");
    auto found = lookup(*uri, fragment);
    if (!found) return std::move(found).error();
    if (!*found && !uri_part.empty() && !has_scheme(uri_part)) {
        // A schema with an http `$id` may still name its sibling files ("service.json"): try the
        // reference against the file's own location too.
        auto sibling = resolve_uri(document.uri, uri_part);
        if (sibling && *sibling != *uri) {
            found = lookup(*sibling, fragment);
            if (!found) return std::move(found).error();
        }
    }
    if (!*found)
        return unresolvable("no schema has the URI '" + *uri + (fragment.empty() ? "" : "#" + std::string(fragment)) +
                            "'");

    const Location& target = **found;
    std::error_code ec;
    if (documents_[target.document]->root.find_pointer(target.pointer, ec) == nullptr) {
        return unresolvable("nothing at '" + target.pointer + "' in " + documents_[target.document]->file);
    }
    return target;
}

std::string DocumentSet::base_at(const Location& location) const {
    const Document& document = *documents_[location.document];
    std::string base = document.uri;
    const bj::value* node = &document.root;
    // Which of the path's nodes are schemas decides whose `$id` counts; the target's own `$id` is
    // applied when the target itself is rewritten.
    enum class At { schema, container, data } at = At::schema;
    bool in_dependencies = false;
    for (const auto& token : tessera::json::parse_pointer(location.pointer).value_or(std::vector<std::string>{})) {
        At next = At::data;
        if (at == At::schema) {
            base = scope_of(*node, document.draft, base);
            const Child kind = classify(token, document.draft);
            in_dependencies = token == "dependencies";
            node = child_of(*node, token);
            if (node == nullptr) break;
            if (kind == Child::schema || (kind == Child::items && !node->is_array())) next = At::schema;
            if (kind == Child::schema_array || kind == Child::schema_map ||
                (kind == Child::items && node->is_array())) {
                next = At::container;
            }
        } else {
            node = child_of(*node, token);
            if (node == nullptr) break;
            if (at == At::container && !(in_dependencies && node->is_array())) next = At::schema;
        }
        at = next;
    }
    return base;
}

Result<void> DocumentSet::extract_checks(bj::object& schema,
                                         std::size_t document,
                                         const std::string& pointer,
                                         BundleState& state) {
    const std::string& file = documents_[document]->file;
    Checks checks;
    bool any = false;
    const auto expected = [&](std::string_view keyword, std::string_view what, const bj::value& got) {
        return load_error(file, tessera::json::append_token(pointer, keyword),
                          "expected " + std::string(what) + ", got " + std::string(kind_name(got)));
    };

    const auto compile = [&](const bj::value& source, const std::string& at) -> Result<Pattern> {
        if (!source.is_string())
            return load_error(file, at, "expected a string, got " + std::string(kind_name(source)));
        const std::string text(source.get_string());
        auto& regex = state.regexes[text];
        if (!regex) {
            try {
                regex = std::make_shared<const std::regex>(text, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                state.regexes.erase(text);
                return load_error(file, at, "invalid regular expression '" + text + "': " + e.what());
            }
        }
        return Pattern{text, regex};
    };

    if (const auto* type = schema.if_contains("type")) {
        auto mask = parse_types(*type, file, tessera::json::append_token(pointer, "type"));
        if (!mask) return std::move(mask).error();
        checks.types = *mask;
        schema.erase("type");
        any = true;
    }
    if (const auto* format = schema.if_contains("format")) {
        if (!format->is_string()) return expected("format", "a string", *format);
        if (is_asserted_format(format->get_string())) {
            checks.format = std::string(format->get_string());
            any = true;
        }
        schema.erase("format");  // valijson's own format check throws on non-strings
    }
    if (const auto* pattern = schema.if_contains("pattern")) {
        auto compiled = compile(*pattern, tessera::json::append_token(pointer, "pattern"));
        if (!compiled) return std::move(compiled).error();
        checks.pattern = std::move(*compiled);
        schema.erase("pattern");
        any = true;
    }
    for (const auto& [keyword, slot] :
         {std::pair{"minimum", &checks.minimum}, std::pair{"maximum", &checks.maximum},
          std::pair{"exclusiveMinimum", &checks.exclusive_minimum},
          std::pair{"exclusiveMaximum", &checks.exclusive_maximum}, std::pair{"multipleOf", &checks.multiple_of}}) {
        const auto* bound = schema.if_contains(keyword);
        if (bound == nullptr) continue;
        *slot = to_number(*bound);
        if (!*slot) return expected(keyword, "a number", *bound);
        if (std::string_view(keyword) == "multipleOf" && (*slot)->value <= 0) {
            return load_error(file, tessera::json::append_token(pointer, keyword), "expected a number greater than 0");
        }
        schema.erase(keyword);
        any = true;
    }
    if (const auto* constant = schema.if_contains("const")) {
        checks.constant = *constant;
        schema.erase("const");
        any = true;
    }
    if (const auto* allowed = schema.if_contains("enum")) {
        if (!allowed->is_array()) return expected("enum", "an array", *allowed);
        checks.allowed = allowed->get_array();
        schema.erase("enum");
        any = true;
    }
    std::vector<Pattern> property_patterns;
    if (const auto* patterns = schema.if_contains("patternProperties"); patterns && patterns->is_object()) {
        const std::string at = tessera::json::append_token(pointer, "patternProperties");
        for (const auto& member : patterns->get_object()) {
            auto compiled = compile(bj::value(member.key()), tessera::json::append_token(at, member.key()));
            if (!compiled) return std::move(compiled).error();
            property_patterns.push_back(std::move(*compiled));
        }
    }
    if (const auto* additional = schema.if_contains("additionalProperties");
        additional && additional->is_bool() && !additional->get_bool()) {
        Checks::Closed closed;
        if (const auto* properties = schema.if_contains("properties"); properties && properties->is_object()) {
            for (const auto& member : properties->get_object()) closed.names.emplace(member.key());
        }
        closed.patterns = std::move(property_patterns);
        checks.closed = std::move(closed);
        schema.erase("additionalProperties");
        any = true;
    }
    if (any) {
        schema[kChecksKey] = static_cast<std::int64_t>(state.checks.size());
        state.checks.push_back(std::make_shared<const Checks>(std::move(checks)));
    }
    return {};
}

Result<void> DocumentSet::rewrite(
    bj::value& node, std::size_t document, const std::string& pointer, const std::string& base, BundleState& state) {
    const Document& source = *documents_[document];
    if (node.is_bool()) return {};
    auto* object = node.if_object();
    if (object == nullptr) {
        return load_error(source.file, pointer,
                          "expected a schema (an object or a boolean), got " + std::string(kind_name(node)));
    }

    if (const auto* ref = object->if_contains("$ref")) {
        const std::string ref_pointer = tessera::json::append_token(pointer, "$ref");
        if (!ref->is_string())
            return load_error(source.file, ref_pointer, "expected a string, got " + std::string(kind_name(*ref)));
        auto target = resolve_ref(ref->get_string(), base, document, ref_pointer);
        if (!target) return std::move(target).error();
        std::string local = "#";
        if (!(target->document == state.main && target->pointer.empty())) {
            auto [it, inserted] = state.hoisted.emplace(*target, std::string());
            if (inserted) {
                it->second = state.new_slot();
                state.origins[it->second] = {source.file, ref_pointer};
                state.pending.push_back({it->second, *target, std::string(ref->get_string())});
            }
            local = std::string(kRefsPrefix) + it->second;
        }
        // Siblings of $ref are ignored (draft-07 §8.3), so they are dropped rather than left for valijson.
        node = bj::object{{"$ref", local}};
        return {};
    }

    const std::string scope = scope_of(node, source.draft, base);
    // Resolution is done; an `id`/`$id` left in place would only make valijson change scope. Our own
    // keywords are reserved: a schema that spells them means nothing by them to JSON Schema.
    object->erase("$id");
    object->erase("id");
    object->erase(kChecksKey);
    object->erase(kRefsKey);

    if (source.draft == Draft::draft4) {
        // Compiled as draft-07 (one parser mode): keywords draft-04 does not have are ignored, as
        // draft-04 ignores unknown keywords, and boolean exclusive bounds become numeric ones.
        for (const auto* keyword : {"if", "then", "else", "propertyNames", "contains", "const"}) object->erase(keyword);
        for (const auto& [exclusive, bound] :
             {std::pair{"exclusiveMaximum", "maximum"}, std::pair{"exclusiveMinimum", "minimum"}}) {
            const auto* flag = object->if_contains(exclusive);
            if (flag == nullptr) continue;
            const std::string at = tessera::json::append_token(pointer, exclusive);
            if (!flag->is_bool()) return load_error(source.file, at, "expected a boolean (draft-04)");
            if (!flag->get_bool()) {
                object->erase(exclusive);
                continue;
            }
            const auto* limit = object->if_contains(bound);
            if (limit == nullptr) return load_error(source.file, at, std::string(exclusive) + " requires " + bound);
            bj::value value = *limit;  // copied first: assigning into the object may move its members
            (*object)[exclusive] = std::move(value);
            object->erase(bound);
        }
    }

    if (auto result = extract_checks(*object, document, pointer, state); !result) return result;

    auto children = for_each_subschema(node, source.draft, [&](bj::value& child, std::string_view at) {
        return rewrite(child, document, pointer + std::string(at), scope, state);
    });
    if (!children) return children;

    // valijson gives a propertyNames subschema the cache key of its parent, so a parent reached through
    // a $ref would validate the names against itself; behind a $ref of its own it gets its own key.
    if (auto* names = object->if_contains("propertyNames")) {
        const std::string key = state.new_slot();
        state.refs[key] = std::move(*names);
        *names = bj::object{{"$ref", std::string(kRefsPrefix) + key}};
    }
    return {};
}

Result<void> DocumentSet::check_cycles(const BundleState& state, const bj::value& root) const {
    // A chain of pure $ref nodes that comes back to itself never reaches a constraint; valijson
    // would recurse until the stack overflows.
    const auto next = [&](const bj::value& node) -> const bj::value* {
        const auto* object = node.if_object();
        const auto* ref = object ? object->if_contains("$ref") : nullptr;
        if (ref == nullptr) return nullptr;
        const std::string_view local = ref->get_string();
        if (local == "#") return &root;
        return state.refs.if_contains(local.substr(kRefsPrefix.size()));
    };
    const auto circular = [&](const bj::value& start) {
        std::size_t steps = 0;
        for (const bj::value* node = &start; node != nullptr; node = next(*node)) {
            if (++steps > state.refs.size() + 2) return true;
        }
        return false;
    };
    constexpr std::string_view kCircular = "circular $ref: the chain of references never reaches a schema";
    if (circular(root)) return load_error(documents_[state.main]->file, "/$ref", kCircular);
    for (const auto& [key, value] : state.refs) {
        if (!circular(value)) continue;
        const auto& [file, pointer] = state.origins.at(std::string(key));
        return load_error(file, pointer, kCircular);
    }
    return {};
}

Result<Bundle> DocumentSet::bundle(std::size_t document) {
    BundleState state;
    state.main = document;
    Bundle bundle;
    bundle.document = documents_.at(document)->root;
    if (auto result = rewrite(bundle.document, document, "", documents_[document]->uri, state); !result) {
        return std::move(result).error();
    }
    // Targets are copied from the original documents and rewritten in their own context (their file,
    // draft and base URI); a queue rather than recursion keeps long ref chains off the stack.
    while (!state.pending.empty()) {
        auto pending = std::move(state.pending.front());
        state.pending.pop_front();
        std::error_code ec;
        bj::value copy = *documents_[pending.target.document]->root.find_pointer(pending.target.pointer, ec);
        if (auto result =
                rewrite(copy, pending.target.document, pending.target.pointer, base_at(pending.target), state);
            !result) {
            return std::move(result).error();
        }
        state.refs[pending.key] = std::move(copy);
    }
    if (auto result = check_cycles(state, bundle.document); !result) return std::move(result).error();
    if (!state.refs.empty()) bundle.document.as_object()[kRefsKey] = std::move(state.refs);
    normalise_numbers(bundle.document);
    bundle.checks = std::move(state.checks);
    return bundle;
}

}  // namespace tessera::schema
