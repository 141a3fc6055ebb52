// tessera validate: checks JSON documents against a schema from a registry directory or a file.

#include "commands.hpp"

#include <tessera/json/parse.hpp>
#include <tessera/schema/registry.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace tessera::cli {
namespace {

namespace schema = tessera::schema;

constexpr std::string_view kUsage =
    R"(usage: tessera validate --schemas DIR --schema NAME FILE...
       tessera validate --schema-file SCHEMA.json FILE...

Checks each JSON FILE ('-' reads standard input) against one schema: NAME from the
schemas in DIR (every *.json below it; NAME is a file's path without ".json", e.g.
"plan", or a collection name from x-tessera), or the schema in SCHEMA.json. A schema's
"$schema" picks draft-04 or draft-07 (draft-07 when absent). "$ref"s resolve to files
of the schema's directory (by relative path or by "$id"), never over the network.

Every error is printed on stdout as one JSON object per line:
  {"file":"plan.json","pointer":"/planCostShares/copay","message":"expected integer, got string"}
"pointer" is a JSON Pointer (RFC 6901) into FILE; "" is the whole document.

Exit status:
  0  every FILE is valid
  1  at least one FILE is invalid (and the rest were readable)
  2  usage error, unreadable or malformed FILE, or a schema that cannot be loaded
     (the reason on stderr, with the file and, for JSON syntax errors, line and column)

options:
  --schemas DIR        directory of schemas (with --schema)
  --schema NAME        the schema to use from DIR
  --schema-file FILE   a single schema file (instead of --schemas/--schema)
  -h, --help           show this help
)";

struct Options {
    std::string schemas;
    std::string schema;
    std::string schema_file;
    std::vector<std::string> files;
};

int usage_error(std::string_view message) {
    std::cerr << "tessera validate: " << message << "\n\n" << kUsage;
    return 2;
}

// Parses the arguments; std::nullopt after printing why (or the help) with `status` set.
std::optional<Options> parse_arguments(std::span<const std::string_view> args, int& status) {
    Options options;
    bool only_files = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (only_files || arg == "-" || !arg.starts_with("-")) {
            options.files.emplace_back(arg);
            continue;
        }
        if (arg == "--") {
            only_files = true;
            continue;
        }
        if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            status = 0;
            return std::nullopt;
        }
        // --name VALUE or --name=VALUE
        const auto equals = arg.find('=');
        const std::string_view name = arg.substr(0, equals);
        std::string* target = name == "--schemas"       ? &options.schemas
                              : name == "--schema"      ? &options.schema
                              : name == "--schema-file" ? &options.schema_file
                                                        : nullptr;
        if (target == nullptr) {
            status = usage_error("unknown option '" + std::string(arg) + "'");
            return std::nullopt;
        }
        if (equals != std::string_view::npos) {
            *target = std::string(arg.substr(equals + 1));
        } else if (i + 1 < args.size()) {
            *target = std::string(args[++i]);
        } else {
            status = usage_error("option " + std::string(name) + " needs a value");
            return std::nullopt;
        }
    }
    const bool from_registry = !options.schemas.empty() || !options.schema.empty();
    if (from_registry == !options.schema_file.empty()) {
        status = usage_error("give either --schemas DIR --schema NAME, or --schema-file FILE");
    } else if (from_registry && (options.schemas.empty() || options.schema.empty())) {
        status = usage_error("--schemas and --schema go together");
    } else if (options.files.empty()) {
        status = usage_error("no FILE to validate");
    } else {
        return options;
    }
    return std::nullopt;
}

// The schema to validate against; holds the registry when it came from one.
struct LoadedSchema {
    std::optional<schema::Registry> registry;
    std::shared_ptr<const schema::Schema> single;
    const schema::Schema* schema = nullptr;
};

std::optional<LoadedSchema> load_schema(const Options& options) {
    LoadedSchema loaded;
    if (!options.schema_file.empty()) {
        auto compiled = schema::Registry::compile_file(options.schema_file);
        if (!compiled) {
            std::cerr << "tessera validate: " << compiled.error().message() << "\n";
            return std::nullopt;
        }
        loaded.single = std::move(*compiled);
        loaded.schema = loaded.single.get();
        return loaded;
    }
    auto registry = schema::Registry::open(options.schemas);
    if (!registry) {
        std::cerr << "tessera validate: " << registry.error().message() << "\n";
        return std::nullopt;
    }
    loaded.registry.emplace(std::move(*registry));
    loaded.schema = loaded.registry->find(options.schema);
    if (loaded.schema == nullptr) loaded.schema = loaded.registry->find_collection(options.schema);
    if (loaded.schema == nullptr) {
        std::string known;
        for (const auto* candidate : loaded.registry->schemas())
            known += (known.empty() ? "" : ", ") + candidate->name();
        std::cerr << "tessera validate: no schema '" << options.schema << "' in " << options.schemas
                  << " (it has: " << (known.empty() ? "none" : known) << ")\n";
        return std::nullopt;
    }
    return loaded;
}

// The bytes of `file` ("-": standard input), or why they cannot be read.
std::optional<std::string> read_input(const std::string& file, std::string& why) {
    std::ostringstream text;
    if (file == "-") {
        text << std::cin.rdbuf();
        return text.str();
    }
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        why = "no such file";
        return std::nullopt;
    }
    if (std::filesystem::is_directory(file, ec)) {
        why = "is a directory";
        return std::nullopt;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        why = "cannot open the file";
        return std::nullopt;
    }
    text << in.rdbuf();
    return text.str();
}

}  // namespace

int run_validate(std::span<const std::string_view> args) {
    int status = 2;
    const auto options = parse_arguments(args, status);
    if (!options) return status;
    const auto loaded = load_schema(*options);
    if (!loaded) return 2;

    // Documents may be large; the CLI reads trusted local files, so the limits are generous.
    json::ParseLimits limits;
    limits.max_bytes = std::size_t{256} << 20;
    limits.max_depth = 256;

    bool any_invalid = false;
    bool any_unreadable = false;
    for (const auto& file : options->files) {
        std::string why;
        const auto text = read_input(file, why);
        if (!text) {
            std::cerr << "tessera validate: " << file << ": " << why << "\n";
            any_unreadable = true;
            continue;
        }
        auto document = json::parse(*text, limits);
        if (!document) {
            std::cerr << "tessera validate: " << file << ": " << document.error().message() << "\n";
            any_unreadable = true;
            continue;
        }
        for (const auto& error : loaded->schema->validate(*document)) {
            any_invalid = true;
            std::cout << boost::json::serialize(boost::json::object{
                             {"file", file}, {"pointer", error.pointer}, {"message", error.message}})
                      << "\n";
        }
    }
    std::cout.flush();
    return any_unreadable ? 2 : (any_invalid ? 1 : 0);
}

}  // namespace tessera::cli
