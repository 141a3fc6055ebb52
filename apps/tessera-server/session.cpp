#include "session.hpp"

#include "listener.hpp"

#include <tessera/log.hpp>
#include <tessera/rest/problem.hpp>
#include <tessera/version.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <random>

namespace tessera::server {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

// A caller's X-Request-Id is kept if it is short and printable (it ends up in logs); else we make one.
std::string request_id_for(std::string_view given) {
    if (!given.empty() && given.size() <= 128 &&
        std::all_of(given.begin(), given.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
        return std::string(given);
    }
    thread_local std::mt19937_64 generator{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits = generator();
    std::string id(16, '0');
    for (auto& c : id) {
        c = kHex[bits & 15];
        bits >>= 4;
    }
    return id;
}

const std::string kServerHeader = "tessera/" + std::string(tessera::version());

}  // namespace

Session::Session(net::ip::tcp::socket socket,
                 const Config& config,
                 rest::Api& api,
                 AccessLog& access_log,
                 std::shared_ptr<Listener> listener)
    : stream_(std::move(socket)), config_(config), api_(api), access_log_(access_log), listener_(std::move(listener)) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

Session::~Session() { listener_->forget(this); }

void Session::start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::drain() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
        // Between requests: close now. Mid-request: the response goes out with Connection: close.
        if (self->idle_) self->close();
    });
}

void Session::wait_for_request() {
    parser_.emplace();
    parser_->body_limit(config_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(config_.header_limit));
    if (listener_->draining()) return close();
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already buffered

    idle_ = true;
    stream_.expires_after(first_request_ ? config_.header_timeout : config_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(8192), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->idle_ = false;
        if (ec) return self->close();
        self->buffer_.commit(n);
        self->read_header();
    });
}

void Session::read_header() {
    started_ = std::chrono::steady_clock::now();
    // One window for header and body: a client trickling bytes (slowloris) cannot hold a connection.
    stream_.expires_after(config_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec == http::error::header_limit) return self->reply_and_close(431, "request header fields are too large");
        if (ec == http::error::body_limit) return self->reply_and_close(413, "request body is too large");
        if (ec == beast::error::timeout) return self->reply_and_close(408, "request was not received in time");
        if (ec) return self->close();
        const auto& header = self->parser_->get();
        if (rest::iequals(header[http::field::expect], "100-continue")) {
            // curl and others wait for this before sending a large body (RFC 9110 §10.1.1).
            auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
            return http::async_write(self->stream_, *interim, [self, interim](beast::error_code wec, std::size_t) {
                if (wec) return self->close();
                self->read_body();
            });
        }
        self->read_body();
    });
}

void Session::read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec == http::error::body_limit) return self->reply_and_close(413, "request body is too large");
        if (ec == beast::error::timeout) return self->reply_and_close(408, "request was not received in time");
        if (ec) return self->close();
        self->answer();
    });
}

void Session::answer() {
    Request request = parser_->release();
    rest::Request message;
    message.method = std::string(request.method_string());
    message.target = std::string(request.target());
    for (const auto& field : request) message.headers.add(std::string(field.name_string()), std::string(field.value()));
    message.body = std::move(request.body());

    const std::string request_id = request_id_for(request["X-Request-Id"]);
    rest::Response answer = api_.handle(message);

    Response response{static_cast<http::status>(answer.status), request.version()};
    for (const auto& [name, value] : answer.headers) response.insert(name, value);
    response.set(http::field::server, kServerHeader);
    response.set("X-Request-Id", request_id);
    const bool keep_alive = request.keep_alive() && !listener_->draining();
    response.keep_alive(keep_alive);
    if (message.method == "HEAD" && answer.headers.contains("Content-Length")) {
        // The Api already set the GET's Content-Length; send no body.
    } else {
        response.body() = std::move(answer.body);
        response.prepare_payload();
    }
    if (access_log_.enabled()) {
        access_log_.write({request_id, remote_, message.method, message.target, answer.status,
                           response.body().size(), std::chrono::steady_clock::now() - started_,
                           request[http::field::user_agent]});
    }
    write(std::move(response), !keep_alive);
}

void Session::reply_and_close(int status, std::string_view detail) {
    rest::Response problem = rest::make_problem(status, detail);
    Response response{static_cast<http::status>(status), 11};
    for (const auto& [name, value] : problem.headers) response.insert(name, value);
    response.set(http::field::server, kServerHeader);
    response.keep_alive(false);
    response.body() = std::move(problem.body);
    response.prepare_payload();
    if (access_log_.enabled()) {
        access_log_.write({"-", remote_, "-", "-", status, response.body().size(),
                           std::chrono::steady_clock::now() - started_, ""});
    }
    write(std::move(response), true);
}

void Session::write(Response response, bool close_after) {
    in_flight_ = std::make_shared<Response>(std::move(response));
    stream_.expires_after(config_.header_timeout);
    http::async_write(stream_, *in_flight_, [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
        self->in_flight_.reset();
        if (ec || close_after) return self->close();
        self->first_request_ = false;
        self->wait_for_request();
    });
}

void Session::close() {
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    stream_.close();
}

}  // namespace tessera::server
