#pragma once
// Private: the schema documents one compilation can see, `$id`/`$ref` resolution across them, and
// bundling one document into the self-contained form valijson 1.0 compiles correctly.
//
// Why bundle instead of handing valijson the documents: valijson 1.0 only knows draft-04 `id` for
// resolution scope, forgets the scope when it follows a ref into another document, mixes up cache
// keys (propertyNames and the parent share one), cannot follow `#name` anchors or empty pointer
// tokens, and recurses forever on a `$ref` cycle. So this code resolves every `$ref` itself (draft-07
// rules: `$id` sets the base URI, `$ref` ignores its siblings) and rewrites the document so that
// valijson only ever sees local pointers it handles well.

#include "schema/checks.hpp"

#include <tessera/result.hpp>
#include <tessera/schema/registry.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::schema {

/// A schema made self-contained: draft-07 keywords only, no `$id`/`id`, every `$ref` either "#"
/// or "#/$tessera-refs/<n>" (copies of the targets, held in the root's `$tessera-refs` member),
/// and `type`/`format`/`pattern`/`additionalProperties: false` moved to `$tessera-checks: <index>`.
struct Bundle {
    boost::json::value document;
    std::vector<std::shared_ptr<const Checks>> checks;  ///< Indexed by `$tessera-checks` values.
};

/// The documents `$ref`s may point into: those added, the built-in meta-schemas, files under
/// `file_roots` and under `RegistryOptions::uri_mappings` (loaded when first referenced; never the
/// network). Not thread-safe; used while loading only.
class DocumentSet {
public:
    DocumentSet(RegistryOptions options, std::vector<std::filesystem::path> file_roots);
    ~DocumentSet();
    DocumentSet(const DocumentSet&) = delete;
    DocumentSet& operator=(const DocumentSet&) = delete;

    /// Adds the document retrieved from `uri` (absolute); `file` names it in errors. Its `$schema`
    /// picks the draft. Errors: `invalid` (unsupported `$schema`, malformed or duplicate `$id`).
    Result<std::size_t> add(boost::json::value root, std::string_view uri, std::string file);

    /// `document` bundled. Errors: `invalid` with details.file/pointer (unresolvable or circular
    /// `$ref`, bad regular expression, malformed keyword), including for documents loaded on the way.
    Result<Bundle> bundle(std::size_t document);

    const boost::json::value& root(std::size_t document) const;
    Draft draft(std::size_t document) const;
    const std::string& file(std::size_t document) const;

private:
    struct Document;
    struct Location {
        std::size_t document = 0;
        std::string pointer;  ///< RFC 6901, escaped.
        friend auto operator<=>(const Location&, const Location&) = default;
    };
    struct BundleState;

    Result<void> index(std::size_t document,
                       const boost::json::value& node,
                       const std::string& pointer,
                       const std::string& base);
    Result<void> register_uri(std::map<std::string, Location>& table,
                              const std::string& uri,
                              Location location,
                              std::string_view pointer_of_id);
    Result<Location> resolve_ref(std::string_view ref,
                                 const std::string& base,
                                 std::size_t from,
                                 const std::string& ref_pointer);
    Result<std::optional<Location>> lookup(const std::string& uri, std::string_view fragment);
    Result<bool> load(const std::string& uri);
    std::string base_at(const Location& location) const;

    Result<void> rewrite(boost::json::value& node,
                         std::size_t document,
                         const std::string& pointer,
                         const std::string& base,
                         BundleState& state);
    Result<void> extract_checks(boost::json::object& schema,
                                std::size_t document,
                                const std::string& pointer,
                                BundleState& state);
    Result<void> check_cycles(const BundleState& state, const boost::json::value& root) const;

    RegistryOptions options_;
    std::vector<std::filesystem::path> file_roots_;
    std::vector<std::unique_ptr<Document>> documents_;
    std::map<std::string, Location> resources_;  ///< Absolute URI (no fragment) -> schema.
    std::map<std::string, Location> anchors_;    ///< "uri#name" -> schema (draft-07 `"$id": "#name"`).
    std::set<std::string> attempted_;            ///< URIs already looked for on disk.
};

}  // namespace tessera::schema
