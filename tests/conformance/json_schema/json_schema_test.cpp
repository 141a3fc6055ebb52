// JSON-Schema-Test-Suite, draft-07: every case of every file under data/json-schema/draft7/.
// Cases the validator cannot support are listed by name in skips.txt; a listed case that starts
// passing fails the test, so the list stays honest.

#include <tessera/schema/registry.hpp>

#include <tessera/json/parse.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace json = boost::json;
using tessera::schema::Registry;
using tessera::schema::RegistryOptions;

namespace {

const fs::path kData = fs::path(TESSERA_CONFORMANCE_DATA) / "json-schema";
const fs::path kSkips = fs::path(TESSERA_CONFORMANCE_DATA).parent_path() / "json_schema" / "skips.txt";

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string trim(std::string text) {
    const auto first = text.find_first_not_of(" \t\r");
    const auto last = text.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

struct Skip {
    std::string reason;
    bool seen = false;
};

// "file | group description | case description | reason"; '#' starts a comment line.
std::map<std::string, Skip> read_skips() {
    std::map<std::string, Skip> skips;
    std::istringstream lines(read_text(kSkips));
    for (std::string line; std::getline(lines, line);) {
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t bar; fields.size() < 3 && (bar = line.find(" | ", start)) != std::string::npos;
             start = bar + 3) {
            fields.push_back(trim(line.substr(start, bar - start)));
        }
        fields.push_back(trim(line.substr(start)));
        REQUIRE_MESSAGE(fields.size() == 4, "malformed line in skips.txt: " << line);
        skips[fields[0] + " | " + fields[1] + " | " + fields[2]] = {fields[3]};
    }
    return skips;
}

}  // namespace

TEST_SUITE("json_schema") {
    TEST_CASE("json-schema draft-07: every case of the official test suite") {
        auto skips = read_skips();
        RegistryOptions options;
        options.uri_mappings.emplace_back("http://localhost:1234/", kData / "remotes");

        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(kData / "draft7")) {
            if (entry.path().extension() == ".json") files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        REQUIRE_FALSE(files.empty());

        tessera::json::ParseLimits limits;
        limits.max_bytes = std::size_t{64} << 20;
        limits.max_depth = 512;
        std::size_t passed = 0;
        std::size_t skipped = 0;
        for (const auto& file : files) {
            auto groups = tessera::json::parse(read_text(file), limits);
            REQUIRE_MESSAGE(groups.has_value(), file.string());
            for (const auto& group : groups->as_array()) {
                const std::string group_name(group.at("description").as_string());
                auto schema = Registry::compile(group.at("schema"), "suite", {}, options);
                for (const auto& test : group.at("tests").as_array()) {
                    const std::string key = file.filename().string() + " | " + group_name + " | " +
                                            std::string(test.at("description").as_string());
                    const bool expected = test.at("valid").as_bool();
                    std::string detail;
                    bool ok = false;
                    if (!schema) {
                        detail = "schema rejected: " + schema.error().message();
                    } else {
                        const auto errors = (*schema)->validate(test.at("data"));
                        ok = errors.empty() == expected;
                        if (!ok) {
                            detail = expected ? "rejected: " + errors.front().pointer + ": " + errors.front().message
                                              : "accepted an invalid document";
                        }
                    }
                    if (const auto skip = skips.find(key); skip != skips.end()) {
                        skip->second.seen = true;
                        CHECK_MESSAGE(!ok, "skipped case now passes; remove it from skips.txt: " << key);
                        ++skipped;
                        continue;
                    }
                    CHECK_MESSAGE(ok, key << ": " << detail);
                    passed += ok ? 1 : 0;
                }
            }
        }
        for (const auto& [key, skip] : skips) {
            CHECK_MESSAGE(skip.seen, "skips.txt names a case the suite does not have: " << key);
        }
        std::cout << "json-schema draft-07: " << passed << " passed, " << skipped << " skipped (see skips.txt)\n";
    }
}
