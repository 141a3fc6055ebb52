// RFC 6902 conformance: every non-disabled case of the json-patch-tests suite
// (data/json-patch/tests.json, Apache-2.0, see its README.md) against json::apply_json_patch.
#include <tessera/json/equal.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace json = tessera::json;

namespace {

boost::json::value load_suite(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    REQUIRE_MESSAGE(file, "cannot open " << path);
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    auto suite = json::parse(text, {.max_bytes = 16 << 20, .max_depth = 64});
    REQUIRE_MESSAGE(suite, path << ": " << (suite ? "" : suite.error().to_string()));
    return std::move(*suite);
}

}  // namespace

TEST_SUITE("json_patch") {
    TEST_CASE("json_patch: every enabled case of json-patch-tests tests.json") {
        const auto suite = load_suite(TESSERA_CONFORMANCE_DATA "/json-patch/tests.json");
        int passed = 0;
        int failed = 0;
        int disabled = 0;
        int comment_only = 0;
        const auto& cases = suite.as_array();
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const auto& record = cases[i].as_object();
            const auto* comment = record.if_contains("comment");
            INFO("case " << i << (comment != nullptr ? ": " + boost::json::serialize(*comment) : std::string()));
            if (const auto* off = record.if_contains("disabled"); off != nullptr && off->is_bool() && off->get_bool()) {
                ++disabled;
                continue;
            }
            // The format allows records that only carry a comment.
            if (!record.contains("doc") || !record.contains("patch")) {
                ++comment_only;
                continue;
            }
            const auto result = json::apply_json_patch(record.at("doc"), record.at("patch"));
            bool ok = false;
            if (const auto* expected = record.if_contains("expected")) {
                ok = result && json::equal(*result, *expected);
                CHECK_MESSAGE(ok, "expected " << boost::json::serialize(*expected) << ", got "
                                              << (result ? boost::json::serialize(*result) : result.error().to_string()));
            } else if (const auto* error = record.if_contains("error")) {
                // Only the failure is specified; the error text is the suite's, not ours.
                ok = !result && result.error().details().contains("op");
                CHECK_MESSAGE(ok, "expected an error (" << boost::json::serialize(*error) << "), got "
                                                        << (result ? boost::json::serialize(*result) : "an error without details.op"));
            } else {
                ok = result.has_value();
                CHECK_MESSAGE(ok, "expected success, got " << result.error().to_string());
            }
            ++(ok ? passed : failed);
        }
        MESSAGE("json-patch conformance: " << passed << " passed, " << failed << " failed, " << disabled
                                           << " disabled (skipped), " << comment_only << " comment-only");
        CHECK(failed == 0);
        CHECK(passed + disabled + comment_only == static_cast<int>(cases.size()));
    }
}
