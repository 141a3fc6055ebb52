// custom_server: Tessera's REST API mounted in your own Boost.Beast HTTP server.
//
// A program with its own HTTP server (its own routes, TLS, authentication...) does not need
// tessera-server: it hands requests to `tessera::rest::Api::handle`, which takes and returns plain
// structs (`rest::Request`, `rest::Response`) and knows nothing about sockets. Here `GET /hello` is
// the application's own route, and every other request goes to Tessera: /api/plans/...,
// /api/services/..., /healthz, /metrics, /openapi.json.
//
// Usage: custom_server [PORT]      serve on 127.0.0.1:PORT (default 8080) until Ctrl-C, e.g.
//                                  curl http://127.0.0.1:8080/hello; curl http://127.0.0.1:8080/api/plans/
//        custom_server --self-test serve on a free port, send itself a few requests, exit 0 if all
//                                  answers are right (CI runs this)
//
// Deliberately small: one I/O thread, Beast's default 1 MiB body limit, one timeout. The full server
// (limits, pipelining, graceful drain) is apps/tessera-server.
#include <tessera/tessera.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// The application's routing: its own routes first, Tessera for everything else.
HttpResponse answer(tessera::rest::Api& api, const HttpRequest& request) {
    if (request.method() == http::verb::get && request.target() == "/hello") {
        HttpResponse response{http::status::ok, request.version()};
        response.set(http::field::content_type, "text/plain");
        response.body() = "Hello from the application, next to Tessera " + std::string(tessera::version()) + "\n";
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        return response;
    }

    // Beast's message -> Tessera's transport-neutral request, and the answer back.
    tessera::rest::Request in;
    in.method = std::string(request.method_string());
    in.target = std::string(request.target());
    for (const auto& field : request) in.headers.add(std::string(field.name_string()), std::string(field.value()));
    in.body = request.body();
    tessera::rest::Response out = api.handle(in);  // never throws: failures are problem+json responses

    HttpResponse response{static_cast<http::status>(out.status), request.version()};
    for (const auto& [name, value] : out.headers) response.insert(name, value);
    response.keep_alive(request.keep_alive());
    if (request.method() == http::verb::head && out.headers.contains("Content-Length")) {
        // The Api set the Content-Length a GET would have; a HEAD response has no body.
    } else {
        response.body() = std::move(out.body);
        response.prepare_payload();
    }
    return response;
}

// One connection: read a request, answer, write the response, and again while the client keeps the
// connection alive. The session keeps itself alive through the shared_ptr its handlers hold.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, tessera::rest::Api& api) : stream_(std::move(socket)), api_(api) {}

    void read() {
        request_ = {};
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();  // the client left, timed out or sent garbage
            self->write(answer(self->api_, self->request_));
        });
    }

private:
    void write(HttpResponse response) {
        auto message = std::make_shared<HttpResponse>(std::move(response));
        http::async_write(stream_, *message, [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
            if (ec || !message->keep_alive()) return self->close();
            self->read();
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    HttpRequest request_;
    tessera::rest::Api& api_;
};

void accept(tcp::acceptor& acceptor, tessera::rest::Api& api) {
    acceptor.async_accept([&acceptor, &api](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;  // the acceptor was closed
        if (!ec) std::make_shared<Session>(std::move(socket), api)->read();
        accept(acceptor, api);
    });
}

// --self-test: one request on a fresh connection; throws on network errors.
HttpResponse fetch(const tcp::endpoint& server,
                   http::verb method,
                   const std::string& target,
                   std::string body = {},
                   const std::string& if_none_match = {}) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(server);
    HttpRequest request{method, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    if (!if_none_match.empty()) request.set(http::field::if_none_match, if_none_match);
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    HttpResponse response;
    http::read(stream, buffer, response);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return response;
}

bool expect(const char* what, const HttpResponse& response, http::status status) {
    std::printf("%-50s -> %u %s\n", what, response.result_int(), response.result() == status ? "ok" : "UNEXPECTED");
    if (response.result() != status) std::printf("%s\n", response.body().c_str());
    return response.result() == status;
}

// The app's route and Tessera's, side by side on the same listener.
bool self_test(const tcp::endpoint& server) {
    try {
        std::ifstream file(EXAMPLE_DATA_DIR "/plan.json");
        std::ostringstream plan;
        plan << file.rdbuf();

        bool ok =
            expect("GET /hello (the application's route)", fetch(server, http::verb::get, "/hello"), http::status::ok);
        ok &= expect("GET /healthz (Tessera)", fetch(server, http::verb::get, "/healthz"), http::status::ok);
        const HttpResponse created = fetch(server, http::verb::post, "/api/plans/", plan.str());
        ok &= expect("POST /api/plans/ (Tessera)", created, http::status::created);
        const std::string location(created[http::field::location]);
        const std::string etag(created[http::field::etag]);
        ok &= expect(("GET " + location + " If-None-Match").c_str(), fetch(server, http::verb::get, location, {}, etag),
                     http::status::not_modified);
        ok &= expect("GET /nowhere (Tessera answers the rest)", fetch(server, http::verb::get, "/nowhere"),
                     http::status::not_found);
        return ok;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "custom_server: self-test: %s\n", e.what());
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) try {
    const std::string argument = argc > 1 ? argv[1] : "8080";
    const bool testing = argument == "--self-test";

    tessera::model::EngineConfig config;
    config.schemas = EXAMPLE_SCHEMAS_DIR;
    config.store_url = "memory:";
    auto engine = tessera::model::Engine::open(config);
    if (!engine) {
        std::fprintf(stderr, "custom_server: %s\n", engine.error().to_string().c_str());
        return 1;
    }
    tessera::rest::Api api(*engine);  // Api::handle is thread-safe: io.run() may run on many threads

    net::io_context io;
    const auto port = testing ? 0 : static_cast<unsigned short>(std::stoi(argument));
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    accept(acceptor, api);

    if (testing) {
        std::thread server([&io] { io.run(); });
        const bool ok = self_test(acceptor.local_endpoint());
        io.stop();
        server.join();
        return ok ? 0 : 1;
    }
    std::printf("custom_server on http://127.0.0.1:%u (GET /hello, /api/plans/, /openapi.json ...)\n",
                acceptor.local_endpoint().port());
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](beast::error_code, int) { io.stop(); });
    io.run();
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "custom_server: %s\n", e.what());
    return 2;
}
