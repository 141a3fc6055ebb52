#pragma once
/// @file tessera/search/catalog.hpp
/// @brief `Catalog`: the searchable fields of every collection and the parent → child relations
/// between collections, derived from the schemas.
///
/// A field is a dotted path to a scalar member of a stored object ("name", "planCostShares" is not
/// one: it is a child entity). Members inside arrays are fields too, marked `multi`: a document
/// matches a condition on one if any element does. Nested entities are not fields of their parent:
/// they are objects of their own collection, reached with `has_child` / `has_parent`.

#include <tessera/result.hpp>
#include <tessera/schema/registry.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::search {

/// What a field holds, as the schema says.
enum class FieldType {
    string,   ///< Text: `match` searches its words, `term`/`prefix`/`range`/sort use the exact value.
    integer,  ///< A JSON integer.
    number,   ///< Any JSON number.
    boolean,  ///< true / false.
    date,     ///< A string with `format: date-time` or `date`; compared as instants (ms since the epoch).
};

/// The wire name of `type` ("string", ...).
std::string_view to_string(FieldType type) noexcept;

/// One searchable member.
struct Field {
    std::string path;  ///< Dotted path from the object's root ("address.city").
    FieldType type = FieldType::string;
    bool multi = false;  ///< Inside an array: several values per document. Cannot be sorted on.
    /// Worth an index of its own: false for the id field (the index keeps ids anyway) and a field the
    /// schema fixes (`const`, or a one-value `enum`), whose index would only cost writes.
    bool indexed = true;

    friend bool operator==(const Field&, const Field&) = default;
};

/// The searchable shape of one collection.
struct CollectionFields {
    std::string collection;
    std::vector<Field> fields;           ///< Ordered by path.
    std::vector<std::string> children;   ///< Collections of entities nested in this one's objects, by name.
    std::vector<std::string> parents;    ///< Collections whose objects nest this one's, by name.
    /// Composite indexes (`x-tessera.search.indexes`), each field single-valued and in `fields`;
    /// the others are dropped.
    std::vector<std::vector<std::string>> indexes;

    /// The field at `path`, or nullptr.
    const Field* find(std::string_view path) const noexcept;
    /// True if `collection` is one of `children`.
    bool has_child(std::string_view collection) const noexcept;
    /// True if `collection` is one of `parents`.
    bool has_parent(std::string_view collection) const noexcept;

    friend bool operator==(const CollectionFields&, const CollectionFields&) = default;
};

/// Every collection's fields and relations. A value type; immutable once built, so thread-safe.
class Catalog {
public:
    Catalog() = default;

    /// Reads the schemas of `registry`: each exposed or entity collection's properties (through `$ref`,
    /// `items`, `allOf`; `anyOf`/`oneOf` members are fields only if every branch agrees on the type),
    /// and, where a property resolves to a schema of an entity type of the collection's policy, a
    /// relation instead of a field. At most `kMaxFields` fields per collection and 8 levels of nesting;
    /// deeper or further members are not searchable.
    static Catalog from_registry(const schema::Registry& registry);

    /// Builds one from parts (tests, embedders with no schemas). Relations are derived from `children`.
    static Catalog from_collections(std::vector<CollectionFields> collections);

    /// The collection's shape, or nullptr if it is not in the catalog.
    const CollectionFields* find(std::string_view collection) const noexcept;
    /// Every collection, ordered by name.
    const std::vector<CollectionFields>& collections() const noexcept { return collections_; }

    /// The relation name of the edge `parent` → `child`, as Elasticsearch's join field knows it: the
    /// child's name when `parent` is its only parent collection, else "<parent>/<child>" (ES lets a
    /// relation have one parent only, and `membercostshares` sits under `plans` and `planservices`).
    /// Requires: the edge exists.
    std::string relation_name(std::string_view parent, std::string_view child) const;

    static constexpr std::size_t kMaxFields = 256;

    friend bool operator==(const Catalog&, const Catalog&) = default;

private:
    std::vector<CollectionFields> collections_;
};

}  // namespace tessera::search
