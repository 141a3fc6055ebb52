#include <tessera/remote/http_client.hpp>

#include "support/http_stub.hpp"
#include "support/net.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using tessera::ErrorCode;
using tessera::remote::HttpClient;
using tessera::remote::HttpClientOptions;
using tessera::remote::HttpRequest;
using tessera::test::HttpStub;
using tessera::test::StubRequest;
using tessera::test::StubResponse;

namespace {
HttpClientOptions with_timeout(std::chrono::milliseconds timeout) {
    HttpClientOptions options;
    options.timeout = timeout;
    return options;
}
}  // namespace

TEST_SUITE("remote.http") {
    TEST_CASE("HttpClient: status, body and headers round trip") {
        HttpStub stub([](const StubRequest& request) {
            StubResponse response = StubResponse::json(201, R"({"echo":")" + request.body + R"("})");
            response.headers.emplace_back("X-Seen-Method", request.method);
            response.headers.emplace_back("X-Seen-Header", request.header("X-Custom"));
            return response;
        });
        HttpClient client;
        HttpRequest request{"PUT", stub.url() + "/items/7?refresh=true", {{"X-Custom", "a b"}, {"Content-Type", "text/plain"}}, "hello", {}};
        auto response = client.send(request);
        REQUIRE(response);
        CHECK(response->status == 201);
        CHECK(response->body == R"({"echo":"hello"})");
        REQUIRE(response->header("x-seen-method") != nullptr);
        CHECK(*response->header("X-Seen-Method") == "PUT");
        CHECK(*response->header("X-SEEN-HEADER") == "a b");
        CHECK(*response->header("content-type") == "application/json");
        CHECK(response->header("X-Absent") == nullptr);

        const auto requests = stub.requests();
        REQUIRE(requests.size() == 1);
        CHECK(requests[0].method == "PUT");
        CHECK(requests[0].target == "/items/7?refresh=true");
        CHECK(requests[0].body == "hello");
        CHECK(requests[0].header("Content-Type") == "text/plain");
        CHECK(requests[0].header("User-Agent").starts_with("tessera/"));
        CHECK(requests[0].header("Expect").empty());

        SUBCASE("other methods and an empty POST") {
            for (const char* method : {"GET", "DELETE", "HEAD", "POST"}) {
                auto r = client.send(HttpRequest{method, stub.url() + "/m", {}, "", {}});
                REQUIRE(r);
                CHECK(r->status == 201);
                CHECK(stub.requests().back().method == method);
                CHECK(r->body == (std::string(method) == "HEAD" ? "" : R"({"echo":""})"));
            }
        }
        SUBCASE("a 5xx status is a response, not an error") {
            stub.set_handler([](const StubRequest&) { return StubResponse::json(503, R"({"error":"busy"})"); });
            auto r = client.send(HttpRequest{"GET", stub.url() + "/", {}, "", {}});
            REQUIRE(r);
            CHECK(r->status == 503);
            CHECK(r->body == R"({"error":"busy"})");
        }
        SUBCASE("a redirect is returned, not followed") {
            stub.set_handler([&](const StubRequest&) {
                return StubResponse{302, {{"Location", stub.url() + "/elsewhere"}}, "", {}, StubResponse::Action::respond};
            });
            auto r = client.send(HttpRequest{"GET", stub.url() + "/", {}, "", {}});
            REQUIRE(r);
            CHECK(r->status == 302);
            CHECK(stub.requests().size() == 2);
        }
    }

    TEST_CASE("HttpClient: one connection serves consecutive requests, from several threads too") {
        HttpStub stub([](const StubRequest&) { return StubResponse::json(200, "{}"); });
        HttpClient client;
        for (int i = 0; i < 5; ++i) {
            auto r = client.send(HttpRequest{"POST", stub.url() + "/n/" + std::to_string(i), {}, std::string(3000, 'x'), {}});
            REQUIRE(r);
            CHECK(r->status == 200);
        }
        CHECK(stub.connections() == 1);
        const auto requests = stub.requests();
        REQUIRE(requests.size() == 5);
        for (const auto& r : requests) CHECK(r.connection == 1);

        // Concurrent senders each take a connection; afterwards the pool keeps them for reuse.
        std::vector<std::thread> threads;
        std::vector<int> statuses(4, 0);
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 5; ++i) {
                    auto r = client.send(HttpRequest{"GET", stub.url() + "/t", {}, "", {}});
                    statuses[t] += r && r->status == 200 ? 1 : 0;
                }
            });
        }
        for (auto& t : threads) t.join();
        CHECK(statuses == std::vector<int>{5, 5, 5, 5});
        CHECK(stub.connections() <= 4);
        CHECK(stub.requests().size() == 25);
    }

    TEST_CASE("HttpClient: a server slower than the timeout is `timeout`, within bounds") {
        HttpStub stub([](const StubRequest&) {
            StubResponse response = StubResponse::json(200, "{}");
            response.delay = 3s;
            return response;
        });
        HttpClient client(with_timeout(5s));
        SUBCASE("per-request timeout") {
            const auto start = std::chrono::steady_clock::now();
            auto r = client.send(HttpRequest{"GET", stub.url() + "/slow", {}, "", 300ms});
            const auto elapsed = std::chrono::steady_clock::now() - start;
            REQUIRE_FALSE(r);
            CHECK(r.error().code() == ErrorCode::timeout);
            CHECK(r.error().retryable());
            CHECK(r.error().details().at("backend").at("curl").at("code").as_int64() == 28);  // CURLE_OPERATION_TIMEDOUT
            CHECK(elapsed >= 250ms);
            CHECK(elapsed < 2s);
        }
        SUBCASE("client default timeout") {
            HttpClient quick(with_timeout(200ms));
            const auto start = std::chrono::steady_clock::now();
            auto r = quick.send(HttpRequest{"GET", stub.url() + "/slow", {}, "", {}});
            REQUIRE_FALSE(r);
            CHECK(r.error().code() == ErrorCode::timeout);
            CHECK(std::chrono::steady_clock::now() - start < 2s);
        }
    }

    TEST_CASE("HttpClient: a reset or closed connection is `unavailable`") {
        HttpStub stub;
        HttpClient client;
        SUBCASE("reset") {
            stub.set_handler([](const StubRequest&) { return StubResponse{200, {}, "", {}, StubResponse::Action::reset}; });
        }
        SUBCASE("closed without an answer") {
            stub.set_handler([](const StubRequest&) { return StubResponse{200, {}, "", {}, StubResponse::Action::close}; });
        }
        auto r = client.send(HttpRequest{"GET", stub.url() + "/", {}, "", {}});
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == ErrorCode::unavailable);
        CHECK(r.error().retryable());
        CHECK(r.error().details().at("backend").at("curl").is_object());
        // The client recovers on the next request (a fresh connection).
        stub.set_handler([](const StubRequest&) { return StubResponse::json(200, "{}"); });
        auto again = client.send(HttpRequest{"GET", stub.url() + "/", {}, "", {}});
        REQUIRE(again);
        CHECK(again->status == 200);
    }

    TEST_CASE("HttpClient: a body over max_response_bytes is `too_large`") {
        HttpStub stub([](const StubRequest& request) {
            return StubResponse::json(200, std::string(request.path() == "/big" ? 4096 : 1024, 'a'));
        });
        HttpClientOptions options;
        options.max_response_bytes = 1024;
        HttpClient client(options);
        auto exact = client.send(HttpRequest{"GET", stub.url() + "/fits", {}, "", {}});
        REQUIRE(exact);
        CHECK(exact->body.size() == 1024);
        auto big = client.send(HttpRequest{"GET", stub.url() + "/big", {}, "", {}});
        REQUIRE_FALSE(big);
        CHECK(big.error().code() == ErrorCode::too_large);
        CHECK_FALSE(big.error().retryable());
    }

    TEST_CASE("HttpClient: nothing listening is `unavailable`") {
        const auto port = tessera::test::free_loopback_port();
        HttpClient client;
        auto r = client.send(HttpRequest{"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, "", {}});
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == ErrorCode::unavailable);
        CHECK(r.error().details().at("backend").at("curl").at("code").as_int64() == 7);  // CURLE_COULDNT_CONNECT
    }

    TEST_CASE("HttpClient: https to a plain-HTTP server fails the TLS handshake") {
        HttpStub stub([](const StubRequest&) { return StubResponse::json(200, "{}"); });
        HttpClient client;
        CHECK(client.options().verify_tls);
        auto r = client.send(HttpRequest{"GET", "https://127.0.0.1:" + std::to_string(stub.port()) + "/", {}, "", 2s});
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == ErrorCode::unavailable);
        CHECK(stub.requests().empty());  // no request was sent in clear text
    }

    TEST_CASE("HttpClient: bad requests are `invalid` and send nothing") {
        HttpStub stub;
        HttpClient client;
        for (const std::string url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:9200", "gopher://h/"}) {
            auto r = client.send(HttpRequest{"GET", url, {}, "", {}});
            REQUIRE_FALSE(r);
            CHECK(r.error().code() == ErrorCode::invalid);
        }
        auto bad_url = client.send(HttpRequest{"GET", "http://[::1/", {}, "", {}});
        REQUIRE_FALSE(bad_url);
        CHECK(bad_url.error().code() == ErrorCode::invalid);
        auto bad_method = client.send(HttpRequest{"GE T", stub.url(), {}, "", {}});
        REQUIRE_FALSE(bad_method);
        CHECK(bad_method.error().code() == ErrorCode::invalid);
        auto injected = client.send(HttpRequest{"GET", stub.url(), {{"X-A", "1\r\nX-B: 2"}}, "", {}});
        REQUIRE_FALSE(injected);
        CHECK(injected.error().code() == ErrorCode::invalid);
        CHECK(stub.requests().empty());
    }

    TEST_CASE("HttpClient: move-only, the moved-to client keeps working") {
        HttpStub stub([](const StubRequest&) { return StubResponse::json(200, "{}"); });
        HttpClient first;
        REQUIRE(first.send(HttpRequest{"GET", stub.url(), {}, "", {}}));
        HttpClient second(std::move(first));
        REQUIRE(second.send(HttpRequest{"GET", stub.url(), {}, "", {}}));
        CHECK(stub.connections() == 1);
    }
}
