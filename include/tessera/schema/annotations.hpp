#pragma once
/// @file tessera/schema/annotations.hpp
/// @brief The typed form of a schema's `x-tessera` annotation block.
///
/// Example (seed 000's plan):
/// ```json
/// "x-tessera": {"collection": "plans", "id": {"field": "objectId"}, "requireIfMatch": false,
///               "entities": {"idField": "objectId", "typeField": "objectType",
///                            "types": {"service": "services", "planservice": "planservices"}}}
/// ```
/// Unknown keys anywhere in the block are a load-time error naming the file and the JSON Pointer.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::schema {

/// How generated ids look.
enum class IdFormat {
    uuid4,  ///< Random UUID, lower-case with hyphens.
    uuid7,  ///< Time-ordered UUID (RFC 9562), lower-case with hyphens.
    hex32,  ///< 32 upper-case hex digits (seed 002's GUIDs).
};

/// Where a document's id comes from. Order of precedence on create: the body `field` (if set and
/// present), then the id in the URL (`POST /api/<c>/{id}`, if `from_url`), then a generated one (if
/// `generate`); otherwise the create is `invalid`. When `field` is set, the chosen id is written into
/// the body at that member, so the stored document always carries it.
struct IdPolicy {
    std::string field;                  ///< `"field"`: body member holding the id; "" = not in the body.
    std::optional<IdFormat> generate;   ///< `"generate"`: "uuid4" | "uuid7" | "hex32"; absent = never.
    bool from_url = true;               ///< `"fromUrl"`: the URL may name the id. Default true.

    friend bool operator==(const IdPolicy&, const IdPolicy&) = default;
};

/// Document expiry (seed 002: `expire` defaults to now + 30 days; expired = gone).
struct TtlPolicy {
    std::string field;  ///< `"field"`: body member with an RFC 3339 expiry time; "" = none.
    std::optional<std::chrono::seconds> default_ttl;  ///< `"default"`: "30d" | "12h" | "90m" | "45s" | seconds.

    friend bool operator==(const TtlPolicy&, const TtlPolicy&) = default;
};

/// Which nested objects of a document are entities stored on their own (seed 000's object graph).
/// A nested object is an entity if it has `type_field` with a value listed in `types`.
struct EntityPolicy {
    std::string id_field = "objectId";      ///< `"idField"`. Default "objectId".
    std::string type_field = "objectType";  ///< `"typeField"`. Default "objectType".
    std::map<std::string, std::string> types;  ///< `"types"`: objectType value → collection name.

    friend bool operator==(const EntityPolicy&, const EntityPolicy&) = default;
};

/// Everything `x-tessera` says about a schema's collection. Defaults apply when the block or a key
/// is absent.
struct Annotations {
    std::string collection;             ///< `"collection"`. Default: the schema's name (file stem).
    std::vector<std::string> routes;    ///< `"routes"`: extra path prefixes, e.g. ["/guid"]. Default none.
    IdPolicy id;                        ///< `"id"`. Default: from URL, else uuid4, not in the body.
    std::optional<TtlPolicy> ttl;       ///< `"ttl"`. Default: documents never expire.
    bool require_if_match = false;      ///< `"requireIfMatch"`: PUT/PATCH/DELETE need If-Match (428).
    std::optional<EntityPolicy> entities;  ///< `"entities"`: split nested entities. Default: stored whole.
    bool expose = true;                 ///< `"expose"`: routes under /api/<collection>. Default true.
    /// `"search": {"indexes": [["planType", "creationDate"], ...]}`: composite indexes the embedded
    /// search index keeps besides one per field — for a filter on the first fields that sorts or
    /// ranges on the next (up to 16 indexes of 1–8 single-valued field paths). Default none.
    std::vector<std::vector<std::string>> search_indexes;

    friend bool operator==(const Annotations&, const Annotations&) = default;
};

/// The one rule for collection names, wherever they are given (`collection`, the values of
/// `entities.types`, the schema file stem as the default): 1–64 letters, digits, '.', '_' or '-', not
/// starting with '_' (reserved for Tessera's internal collections) or '.'.
bool is_collection_name(std::string_view name) noexcept;

/// `is_collection_name`'s rule in words, for error messages.
inline constexpr std::string_view kCollectionNameRule =
    "a collection name is 1-64 letters, digits, '.', '_' or '-', not starting with '_' or '.'";

}  // namespace tessera::schema
