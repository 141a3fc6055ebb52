// tessera-server as a process: flags, limits, keep-alive and pipelining, request ids, access log,
// graceful drain on SIGTERM.

#include "support/engine_fixture.hpp"
#include "support/http_client.hpp"
#include "support/raw_connection.hpp"
#include "support/server_process.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using tessera::test::HttpClient;
using tessera::test::RawConnection;
using tessera::test::ServerOptions;
using tessera::test::ServerProcess;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++count;
    return count;
}

int run_binary(const std::string& args, std::string& output) {
    const std::string command = tessera::test::server_binary().string() + " " + args + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
    const int status = pclose(pipe.release());
    return WEXITSTATUS(status);
}

}  // namespace

TEST_SUITE("server") {
    TEST_CASE("server: --help lists every flag with its environment twin; bad flags exit 2") {
        std::string help;
        CHECK(run_binary("--help", help) == 0);
        for (const char* flag : {"--listen", "--store", "--schemas", "--threads", "--body-limit", "--header-limit",
                                 "--header-timeout", "--idle-timeout", "--drain-timeout", "--access-log", "--relay-linger", "--workers",
                                 "--worker-queue", "--max-document-bytes", "TESSERA_WORKERS", "TESSERA_LISTEN",
                                 "127.0.0.1:8080"}) {
            CAPTURE(flag);
            CHECK(help.find(flag) != std::string::npos);
        }
        std::string error;
        CHECK(run_binary("--no-such-flag", error) == 2);
        CHECK(error.find("--no-such-flag") != std::string::npos);
        std::string bad_value;
        CHECK(run_binary("--threads many", bad_value) == 2);
    }

    TEST_CASE("server: a broken schemas directory fails start-up with a message") {
        ServerOptions options;
        options.schemas = "/nonexistent/schemas";
        CHECK_THROWS_WITH_AS(ServerProcess{options}, doctest::Contains("schemas"), std::runtime_error);
    }

    TEST_CASE("server: healthz, request ids, and one JSON access-log line per request") {
        ServerProcess server(ServerOptions{});
        HttpClient client(server.base_url());
        auto health = client.get("/healthz", {{"X-Request-Id", "trace-123"}});
        CHECK(health.status == 200);
        CHECK(health.body == R"({"status":"ok"})");
        CHECK(health.header("X-Request-Id") == "trace-123");
        auto generated = client.get("/healthz");
        CHECK(generated.header("X-Request-Id").size() == 16);
        server.stop(SIGTERM);
        const std::string log = server.stdout_text();
        const auto first_line = log.substr(0, log.find('\n'));
        auto record = boost::json::parse(first_line).as_object();
        CHECK(record.at("request_id").as_string() == "trace-123");
        CHECK(record.at("status").as_int64() == 200);
        CHECK(record.at("target").as_string() == "/healthz");
    }

    TEST_CASE("server: body over the limit is 413, header block over the limit is 431") {
        ServerOptions options;
        options.extra_args = {"--body-limit", "1000", "--header-limit", "2048"};
        ServerProcess server(options);
        HttpClient client(server.base_url());
        auto large = client.request("POST", "/api/plans/", {}, std::string(2000, ' '));
        CHECK(large.status == 413);
        CHECK(large.header("Content-Type") == "application/problem+json");
        auto big_header = client.get("/healthz", {{"X-Padding", std::string(4000, 'x')}});
        CHECK(big_header.status == 431);
        CHECK(client.get("/healthz").status == 200);  // the server is fine afterwards
    }

    TEST_CASE("server: keep-alive and pipelining answer every request in order on one connection") {
        ServerProcess server(ServerOptions{});
        RawConnection connection(server.base_url());
        std::string pipelined;
        for (int i = 0; i < 5; ++i) {
            pipelined += "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: r" + std::to_string(i) + "\r\n\r\n";
        }
        connection.send_all(pipelined);
        const auto text = connection.read_until([](const std::string& t) { return count_of(t, "HTTP/1.1 200") == 5; });
        CHECK(count_of(text, "HTTP/1.1 200 OK") == 5);
        std::size_t last = 0;
        for (int i = 0; i < 5; ++i) {
            const auto at = text.find("X-Request-Id: r" + std::to_string(i));
            REQUIRE(at != std::string::npos);
            CHECK(at >= last);
            last = at;
        }
    }

    TEST_CASE("server: response framing — Content-Length only where a body is allowed, keep-alive per version") {
        ServerOptions options;
        options.schemas = tessera::test::test_schemas();
        ServerProcess server(options);
        RawConnection connection(server.base_url());
        const auto response_end = [](const std::string& t) {
            const auto head_end = t.find("\r\n\r\n");
            if (head_end == std::string::npos) return false;
            const auto length_at = t.find("Content-Length: ");
            if (length_at == std::string::npos || length_at > head_end) return true;  // no body follows
            return t.size() >= head_end + 4 + std::stoul(t.substr(length_at + 16));
        };
        const auto exchange = [&](const std::string& request) {
            connection.send_all(request);
            return connection.read_until(response_end);
        };

        const std::string body = R"({"value":1})";
        const auto created = exchange("POST /api/counters/c1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        CHECK(created.starts_with("HTTP/1.1 201 Created\r\n"));
        const auto etag_at = created.find("ETag: ");
        REQUIRE(etag_at != std::string::npos);
        const auto etag = created.substr(etag_at + 6, created.find("\r\n", etag_at) - etag_at - 6);
        const auto length_at = created.find("Content-Length: ");
        REQUIRE(length_at != std::string::npos);
        const auto content_length = created.substr(length_at, created.find("\r\n", length_at) - length_at + 2);

        // 304 and 204 carry no Content-Length (RFC 9110 §8.6) and the connection stays usable.
        const auto not_modified = exchange("GET /api/counters/c1 HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + etag + "\r\n\r\n");
        CHECK(not_modified.starts_with("HTTP/1.1 304 Not Modified\r\n"));
        CHECK(not_modified.find("Content-Length") == std::string::npos);
        connection.send_all("HEAD /api/counters/c1 HTTP/1.1\r\nHost: t\r\n\r\n");
        const auto head = connection.read_until([](const std::string& t) { return t.ends_with("\r\n\r\n"); });
        CHECK(head.find(content_length) != std::string::npos);  // the GET's length...
        CHECK(head.ends_with("\r\n\r\n"));                     // ...and no body
        connection.send_all("HEAD /api/counters/c1 HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + etag + "\r\n\r\n");
        const auto head_not_modified =
            connection.read_until([](const std::string& t) { return t.ends_with("\r\n\r\n"); });
        CHECK(head_not_modified.starts_with("HTTP/1.1 304 Not Modified\r\n"));
        CHECK(head_not_modified.find("Content-Length") == std::string::npos);
        const auto deleted = exchange("DELETE /api/counters/c1 HTTP/1.1\r\nHost: t\r\nIf-Match: " + etag + "\r\n\r\n");
        CHECK(deleted.starts_with("HTTP/1.1 204 No Content\r\n"));
        CHECK(deleted.find("Content-Length") == std::string::npos);

        // An HTTP/1.0 client asking for keep-alive is told it got it; an HTTP/1.1 client asking to close is
        // told so, and the connection closes.
        const auto old_client = exchange("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK(old_client.starts_with("HTTP/1.0 200 OK\r\n"));
        CHECK(old_client.find("Connection: keep-alive\r\n") != std::string::npos);
        CHECK(old_client.find("Content-Length: 15\r\n\r\n{\"status\":\"ok\"}") != std::string::npos);
        const auto closing = exchange("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        CHECK(closing.find("Connection: close\r\n") != std::string::npos);
        CHECK(connection.closed_by_peer());
    }

    TEST_CASE("server: an idle keep-alive connection is closed after the idle timeout") {
        ServerOptions options;
        options.extra_args = {"--idle-timeout", "1"};
        ServerProcess server(options);
        RawConnection connection(server.base_url());
        connection.send_all("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
        connection.read_until([](const std::string& t) { return t.find("\r\n\r\n") != std::string::npos; });
        CHECK(connection.closed_by_peer(4000));
    }

    TEST_CASE("server: SIGTERM drains — the in-flight request completes, then exit 0") {
        ServerProcess server(ServerOptions{});
        RawConnection connection(server.base_url());
        const std::string body = R"({"not":"a plan"})";
        // Headers and half the body: the request is in flight when the signal arrives.
        connection.send_all("POST /api/plans/ HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 5));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        kill(server.pid(), SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        connection.send_all(body.substr(5));
        const auto text = connection.read_until([](const std::string& t) { return t.find("}") != std::string::npos; });
        CHECK(text.find("HTTP/1.1 422") != std::string::npos);
        CHECK(text.find("Connection: close") != std::string::npos);
        const int status = server.stop(SIGTERM);
        REQUIRE(status != -1);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
}
