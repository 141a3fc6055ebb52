// Robustness ("fuzz-ish"): a bounded, deterministic loop of mutated documents and patches fed to
// json::parse, json::apply_json_patch, json::merge_patch and json::to_canonical. Nothing may crash
// (run it under the asan preset too), and whatever parses must have a canonical text that is a
// fixed point of parse → to_canonical.
#include <tessera/json/canonical.hpp>

#include <tessera/json/equal.hpp>
#include <tessera/json/parse.hpp>
#include <tessera/json/patch.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace json = tessera::json;

namespace {

constexpr std::array<std::string_view, 5> kDocuments = {
    R"({"objectId": "12xvxc345ssdsds-508", "objectType": "plan", "planType": "inNetwork",
        "creationDate": "12-12-2017", "_org": "example.com",
        "planCostShares": {"deductible": 2000, "copay": 23, "objectId": "1234vxc2324sdf-501"},
        "linkedPlanServices": [
          {"objectId": "27283xvx9asdff-504", "linkedService": {"name": "Yearly physical", "objectId": "1234520xvc30asdf-502"},
           "planserviceCostShares": {"deductible": 10, "copay": 0.5, "objectId": "1234512xvc1314asdfs-503"}},
          {"objectId": "27283xvx9sdf-507", "linkedService": {"name": "well baby", "objectId": "1234520xvc30sfs-505"},
           "planserviceCostShares": {"deductible": 10, "copay": 175e-1, "objectId": "1234512xvc1314sdfsd-506"}}]})",
    R"({"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8})",
    R"([0, -0.0, 1.5e-7, 1e21, 18446744073709551615, -9223372036854775808, 9007199254740993, 0.1, 5e-324, true, null])",
    R"({"s": "tab\there \u00e9 \u20ac \ud83d\ude00 \u0001 \"q\" \\", "n": {"deep": [[[{"x": [1, {"y": {}}]}]]]}})",
    R"({"guid": "4F3C2A1B0E9D8C7B6A5F4E3D2C1B0A99", "expire": "2026-11-23T04:13:20Z", "user": "x", "tags": []})",
};

// kPatches[i] is written for kDocuments[i].
constexpr std::array<std::string_view, 3> kPatches = {
    R"([{"op": "test", "path": "/planCostShares/copay", "value": 23.0},
        {"op": "replace", "path": "/planCostShares/deductible", "value": 2500},
        {"op": "add", "path": "/linkedPlanServices/-", "value": {"objectId": "x"}},
        {"op": "copy", "from": "/planCostShares", "path": "/linkedPlanServices/0/copied"},
        {"op": "move", "from": "/planType", "path": "/linkedPlanServices/1/planType"},
        {"op": "remove", "path": "/linkedPlanServices/0"}])",
    R"([{"op": "add", "path": "/foo/1", "value": "qux"}, {"op": "remove", "path": "/a~1b"},
        {"op": "move", "from": "/m~0n", "path": "/foo/-"}, {"op": "test", "path": "/", "value": 0}])",
    R"([{"op": "add", "path": "/0", "value": [1]}, {"op": "remove", "path": "/1"},
        {"op": "move", "from": "/0", "path": "/-"}, {"op": "replace", "path": "", "value": {"a": 1}}])",
};

// Bytes that steer mutations towards JSON's structure rather than only towards garbage.
constexpr std::string_view kInteresting = "{}[]\":,\\/~01-+.eEun \t\x7f\xc3\xa9\x80\xff\0";

class Mutator {
public:
    explicit Mutator(std::uint32_t seed) : rng_(seed) {}

    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }

    char some_byte() {
        return below(2) == 0 ? kInteresting[below(kInteresting.size())] : static_cast<char>(below(256));
    }

    // One to three edits: truncate, overwrite, insert, delete a range, or duplicate a slice.
    std::string mutate(std::string_view original) {
        std::string text(original);
        const std::size_t edits = 1 + below(3);
        for (std::size_t e = 0; e < edits; ++e) {
            const std::size_t at = below(text.size() + 1);
            switch (below(5)) {
                case 0:
                    text.resize(at);
                    break;
                case 1:
                    if (at < text.size()) text[at] = some_byte();
                    break;
                case 2:
                    text.insert(at, 1, some_byte());
                    break;
                case 3:
                    text.erase(at, below(8));
                    break;
                default:
                    text.insert(at, text.substr(below(text.size() + 1), below(16)));
                    break;
            }
        }
        return text;
    }

private:
    std::mt19937 rng_;
};

// parse → to_canonical → parse → to_canonical must give the same text and an equal value.
void check_canonical_fixed_point(const boost::json::value& value) {
    const std::string text = json::to_canonical(value);
    // Canonical text can be longer than the input ("1e20" has 21 digits), so no size limit here.
    auto reparsed = json::parse(text, {.max_bytes = text.size(), .max_depth = 64});
    REQUIRE_MESSAGE(reparsed, text);
    CHECK(json::equal(*reparsed, value));
    CHECK(json::to_canonical(*reparsed) == text);
}

}  // namespace

TEST_SUITE("json") {
    TEST_CASE("robustness: mutated documents and patches never crash, canonical text is a fixed point") {
        constexpr int kIterations = 4000;
        const json::ParseLimits limits{.max_bytes = 4096, .max_depth = 16};
        Mutator mutator(20240611);
        std::array<boost::json::value, kDocuments.size()> documents;
        for (std::size_t i = 0; i < kDocuments.size(); ++i) documents[i] = json::parse(kDocuments[i]).value();
        std::array<boost::json::value, kPatches.size()> patches;
        for (std::size_t i = 0; i < kPatches.size(); ++i) patches[i] = json::parse(kPatches[i]).value();

        int parsed_documents = 0;
        int parsed_patches = 0;
        int applied_patches = 0;
        for (int i = 0; i < kIterations; ++i) {
            const auto& base = documents[mutator.below(documents.size())];

            // A mutated document: parse it; if it parses, canonicalise it and use it as a target
            // of a seed patch and as a patch (JSON Patch and merge patch) on a seed document.
            const std::string text = mutator.mutate(kDocuments[mutator.below(kDocuments.size())]);
            if (auto parsed = json::parse(text, limits)) {
                ++parsed_documents;
                check_canonical_fixed_point(*parsed);
                if (auto result = json::apply_json_patch(*parsed, patches[mutator.below(patches.size())])) {
                    check_canonical_fixed_point(*result);
                }
                if (auto result = json::apply_json_patch(base, *parsed)) check_canonical_fixed_point(*result);
                check_canonical_fixed_point(json::merge_patch(base, *parsed));
                check_canonical_fixed_point(json::make_merge_patch(base, *parsed));
            }

            // A mutated patch applied to the document it was written for: a failure leaves no trace.
            const std::size_t target = mutator.below(kPatches.size());
            const std::string patch_text = mutator.mutate(kPatches[target]);
            if (auto patch = json::parse(patch_text, limits)) {
                ++parsed_patches;
                const auto before = json::to_canonical(documents[target]);
                if (auto result = json::apply_json_patch(documents[target], *patch)) {
                    ++applied_patches;
                    check_canonical_fixed_point(*result);
                } else {
                    CHECK(result.error().details().contains("pointer"));
                }
                CHECK(json::to_canonical(documents[target]) == before);
            }
        }
        MESSAGE("json robustness: " << kIterations << " iterations, " << parsed_documents << " mutated documents and "
                                    << parsed_patches << " mutated patches parsed, " << applied_patches
                                    << " mutated patches applied");
        // The mutations must leave enough valid input for the checks above to mean something.
        CHECK(parsed_documents > kIterations / 20);
        CHECK(applied_patches > kIterations / 50);
    }
}
