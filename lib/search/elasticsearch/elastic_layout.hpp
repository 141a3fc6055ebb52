#pragma once
// Private: how a Catalog is laid out in the one Elasticsearch index — the mapping (fields, meta
// fields, the join field and its relations) and the join name each stored object carries. Pure: no
// I/O. The rules are in elastic_index.hpp's comment and docs/elasticsearch.md.

#include <tessera/search/catalog.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::search::internal {

// Meta fields of every document (top-level members of these names in a stored object are not indexed).
inline constexpr const char* kCollectionField = "tessera_collection";
inline constexpr const char* kIdField = "tessera_id";
inline constexpr const char* kRootField = "tessera_root";
inline constexpr const char* kParentField = "tessera_parent";
inline constexpr const char* kVersionField = "tessera_version";
inline constexpr const char* kJoinField = "tessera_join";
inline constexpr const char* kTextAnalyzer = "tessera_text";
inline constexpr const char* kTextSubfield = "text";
/// Strings longer than this (in characters) are not indexed as exact values (Lucene's term limit is
/// 32766 bytes; 8191 four-byte characters fit).
inline constexpr int kKeywordIgnoreAbove = 8191;

/// The join name and parent an object's document carries.
struct JoinValue {
    std::string name;
    std::string parent;  // "" for a relation root
};

class ElasticLayout {
public:
    explicit ElasticLayout(Catalog catalog);

    const Catalog& catalog() const noexcept { return catalog_; }

    /// The body of "PUT /<index>": settings (the text analyzer) and `mappings()`.
    boost::json::object index_body() const;
    /// The mappings: dynamic false, the catalog's fields, the meta fields and the join field.
    boost::json::object mappings() const;

    /// The join value of an object of `collection` whose parent is `parent` ("collection/id", "" for
    /// a root); nullopt: the document carries no join field.
    std::optional<JoinValue> join_value(std::string_view collection, std::string_view parent) const;

    /// True if the edge parent → child is a join relation (see docs/elasticsearch.md: edges under a collection
    /// with two parents, and edges closing a cycle, are not).
    bool joins(std::string_view parent, std::string_view child) const;

    /// The join names documents of `collection` carry when they are parents (has_parent's
    /// parent_type); empty if its documents are nobody's parent in the join.
    std::vector<std::string> parent_names(std::string_view collection) const;

    /// The field at `path` in the first of `collections` that has it, or nullptr.
    const Field* field(const std::vector<std::string>& collections, std::string_view path) const;

    /// The type `path` is mapped as (collections that disagree on it share one mapping: see
    /// mappings()); nullopt if it is not mapped.
    std::optional<FieldType> mapped_type(std::string_view path) const;

    /// The string fields of `collections`, each once, by path (multi_match without fields).
    std::vector<std::string> string_fields(const std::vector<std::string>& collections) const;

private:
    Catalog catalog_;
    std::set<std::pair<std::string, std::string>> edges_;  // join relations parent → child
    std::vector<std::pair<std::string, FieldType>> mapped_;  // by path
};

}  // namespace tessera::search::internal
