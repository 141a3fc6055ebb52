#include <tessera/json/patch.hpp>

#include <tessera/json/canonical.hpp>
#include <tessera/json/equal.hpp>
#include <tessera/json/parse.hpp>

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <string>

using tessera::ErrorCode;
namespace json = tessera::json;
using boost::json::value;

namespace {

value doc(std::string_view text) {
    return json::parse(text).value();
}

// Canonical text, so that expectations do not depend on member order.
std::string canonical(const value& v) {
    return json::to_canonical(v);
}
std::string canonical_text(std::string_view text) {
    return json::to_canonical(doc(text));
}

std::string merged(std::string_view target, std::string_view patch) {
    return canonical(json::merge_patch(doc(target), doc(patch)));
}

std::string patched(std::string_view document, std::string_view patch) {
    return canonical(json::apply_json_patch(doc(document), doc(patch)).value());
}

tessera::Error patch_error(std::string_view document, std::string_view patch) {
    auto result = json::apply_json_patch(doc(document), doc(patch));
    REQUIRE_FALSE(result);
    return result.error();
}

// A plan in the shape of seed 000: nested objects and an array of linked services.
const char* const kPlan = R"({
    "objectId": "12xvxc345ssdsds-508", "objectType": "plan", "planType": "inNetwork",
    "planCostShares": {"deductible": 2000, "copay": 23, "objectId": "1234vxc2324sdf-501"},
    "linkedPlanServices": [
        {"objectId": "27283xvx9asdff-504", "linkedService": {"name": "Yearly physical", "objectId": "1234520xvc30asdf-502"}},
        {"objectId": "27283xvx9sdf-507", "linkedService": {"name": "well baby", "objectId": "1234520xvc30sfs-505"}}
    ]
})";

}  // namespace

TEST_SUITE("json") {
    TEST_CASE("merge_patch: every example of RFC 7386 Appendix A") {
        CHECK(merged(R"({"a":"b"})", R"({"a":"c"})") == canonical_text(R"({"a":"c"})"));
        CHECK(merged(R"({"a":"b"})", R"({"b":"c"})") == canonical_text(R"({"a":"b","b":"c"})"));
        CHECK(merged(R"({"a":"b"})", R"({"a":null})") == canonical_text(R"({})"));
        CHECK(merged(R"({"a":"b","b":"c"})", R"({"a":null})") == canonical_text(R"({"b":"c"})"));
        CHECK(merged(R"({"a":["b"]})", R"({"a":"c"})") == canonical_text(R"({"a":"c"})"));
        CHECK(merged(R"({"a":"c"})", R"({"a":["b"]})") == canonical_text(R"({"a":["b"]})"));
        CHECK(merged(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})") == canonical_text(R"({"a":{"b":"d"}})"));
        CHECK(merged(R"({"a":[{"b":"c"}]})", R"({"a":[1]})") == canonical_text(R"({"a":[1]})"));
        CHECK(merged(R"(["a","b"])", R"(["c","d"])") == canonical_text(R"(["c","d"])"));
        CHECK(merged(R"({"a":"b"})", R"(["c"])") == canonical_text(R"(["c"])"));
        CHECK(merged(R"({"a":"foo"})", "null") == "null");
        CHECK(merged(R"({"a":"foo"})", R"("bar")") == R"("bar")");
        CHECK(merged(R"({"e":null})", R"({"a":1})") == canonical_text(R"({"e":null,"a":1})"));
        CHECK(merged(R"([1,2])", R"({"a":"b","c":null})") == canonical_text(R"({"a":"b"})"));
        CHECK(merged(R"({})", R"({"a":{"bb":{"ccc":null}}})") == canonical_text(R"({"a":{"bb":{}}})"));
    }

    TEST_CASE("merge_patch: the example of RFC 7386 §3") {
        const auto target = R"({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
                                "tags": ["example", "sample"], "content": "This will be unchanged"})";
        const auto patch = R"({"title": "Hello!", "phoneNumber": "+01-123-456-7890",
                               "author": {"familyName": null}, "tags": ["example"]})";
        CHECK(merged(target, patch) == canonical_text(R"({"title": "Hello!", "author": {"givenName": "John"},
            "tags": ["example"], "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"})"));
    }

    TEST_CASE("merge_patch: members keep their order; removal does not reorder") {
        const auto result = json::merge_patch(doc(R"({"a":1,"b":2,"c":3,"d":4})"), doc(R"({"a":null,"b":5})"));
        CHECK(boost::json::serialize(result) == R"({"b":5,"c":3,"d":4})");
    }

    TEST_CASE("merge_patch: make_merge_patch round trips") {
        const auto check_round_trip = [](std::string_view from_text, std::string_view to_text) {
            CAPTURE(from_text);
            CAPTURE(to_text);
            const auto from = doc(from_text);
            const auto to = doc(to_text);
            const auto patch = json::make_merge_patch(from, to);
            CHECK(json::equal(json::merge_patch(from, patch), to));
            return patch;
        };
        CHECK(canonical(check_round_trip(R"({"a":1,"b":2})", R"({"a":1,"b":3})")) == R"({"b":3})");
        CHECK(canonical(check_round_trip(R"({"a":1,"b":2})", R"({"a":1})")) == R"({"b":null})");
        CHECK(canonical(check_round_trip(R"({"a":{"x":1,"y":2}})", R"({"a":{"x":1,"y":3,"z":[1]}})")) ==
              R"({"a":{"y":3,"z":[1]}})");
        CHECK(canonical(check_round_trip(R"({"a":{"x":1}})", R"({"a":[1]})")) == R"({"a":[1]})");
        CHECK(canonical(check_round_trip(R"({"a":[1]})", R"({"a":{"x":1}})")) == R"({"a":{"x":1}})");
        CHECK(canonical(check_round_trip(R"({"a":1})", R"({"a":1.0})")) == "{}");
        CHECK(canonical(check_round_trip(R"({"a":1})", R"([1,2])")) == "[1,2]");
        CHECK(canonical(check_round_trip(R"([1])", R"({"a":1})")) == R"({"a":1})");
        CHECK(canonical(check_round_trip(R"("x")", R"("y")")) == R"("y")");
        CHECK(canonical(check_round_trip(R"({"a":1})", "null")) == "null");
        CHECK(canonical(check_round_trip("{}", "{}")) == "{}");
        check_round_trip(kPlan, R"({"objectId": "12xvxc345ssdsds-508", "objectType": "plan",
            "planCostShares": {"deductible": 2500, "copay": 23, "objectId": "1234vxc2324sdf-501", "extra": {"k": true}},
            "linkedPlanServices": []})");
    }

    TEST_CASE("merge_patch: make_merge_patch omits members set to null, which RFC 7386 cannot express") {
        const auto patch = json::make_merge_patch(doc(R"({"a":1,"b":2})"), doc(R"({"a":null,"b":2})"));
        CHECK(canonical(patch) == "{}");
    }

    TEST_CASE("json_patch: the examples of RFC 6902 Appendix A") {
        // A.1 - A.8, A.10, A.11, A.14 - A.16
        CHECK(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])") ==
              canonical_text(R"({"baz":"qux","foo":"bar"})"));
        CHECK(patched(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])") ==
              canonical_text(R"({"foo":["bar","qux","baz"]})"));
        CHECK(patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])") ==
              canonical_text(R"({"foo":"bar"})"));
        CHECK(patched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])") ==
              canonical_text(R"({"foo":["bar","baz"]})"));
        CHECK(patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])") ==
              canonical_text(R"({"baz":"boo","foo":"bar"})"));
        CHECK(patched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                      R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])") ==
              canonical_text(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
        CHECK(patched(R"({"foo":["all","grass","cows","eat"]})", R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])") ==
              canonical_text(R"({"foo":["all","cows","eat","grass"]})"));
        CHECK(patched(R"({"baz":"qux","foo":["a",2,"c"]})",
                      R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])") ==
              canonical_text(R"({"baz":"qux","foo":["a",2,"c"]})"));
        CHECK(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])") ==
              canonical_text(R"({"foo":"bar","child":{"grandchild":{}}})"));
        CHECK(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])") ==
              canonical_text(R"({"foo":"bar","baz":"qux"})"));
        CHECK(patched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])") ==
              canonical_text(R"({"/":9,"~1":10})"));
        CHECK(patched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])") ==
              canonical_text(R"({"foo":["bar",["abc","def"]]})"));
        // A.9, A.12, A.15
        CHECK(patch_error(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])").code() ==
              ErrorCode::conflict);
        CHECK(patch_error(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])").code() ==
              ErrorCode::conflict);
        CHECK(patch_error(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])").code() ==
              ErrorCode::conflict);
    }

    TEST_CASE("json_patch: every operation on a plan document") {
        const auto result = patched(kPlan, R"([
            {"op": "test", "path": "/planCostShares/copay", "value": 23.0},
            {"op": "replace", "path": "/planCostShares/deductible", "value": 2500},
            {"op": "add", "path": "/linkedPlanServices/-", "value": {"objectId": "new-1"}},
            {"op": "copy", "from": "/planCostShares/objectId", "path": "/linkedPlanServices/2/costShares"},
            {"op": "move", "from": "/planType", "path": "/linkedPlanServices/0/planType"},
            {"op": "remove", "path": "/linkedPlanServices/1"},
            {"op": "add", "path": "/note", "value": null}
        ])");
        CHECK(result == canonical_text(R"({
            "objectId": "12xvxc345ssdsds-508", "objectType": "plan", "note": null,
            "planCostShares": {"deductible": 2500, "copay": 23, "objectId": "1234vxc2324sdf-501"},
            "linkedPlanServices": [
                {"objectId": "27283xvx9asdff-504", "planType": "inNetwork",
                 "linkedService": {"name": "Yearly physical", "objectId": "1234520xvc30asdf-502"}},
                {"objectId": "new-1", "costShares": "1234vxc2324sdf-501"}
            ]
        })"));
    }

    TEST_CASE("json_patch: operations on the root") {
        CHECK(patched(R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])") == "[1]");
        CHECK(patched(R"({"a":1})", R"([{"op":"add","path":"","value":"x"}])") == R"("x")");
        CHECK(patched(R"({"a":1})", R"([{"op":"test","path":"","value":{"a":1.0}}])") == R"({"a":1})");
        CHECK(patched(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":""}])") == R"({"b":1})");
        CHECK(patched(R"({"a":1})", R"([{"op":"copy","from":"","path":"/b"}])") == R"({"a":1,"b":{"a":1}})");
        CHECK(patch_error(R"({"a":1})", R"([{"op":"remove","path":""}])").code() == ErrorCode::malformed);
    }

    TEST_CASE("json_patch: move onto itself is a no-op, into its own child is malformed") {
        CHECK(patched(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a"}])") == R"({"a":{"b":1}})");
        CHECK(patch_error(R"({"a":{"b":1}})", R"([{"op":"move","from":"/x","path":"/x"}])").code() ==
              ErrorCode::conflict);
        CHECK(patch_error(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])").code() ==
              ErrorCode::malformed);
        CHECK(patch_error(R"({"a":{"b":1}})", R"([{"op":"move","from":"","path":"/a"}])").code() ==
              ErrorCode::malformed);
        // "/a" is not a prefix of "/ab": tokens are compared, not characters.
        CHECK(patched(R"({"a":1})", R"([{"op":"move","from":"/a","path":"/ab"}])") == R"({"ab":1})");
    }

    TEST_CASE("json_patch: malformed patches are malformed") {
        const auto check_malformed = [](std::string_view patch) {
            CAPTURE(patch);
            const auto error = patch_error(R"({"a":[1]})", patch);
            CHECK(error.code() == ErrorCode::malformed);
            return error;
        };
        const auto not_array = check_malformed(R"({"op":"add","path":"/b","value":1})");
        CHECK(not_array.details().at("pointer") == "");
        check_malformed("[1]");
        check_malformed(R"([{"path":"/b","value":1}])");
        check_malformed(R"([{"op":1,"path":"/b","value":1}])");
        check_malformed(R"([{"op":"ADD","path":"/b","value":1}])");
        check_malformed(R"([{"op":"spam","path":"/b","value":1}])");
        check_malformed(R"([{"op":"add","value":1}])");
        check_malformed(R"([{"op":"add","path":null,"value":1}])");
        check_malformed(R"([{"op":"add","path":"b","value":1}])");
        check_malformed(R"([{"op":"add","path":"/~2","value":1}])");
        check_malformed(R"([{"op":"add","path":"/b"}])");
        check_malformed(R"([{"op":"replace","path":"/a"}])");
        check_malformed(R"([{"op":"test","path":"/a"}])");
        check_malformed(R"([{"op":"copy","path":"/b"}])");
        check_malformed(R"([{"op":"move","path":"/b","from":5}])");
        check_malformed(R"([{"op":"move","path":"/b","from":"a"}])");
        // A malformed operation is malformed even where the document would also make it fail.
        check_malformed(R"([{"op":"copy","path":"b","from":"/missing"}])");
    }

    TEST_CASE("json_patch: operations the document cannot satisfy are conflicts") {
        for (const char* patch : {
                 R"([{"op":"add","path":"/x/y","value":1}])",
                 R"([{"op":"add","path":"/a/2","value":1}])",
                 R"([{"op":"add","path":"/a/-1","value":1}])",
                 R"([{"op":"add","path":"/a/01","value":1}])",
                 R"([{"op":"add","path":"/s/x","value":1}])",
                 R"([{"op":"remove","path":"/x"}])",
                 R"([{"op":"remove","path":"/a/1"}])",
                 R"([{"op":"remove","path":"/a/-"}])",
                 R"([{"op":"replace","path":"/x","value":1}])",
                 R"([{"op":"replace","path":"/a/1","value":1}])",
                 R"([{"op":"move","from":"/x","path":"/y"}])",
                 R"([{"op":"move","from":"/s","path":"/a/5"}])",
                 R"([{"op":"copy","from":"/x","path":"/y"}])",
                 R"([{"op":"copy","from":"/s","path":"/q/r"}])",
                 R"([{"op":"test","path":"/x","value":null}])",
                 R"([{"op":"test","path":"/a","value":[2]}])",
                 R"([{"op":"test","path":"/s","value":"T"}])",
             }) {
            CAPTURE(patch);
            const auto error = patch_error(R"({"a":[1],"s":"t"})", patch);
            CHECK(error.code() == ErrorCode::conflict);
            CHECK(error.details().at("op") == 0);
            CHECK(error.details().at("pointer") == "/0");
        }
    }

    TEST_CASE("json_patch: atomic - a failing later operation leaves the input untouched") {
        const auto original = doc(kPlan);
        const auto copy = original;
        const auto result = json::apply_json_patch(original, doc(R"([
            {"op": "replace", "path": "/planType", "value": "outOfNetwork"},
            {"op": "remove", "path": "/linkedPlanServices/0"},
            {"op": "test", "path": "/planCostShares/copay", "value": 24},
            {"op": "add", "path": "/never", "value": 1}
        ])"));
        REQUIRE_FALSE(result);
        CHECK(result.error().code() == ErrorCode::conflict);
        CHECK(result.error().details().at("op") == 2);
        CHECK(result.error().details().at("pointer") == "/2");
        CHECK(result.error().message().find("operation 2 (test)") != std::string::npos);
        CHECK(original == copy);
        CHECK(json::to_canonical(original) == json::to_canonical(copy));
    }

    TEST_CASE("json_patch: an empty patch returns the document") {
        CHECK(patched(kPlan, "[]") == canonical_text(kPlan));
    }

    TEST_CASE("json_patch: added values are copies, independent of the patch and of each other") {
        const auto result = json::apply_json_patch(doc(R"({"a":{"b":[1]}})"), doc(R"([
            {"op":"copy","from":"/a","path":"/c"},
            {"op":"add","path":"/c/b/-","value":2},
            {"op":"replace","path":"/a/b/0","value":0}
        ])"));
        REQUIRE(result);
        CHECK(canonical(*result) == R"({"a":{"b":[0]},"c":{"b":[1,2]}})");
    }

    TEST_CASE("json_patch: issue 11 — a copy bomb stops at the document limit before it allocates") {
        // 19 copies of a list onto itself would be 2^19 of it: the budget stops the patch at the copy
        // that would cross the limit, naming that operation.
        std::string ops = "[";
        for (int i = 0; i < 19; ++i) ops += std::string(i ? "," : "") + R"({"op":"copy","from":"/l","path":"/l/-"})";
        ops += "]";
        const auto document = doc(R"({"l":[{"name":"a service with a long enough name"}]})");
        tessera::json::PatchLimits limits;
        limits.max_document_bytes = 4096;
        auto result = tessera::json::apply_json_patch(document, doc(ops), limits);
        REQUIRE_FALSE(result);
        CHECK(result.error().code() == ErrorCode::too_large);
        const auto op = result.error().details().at("op").to_number<std::size_t>();
        CHECK(op > 3);
        CHECK(op < 10);
        CHECK(result.error().details().at("pointer").as_string() == "/" + std::to_string(op));
        // The same patch, with room: it applies.
        limits.max_document_bytes = std::size_t{64} << 20;
        CHECK(tessera::json::apply_json_patch(document, doc(ops), limits));
    }

    TEST_CASE("json_patch: issue 11 — copying and removing one value again and again runs out of budget") {
        std::string big(3000, 'x');
        const auto document = doc(R"({"a":")" + big + R"("})");
        std::string ops = "[";
        for (int i = 0; i < 200; ++i) {
            ops += std::string(i ? "," : "") + R"({"op":"copy","from":"/a","path":"/b"},{"op":"remove","path":"/b"})";
        }
        ops += "]";
        tessera::json::PatchLimits limits;
        limits.max_document_bytes = 8192;  // never exceeded: at most two copies at a time
        auto result = tessera::json::apply_json_patch(document, doc(ops), limits);
        REQUIRE_FALSE(result);
        CHECK(result.error().code() == ErrorCode::too_large);
        CHECK(result.error().message().find("copies or walks") != std::string::npos);
    }
}
