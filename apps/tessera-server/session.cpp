#include "session.hpp"

#include "listener.hpp"

#include <tessera/log.hpp>
#include <tessera/rest/problem.hpp>
#include <tessera/version.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
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

const std::string kServerLine = "Server: tessera/" + std::string(tessera::version()) + "\r\n";

// RFC 9110 §6.4.1: 1xx, 204 and 304 responses end after their header.
bool allows_body(int status) noexcept {
    return status >= 200 && status != 204 && status != 304;
}

// Appends a header field value with any CR or LF dropped: a value that reached a response from a
// request (an id in a Location, say) must not be able to start a header of its own.
void append_field_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        if (c != '\r' && c != '\n') out += c;
    }
}

// The status line and header fields of a response, written by hand into a buffer the session
// reuses: a Beast response allocates a node per field and its serializer walks a variant of buffer
// sequences per write, together a tenth of a small GET's cost. `own_length` false keeps the
// Content-Length the Api set (HEAD); otherwise it is the body's size, and absent where a body is
// not allowed (1xx, 204 and 304: RFC 9110 §8.6).
void write_head(std::string& out,
                const rest::Response& response,
                unsigned version,
                std::string_view request_id,
                bool own_length,
                bool keep_alive) {
    const auto status = static_cast<http::status>(response.status);
    const bool bodiless = !allows_body(response.status);
    out.clear();
    out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += http::obsolete_reason(status);
    out += "\r\n";
    for (const auto& [name, value] : response.headers) {
        if (own_length && rest::iequals(name, "Content-Length")) continue;
        out += name;
        out += ": ";
        append_field_value(out, value);
        out += "\r\n";
    }
    out += kServerLine;
    if (!request_id.empty()) {
        out += "X-Request-Id: ";
        append_field_value(out, request_id);
        out += "\r\n";
    }
    if (!keep_alive && version != 10) out += "Connection: close\r\n";
    if (keep_alive && version == 10) out += "Connection: keep-alive\r\n";
    if (own_length && !bodiless) {
        out += "Content-Length: ";
        out += std::to_string(response.body.size());  // short enough for the small-string buffer
        out += "\r\n";
    }
    out += "\r\n";
}

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

Session::~Session() {
    listener_->forget(this);
}

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
    if (answer_if_buffered()) return;
    // One window for header and body: a client trickling bytes (slowloris) cannot hold a connection.
    stream_.expires_after(config_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->fail(ec);
        const auto& header = self->parser_->get();
        if (rest::iequals(header[http::field::expect], "100-continue")) {
            // curl and others wait for this before sending a large body (RFC 9110 §10.1.1).
            auto interim =
                std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
            return http::async_write(self->stream_, *interim, [self, interim](beast::error_code wec, std::size_t) {
                if (wec) return self->close();
                self->read_body();
            });
        }
        self->read_body();
    });
}

bool Session::answer_if_buffered() {
    // Most requests arrive whole in one read. Parsing them here answers at once; Beast's read
    // operations would each defer their completion through the event loop, twice per request.
    beast::error_code ec;
    while (buffer_.size() > 0 && !parser_->is_done()) {
        const std::size_t used = parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec == http::error::need_more) return false;  // the rest comes through the read operations
        if (ec) return fail(ec), true;
        if (used == 0) return false;
    }
    if (!parser_->is_done()) return false;
    answer();
    return true;
}

void Session::fail(beast::error_code ec) {
    if (ec == http::error::header_limit) return reply_and_close(431, "request header fields are too large");
    if (ec == http::error::body_limit) return reply_and_close(413, "request body is too large");
    if (ec == beast::error::timeout) return reply_and_close(408, "request was not received in time");
    close();  // a malformed request or a closed connection: nothing to answer
}

void Session::read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->fail(ec);
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
    // A HEAD answer carries the Content-Length its GET would have had, and no body.
    const bool head = message.method == "HEAD";
    const bool keep_alive = request.keep_alive() && !listener_->draining();
    if (access_log_.enabled()) {
        access_log_.write({request_id, remote_, message.method, message.target, answer.status, answer.body.size(),
                           std::chrono::steady_clock::now() - started_, request[http::field::user_agent]});
    }
    write(answer, request.version(), request_id, !head, keep_alive);
}

void Session::reply_and_close(int status, std::string_view detail) {
    rest::Response problem = rest::make_problem(status, detail);
    if (access_log_.enabled()) {
        access_log_.write(
            {"-", remote_, "-", "-", status, problem.body.size(), std::chrono::steady_clock::now() - started_, ""});
    }
    write(problem, 11, {}, true, false);
}

void Session::write(
    rest::Response& response, unsigned version, std::string_view request_id, bool own_length, bool keep_alive) {
    write_head(response_head_, response, version, request_id, own_length, keep_alive);
    // Where a status allows no body (1xx, 204, 304) none is sent, whatever the Api put there: a
    // stray body would be read as the start of the next response.
    response_body_ = allows_body(response.status) ? std::move(response.body) : std::string();
    const std::array<net::const_buffer, 2> buffers{net::buffer(response_head_), net::buffer(response_body_)};
    stream_.expires_after(config_.header_timeout);
    net::async_write(stream_, buffers, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
        if (ec || !keep_alive) return self->close();
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
