#include "schema/schema_file.hpp"

#include "schema/load_error.hpp"

#include <tessera/json/parse.hpp>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>

namespace tessera::schema {

Result<boost::json::value> read_schema_file(const std::filesystem::path& file, std::string_view label) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return Error(ErrorCode::not_found, std::string(label) + ": no such schema file",
                     {{"file", label}, {"pointer", ""}});
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return load_error(label, "", "cannot read the file");

    // Schemas are trusted configuration, but still bounded: a runaway file should fail, not hang.
    json::ParseLimits limits;
    limits.max_bytes = std::size_t{16} << 20;
    limits.max_depth = 256;
    auto parsed = json::parse(text.str(), limits);
    if (!parsed) {
        boost::json::object extra;
        for (const auto* key : {"offset", "line", "column"}) {
            if (const auto* value = parsed.error().details().if_contains(key)) extra[key] = *value;
        }
        return load_error(label, "", parsed.error().message(), std::move(extra));
    }
    return std::move(*parsed);
}

}  // namespace tessera::schema
