#pragma once
// Private: how the embedded index lays the catalog out in SQLite, and what it extracts from a
// stored object to fill it.
//
// Per collection (numbered by its place in the catalog, `i`):
//   o_i   one row per object: id, version, deleted (a tombstone keeps its version), root, parent,
//         body (the stored form), and a typed column f<k> per single-valued field k, each indexed
//         (but the id field and fields the schema fixes), plus the x-tessera.search.indexes
//   m_i   the values of multi-valued fields: (obj = o_i.rowid, field = k, value), indexed by
//         (field, value)
//   e_i   the links of o_i's objects to their child entities: (parent = o_i.rowid, child_coll = j,
//         child_id), indexed both ways — parent/child queries are joins over it
//   t_i   FTS5, contentless (the text lives in o_i.body), one column c<k> per string field,
//         tokenizer unicode61 with diacritics removed; its rowid is o_i's
// A digest of this layout is kept in the `meta` table: when the schemas change it, the index is
// dropped and rebuilt from the store.

#include <tessera/search/catalog.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tessera::search::internal {

/// A value as SQLite keeps it: NULL, INTEGER (integers, booleans, dates in ms), REAL, TEXT.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

/// One field's place in the layout.
struct FieldSlot {
    Field field;
    std::size_t index = 0;  // k: column f<k> (single-valued) or m_i.field = k (multi-valued)
    int fts_column = -1;    // position among t_i's columns (string fields), else -1
};

/// One collection's tables.
struct CollectionLayout {
    std::size_t index = 0;  // i
    std::string name;
    std::vector<FieldSlot> fields;            // in catalog (path) order
    std::vector<std::size_t> fts_fields;      // indexes into `fields` of t_i's columns, in column order
    std::vector<std::vector<std::size_t>> composite_indexes;  // field slots of each x-tessera.search index

    std::string objects() const { return "o_" + std::to_string(index); }
    std::string multi() const { return "m_" + std::to_string(index); }
    std::string edges() const { return "e_" + std::to_string(index); }
    std::string fts() const { return "t_" + std::to_string(index); }
    const FieldSlot* find(std::string_view path) const noexcept;
};

/// What an object contributes to its collection's tables.
struct Extracted {
    std::vector<SqlValue> single;                                 // per field slot (monostate for multi)
    std::vector<std::pair<std::size_t, SqlValue>> multi;          // (slot index k, value)
    std::vector<std::string> text;                                // per FTS column
    std::vector<std::pair<std::size_t, std::string>> children;    // (child collection index, child id)
};

/// `parts` joined by `separator` (SQL lists).
std::string join(const std::vector<std::string>& parts, std::string_view separator);

class Layout {
public:
    explicit Layout(const Catalog& catalog);

    const std::vector<CollectionLayout>& collections() const noexcept { return collections_; }
    const CollectionLayout* find(std::string_view collection) const noexcept;
    /// A digest of the layout: equal digests, same tables and columns.
    const std::string& digest() const noexcept { return digest_; }
    /// CREATE statements for every table and index.
    std::string create_sql() const;

    /// The values of `body` (a stored object's JSON object) for `collection`'s tables.
    Extracted extract(const CollectionLayout& collection, const boost::json::value& body) const;

    /// The type of `path` in the first of `collections` that has it (the parser made sure they
    /// agree); nullopt if none has it.
    std::optional<FieldType> field_type(const std::vector<std::string>& collections, std::string_view path) const;

    /// `value` (a JSON scalar of a field of `type`) as SQLite keeps it; monostate if it does not fit.
    static SqlValue to_sql(const boost::json::value& value, FieldType type);

private:
    std::vector<CollectionLayout> collections_;
    std::string digest_;
};

}  // namespace tessera::search::internal
