#include <tessera/result.hpp>

#include <doctest/doctest.h>

#include <string>

using tessera::Error;
using tessera::ErrorCode;
using tessera::Result;

namespace {
Result<int> half(int n) {
    if (n % 2 != 0) return Error(ErrorCode::invalid, "odd", {{"n", n}});
    return n / 2;
}
}  // namespace

TEST_SUITE("core") {
    TEST_CASE("Result: holds a value or an error") {
        auto ok = half(4);
        REQUIRE(ok);
        CHECK(*ok == 2);
        CHECK(ok.value() == 2);

        auto bad = half(3);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().code() == ErrorCode::invalid);
        CHECK(bad.error().details().at("n").as_int64() == 3);
        CHECK(bad.value_or(-1) == -1);
    }

    TEST_CASE("Result: value() on an error throws tessera::Exception carrying the error") {
        auto bad = half(1);
        try {
            (void)bad.value();
            FAIL("value() did not throw");
        } catch (const tessera::Exception& e) {
            CHECK(e.error().code() == ErrorCode::invalid);
            CHECK(std::string(e.what()) == "invalid: odd");
        }
    }

    TEST_CASE("Result<void>: success or error") {
        Result<void> ok;
        CHECK(ok.has_value());
        CHECK_NOTHROW(ok.value());
        Result<void> bad = Error(ErrorCode::unavailable, "redis down");
        CHECK_FALSE(bad);
        CHECK(bad.error().retryable());
        CHECK_THROWS_AS(bad.value(), tessera::Exception);
    }

    TEST_CASE("Error: wire names and JSON form") {
        CHECK(tessera::to_string(ErrorCode::precondition_required) == "precondition_required");
        CHECK(tessera::to_string(ErrorCode::unsupported_media_type) == "unsupported_media_type");
        CHECK_FALSE(Error(ErrorCode::invalid, "x").retryable());
        CHECK(Error(ErrorCode::timeout, "x").retryable());
        auto json = Error(ErrorCode::not_found, "no plan", {{"id", "12"}}).to_json();
        CHECK(json.at("code").as_string() == "not_found");
        CHECK(json.at("message").as_string() == "no plan");
        CHECK(json.at("id").as_string() == "12");
    }
}
