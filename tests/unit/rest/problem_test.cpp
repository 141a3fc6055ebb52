#include <tessera/rest/problem.hpp>

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <chrono>

using tessera::Error;
using tessera::ErrorCode;

TEST_SUITE("rest") {
    TEST_CASE("problem: every ErrorCode maps to its status") {
        CHECK(tessera::rest::http_status(Error(ErrorCode::invalid, "")) == 422);
        CHECK(tessera::rest::http_status(Error(ErrorCode::malformed, "")) == 400);
        CHECK(tessera::rest::http_status(Error(ErrorCode::not_found, "")) == 404);
        CHECK(tessera::rest::http_status(Error(ErrorCode::conflict, "")) == 409);
        CHECK(tessera::rest::http_status(Error(ErrorCode::precondition_failed, "")) == 412);
        CHECK(tessera::rest::http_status(Error(ErrorCode::precondition_required, "")) == 428);
        CHECK(tessera::rest::http_status(Error(ErrorCode::unauthorized, "")) == 401);
        CHECK(tessera::rest::http_status(Error(ErrorCode::forbidden, "")) == 403);
        CHECK(tessera::rest::http_status(Error(ErrorCode::too_large, "")) == 413);
        CHECK(tessera::rest::http_status(Error(ErrorCode::unsupported_media_type, "")) == 415);
        CHECK(tessera::rest::http_status(Error(ErrorCode::rate_limited, "")) == 429);
        CHECK(tessera::rest::http_status(Error(ErrorCode::unavailable, "")) == 503);
        CHECK(tessera::rest::http_status(Error(ErrorCode::timeout, "")) == 503);
        CHECK(tessera::rest::http_status(Error(ErrorCode::method_not_allowed, "")) == 405);
        CHECK(tessera::rest::http_status(Error(ErrorCode::internal, "")) == 500);
        CHECK(tessera::rest::http_status(Error(ErrorCode::unsupported, "")) == 501);
    }

    TEST_CASE("problem: RFC 9457 body, details kept, backend internals dropped, Retry-After on 503") {
        auto response = tessera::rest::make_problem(
            Error(ErrorCode::unavailable, "redis is down", {{"backend", {{"redis", "ECONNREFUSED"}}}, {"hint", 1}}),
            "/api/plans/1");
        CHECK(response.status == 503);
        CHECK(response.headers.get("Content-Type") == "application/problem+json");
        CHECK(response.headers.get("Retry-After").has_value());
        auto body = boost::json::parse(response.body).as_object();
        CHECK(body.at("type").as_string() == "about:blank");
        CHECK(body.at("title").as_string() == "Service Unavailable");
        CHECK(body.at("status").as_int64() == 503);
        CHECK(body.at("detail").as_string() == "redis is down");
        CHECK(body.at("instance").as_string() == "/api/plans/1");
        CHECK(body.at("hint").as_int64() == 1);
        CHECK_FALSE(body.contains("backend"));
    }

    TEST_CASE("problem: Retry-After is the error's own wait, rounded up to whole seconds, else 1") {
        using namespace std::chrono_literals;
        auto with_wait = [](std::chrono::milliseconds wait) {
            return tessera::rest::make_problem(Error(ErrorCode::unavailable, "circuit open").set_retry_after(wait));
        };
        CHECK(with_wait(4200ms).headers.get("Retry-After") == "5");
        CHECK(with_wait(5000ms).headers.get("Retry-After") == "5");
        CHECK(with_wait(1ms).headers.get("Retry-After") == "1");
        CHECK(with_wait(0ms).headers.get("Retry-After") == "1");
        CHECK(tessera::rest::make_problem(Error(ErrorCode::timeout, "slow")).headers.get("Retry-After") == "1");
    }
}
