#include <tessera/schema/registry.hpp>

#include <tessera/json/text.hpp>

#include "schema/annotations.hpp"
#include "schema/bundle.hpp"
#include "schema/load_error.hpp"
#include "schema/metaschemas.hpp"
#include "schema/schema_file.hpp"
#include "schema/uri.hpp"
#include "schema/validator.hpp"

#include <tessera/assert.hpp>
#include <tessera/json/parse.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <map>
#include <system_error>
#include <utility>

namespace tessera::schema {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

class CompiledSchema final : public Schema {
public:
    CompiledSchema(std::string name,
                   std::string id,
                   bj::value document,
                   Annotations annotations,
                   std::unique_ptr<Validator> validator)
        : name_(std::move(name)),
          id_(std::move(id)),
          document_(std::move(document)),
          annotations_(std::move(annotations)),
          validator_(std::move(validator)) {}

    const std::string& name() const noexcept override { return name_; }
    const std::string& id() const noexcept override { return id_; }
    const bj::value& document() const noexcept override { return document_; }
    const Annotations& annotations() const noexcept override { return annotations_; }

    std::vector<ValidationError> validate(const bj::value& instance) const override {
        return validator_->validate(instance);
    }

private:
    std::string name_;
    std::string id_;
    bj::value document_;
    Annotations annotations_;
    std::unique_ptr<Validator> validator_;
};

// The meta-schema of `draft`, compiled on first use (thread-safe static initialisation). It is
// embedded text, so failing to compile it is a bug, not an outcome.
const Validator& metaschema(Draft draft) {
    const auto compile = [](Draft which) {
        DocumentSet documents({}, {});
        auto root = json::parse(metaschema_text(which));
        TESSERA_ASSERT(root.has_value());
        auto added = documents.add(std::move(*root), metaschema_uri(which), std::string(metaschema_uri(which)));
        TESSERA_ASSERT(added.has_value());
        auto bundle = documents.bundle(*added);
        TESSERA_ASSERT(bundle.has_value());
        auto validator = Validator::compile(std::move(*bundle));
        TESSERA_ASSERT(validator.has_value());
        return std::move(*validator);
    };
    static const std::unique_ptr<Validator> draft4 = compile(Draft::draft4);
    static const std::unique_ptr<Validator> draft7 = compile(Draft::draft7);
    return draft == Draft::draft4 ? *draft4 : *draft7;
}

std::string_view draft_name(Draft draft) noexcept {
    return draft == Draft::draft4 ? "draft-04" : "draft-07";
}

// Checks, annotates, bundles and compiles one document of `documents`.
// `collection` is the default collection name: the file stem.
Result<std::shared_ptr<const Schema>> build(DocumentSet& documents,
                                            std::size_t index,
                                            std::string name,
                                            std::string_view collection) {
    const bj::value& root = documents.root(index);
    const Draft draft = documents.draft(index);
    const std::string& file = documents.file(index);

    // The meta-schema first: it names the exact place of a malformed keyword, which valijson cannot.
    if (auto problems = metaschema(draft).validate(root); !problems.empty()) {
        // Where the meta-schema can only say which object failed (its propertyNames checks report no
        // detail), bundling may name the very key ("invalid regular expression" in patternProperties).
        if (problems.front().message == kGenericMismatch) {
            if (auto bundle = documents.bundle(index); !bundle) return std::move(bundle).error();
        }
        bj::array errors;
        for (const auto& problem : problems)
            errors.push_back(bj::object{{"pointer", problem.pointer}, {"message", problem.message}});
        return load_error(file, problems.front().pointer,
                          "not a valid " + std::string(draft_name(draft)) + " schema: " + problems.front().message,
                          {{"errors", std::move(errors)}});
    }
    auto annotations = parse_annotations(root, collection, file);
    if (!annotations) return std::move(annotations).error();
    auto bundle = documents.bundle(index);
    if (!bundle) return std::move(bundle).error();
    auto validator = Validator::compile(std::move(*bundle));
    if (!validator) {
        auto backend = validator.error().details();
        return load_error(file, "", validator.error().message(), std::move(backend));
    }

    std::string id;
    if (const auto* object = root.if_object()) {
        const auto* declared = object->if_contains(draft == Draft::draft4 ? "id" : "$id");
        if (declared != nullptr && declared->is_string()) id = std::string(declared->get_string());
    }
    return std::shared_ptr<const Schema>(std::make_shared<CompiledSchema>(
        std::move(name), std::move(id), root, std::move(*annotations), std::move(*validator)));
}

// A document compiled on its own gets a URI under its base directory (so relative refs find the
// files beside it) or, without one, a placeholder URI that names no file.
std::string document_uri(const std::string& name, const fs::path& base_directory) {
    if (base_directory.empty()) return placeholder_uri(name + ".json");
    return file_uri(base_directory / (name + ".json"));
}

// The pointer to blame for a collection clash: the explicit name if there is one.
std::string_view collection_pointer(const bj::value& document) {
    const auto* root = document.if_object();
    const auto* block = root ? root->if_contains("x-tessera") : nullptr;
    const bool named = block != nullptr && block->is_object() && block->as_object().contains("collection");
    return named ? "/x-tessera/collection" : "";
}

}  // namespace

Result<void> Schema::check(const bj::value& instance) const {
    auto errors = validate(instance);
    if (errors.empty()) return {};
    // A document with 50,000 unknown keys must not become a 3 MB answer: the first kMaxListedErrors
    // are listed, in document order, and the total says how many there were.
    bj::array list;
    const std::size_t listed = std::min(errors.size(), kMaxListedErrors);
    list.reserve(listed);
    for (std::size_t i = 0; i < listed; ++i) {
        list.push_back(bj::object{{"pointer", errors[i].pointer}, {"message", errors[i].message}});
    }
    std::string message = "document does not match schema '" + name() + "': " +
                          (errors.front().pointer.empty() ? std::string("(root)") : json::excerpt(errors.front().pointer, 256)) +
                          ": " + errors.front().message;
    if (errors.size() > 1) {
        message +=
            " (and " + std::to_string(errors.size() - 1) + (errors.size() == 2 ? " more error)" : " more errors)");
    }
    bj::object details{{"schema", name()}, {"errors", std::move(list)}};
    if (errors.size() > listed) {
        details["truncated"] = true;
        details["total_errors"] = errors.size();
    }
    return Error(ErrorCode::invalid, std::move(message), std::move(details));
}

struct Registry::Impl {
    std::vector<std::shared_ptr<const Schema>> schemas;  // ordered by name
    std::map<std::string, const Schema*, std::less<>> by_name;
    std::map<std::string, const Schema*, std::less<>> by_collection;
};

Registry::Registry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;
Registry::~Registry() = default;

Result<Registry> Registry::open(const fs::path& directory, const RegistryOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        return Error(ErrorCode::not_found, "no schema directory '" + directory.string() + "'",
                     {{"file", directory.string()}});
    }

    // Name = path below the directory without ".json" ("plan", "billing/invoice"); sorted so that
    // loading, and so which of two clashing files is reported, does not depend on readdir order.
    std::vector<std::pair<std::string, fs::path>> files;
    for (fs::recursive_directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec) || it->path().extension() != ".json") continue;
        auto name = it->path().lexically_relative(directory).replace_extension().generic_string();
        files.emplace_back(std::move(name), it->path());
    }
    if (ec) {
        return Error(ErrorCode::invalid, "cannot list '" + directory.string() + "': " + ec.message(),
                     {{"file", directory.string()}, {"pointer", ""}});
    }
    std::sort(files.begin(), files.end());

    // Every file is added before any is compiled, so that a $ref may name any file's $id.
    DocumentSet documents(options, {directory});
    std::vector<std::size_t> indexes;
    for (const auto& [name, path] : files) {
        auto root = read_schema_file(path, path.string());
        if (!root) {
            auto error = std::move(root).error();
            if (error.code() == ErrorCode::not_found)
                return load_error(path.string(), "", "the file vanished while loading");
            return error;
        }
        auto added = documents.add(std::move(*root), file_uri(path), path.string());
        if (!added) return std::move(added).error();
        indexes.push_back(*added);
    }

    auto impl = std::make_unique<Impl>();
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto schema = build(documents, indexes[i], files[i].first, files[i].second.stem().string());
        if (!schema) return std::move(schema).error();
        const Schema* added = schema->get();
        const auto& collection = added->annotations().collection;
        if (const auto clash = impl->by_collection.find(collection); clash != impl->by_collection.end()) {
            return load_error(
                files[i].second.string(), collection_pointer(added->document()),
                "collection '" + collection + "' is already defined by schema '" + clash->second->name() + "'",
                {{"collection", collection}});
        }
        impl->by_collection.emplace(collection, added);
        impl->by_name.emplace(added->name(), added);
        impl->schemas.push_back(std::move(*schema));
    }
    return Registry(std::move(impl));
}

Result<std::shared_ptr<const Schema>> Registry::compile(const bj::value& document,
                                                        std::string name,
                                                        const fs::path& base_directory,
                                                        const RegistryOptions& options) {
    DocumentSet documents(options,
                          base_directory.empty() ? std::vector<fs::path>{} : std::vector<fs::path>{base_directory});
    auto added = documents.add(document, document_uri(name, base_directory), name);
    if (!added) return std::move(added).error();
    const std::string collection = name;
    return build(documents, *added, std::move(name), collection);
}

Result<std::shared_ptr<const Schema>> Registry::compile_file(const fs::path& file, const RegistryOptions& options) {
    auto root = read_schema_file(file, file.string());
    if (!root) return std::move(root).error();
    const auto directory = file.has_parent_path() ? file.parent_path() : fs::path(".");
    DocumentSet documents(options, {directory});
    auto added = documents.add(std::move(*root), file_uri(file), file.string());
    if (!added) return std::move(added).error();
    return build(documents, *added, file.stem().string(), file.stem().string());
}

const Schema* Registry::find(std::string_view name) const noexcept {
    const auto it = impl_->by_name.find(name);
    return it == impl_->by_name.end() ? nullptr : it->second;
}

const Schema* Registry::find_collection(std::string_view collection) const noexcept {
    const auto it = impl_->by_collection.find(collection);
    return it == impl_->by_collection.end() ? nullptr : it->second;
}

std::vector<const Schema*> Registry::schemas() const {
    std::vector<const Schema*> all;
    all.reserve(impl_->schemas.size());
    for (const auto& schema : impl_->schemas) all.push_back(schema.get());
    return all;
}

}  // namespace tessera::schema
