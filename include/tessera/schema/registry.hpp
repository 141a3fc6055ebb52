#pragma once
/// @file tessera/schema/registry.hpp
/// @brief A registry of JSON Schemas loaded from a directory, compiled once, validating Boost.JSON values.

#include <tessera/result.hpp>
#include <tessera/schema/annotations.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::schema {

/// One validation failure: where in the instance, and what is wrong there.
struct ValidationError {
    std::string pointer;  ///< JSON Pointer into the validated document ("" = the root).
    std::string message;  ///< Human-readable, e.g. "required property 'objectId' is missing".

    friend bool operator==(const ValidationError&, const ValidationError&) = default;
};

/// JSON Schema dialects the registry can compile.
enum class Draft { draft4, draft7 };

/// A compiled schema. Immutable and thread-safe: `validate` may run concurrently from any threads.
/// Owned by its `Registry` (or by the `std::shared_ptr` that `Registry::compile` returns).
class Schema {
public:
    virtual ~Schema() = default;

    /// The schema's name: its file name without ".json" ("plan" for plan.json); below a
    /// subdirectory of the registry, its path from there ("billing/invoice").
    virtual const std::string& name() const noexcept = 0;
    /// Its `$id` (or draft-04 `id`), "" if none.
    virtual const std::string& id() const noexcept = 0;
    /// The source document as loaded.
    virtual const boost::json::value& document() const noexcept = 0;
    /// The typed `x-tessera` block (defaults if absent).
    virtual const Annotations& annotations() const noexcept = 0;

    /// Every violation of this schema by `instance` (empty if valid), in document order as far as the
    /// validator reports it.
    virtual std::vector<ValidationError> validate(const boost::json::value& instance) const = 0;

    /// Success if `instance` is valid; else `invalid` with `details.errors = [{pointer, message}...]`
    /// (the first `kMaxListedErrors` in document order; when there were more, also
    /// `details.truncated = true` and `details.total_errors`) and a message naming the first failure.
    Result<void> check(const boost::json::value& instance) const;

    /// How many errors `check` lists at most.
    static constexpr std::size_t kMaxListedErrors = 100;
};

/// Options for loading a registry.
struct RegistryOptions {
    Draft default_draft = Draft::draft7;  ///< Used when a schema has no `$schema`. Default draft-07.
    /// Maps URI prefixes (e.g. "http://localhost:1234/") to local directories for remote `$ref`s;
    /// never fetched over the network. Default none.
    std::vector<std::pair<std::string, std::filesystem::path>> uri_mappings;
};

/// Every `*.json` schema in a directory (recursively), compiled once. `$ref`s resolve within a file
/// and across files of the directory, by relative path ("service.json#/definitions/x") or by `$id`.
/// Thread safety: after `open` returns, all const members may be used concurrently.
class Registry {
public:
    /// Loads and compiles every schema under `directory`. Errors: `not_found` (no such directory),
    /// `invalid` (a file is not JSON, not a valid schema, has an unresolvable `$ref`, or has a bad
    /// `x-tessera` block; `details.file` and `details.pointer` say where). Two schemas claiming the
    /// same collection are `invalid` too.
    static Result<Registry> open(const std::filesystem::path& directory, const RegistryOptions& options = {});

    /// Compiles one schema document (its `$schema` picks the draft; `default_draft` if absent).
    /// `name` is used for `Schema::name()`; `base_directory` resolves relative `$ref`s to other files.
    /// Errors: `invalid` as for `open`.
    static Result<std::shared_ptr<const Schema>> compile(const boost::json::value& document,
                                                         std::string name,
                                                         const std::filesystem::path& base_directory = {},
                                                         const RegistryOptions& options = {});

    /// Loads and compiles one schema file. Errors: `not_found`, `invalid` as for `open`.
    static Result<std::shared_ptr<const Schema>> compile_file(const std::filesystem::path& file,
                                                              const RegistryOptions& options = {});

    Registry(Registry&&) noexcept;
    Registry& operator=(Registry&&) noexcept;
    ~Registry();

    /// The schema named `name` (file stem), or nullptr.
    const Schema* find(std::string_view name) const noexcept;
    /// The schema whose annotations name `collection`, or nullptr.
    const Schema* find_collection(std::string_view collection) const noexcept;
    /// All schemas, ordered by name.
    std::vector<const Schema*> schemas() const;

private:
    struct Impl;
    explicit Registry(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::schema
