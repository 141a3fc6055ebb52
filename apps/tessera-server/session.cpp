#include "session.hpp"

#include "listener.hpp"

#include <tessera/log.hpp>
#include <tessera/rest/problem.hpp>
#include <tessera/version.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <random>

namespace tessera::server {
namespace net = boost::asio;
using boost::system::error_code;

namespace {

// Lingering close, as nginx's lingering_time, lingering_timeout and a cap of our own on the bytes.
constexpr std::chrono::seconds kLingerTime{30};
constexpr std::chrono::seconds kLingerTimeout{5};
constexpr std::size_t kLingerBytes = std::size_t{64} << 20;
constexpr std::size_t kReadSize = 16384;

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
    const bool bodiless = !allows_body(response.status);
    out.clear();
    out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += rest::reason_phrase(response.status);  // the problem's title says the same
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
                 WorkerPool& workers,
                 std::shared_ptr<Listener> listener)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      reader_(config.body_limit, config.header_limit),
      config_(config),
      api_(api),
      access_log_(access_log),
      workers_(workers),
      listener_(std::move(listener)) {
    error_code ec;
    const auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) {
        remote_address_ = endpoint.address().to_string();
        remote_ = remote_address_ + ":" + std::to_string(endpoint.port());
    }
}

Session::~Session() {
    listener_->forget(this);
}

void Session::start() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::drain() {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
        // Between requests: close now. Mid-request: the response goes out with Connection: close.
        if (self->phase_ == Phase::idle) self->close();
    });
}

void Session::arm(std::chrono::steady_clock::duration timeout) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this(), generation = ++timer_generation_](error_code ec) {
        if (ec || generation != self->timer_generation_) return;
        self->timed_out_ = true;
        error_code ignored;
        self->socket_.cancel(ignored);  // the pending read or write completes with operation_aborted
    });
}

void Session::disarm() {
    ++timer_generation_;
    timer_.cancel();
}

void Session::wait_for_request() {
    reader_.reset();
    continue_sent_ = false;
    if (listener_->draining()) return close();
    if (buffer_.size() > 0) {
        // A pipelined request is already here.
        phase_ = Phase::reading;
        started_ = std::chrono::steady_clock::now();
        arm(config_.header_timeout);
        return parse_buffered();
    }
    phase_ = Phase::idle;
    arm(first_request_ ? config_.header_timeout : config_.idle_timeout);
    read_more();
}

void Session::read_more() {
    socket_.async_read_some(buffer_.prepare(kReadSize), [self = shared_from_this()](error_code ec, std::size_t n) {
        self->on_read(ec, n);
    });
}

void Session::on_read(error_code ec, std::size_t bytes) {
    if (phase_ == Phase::lingering) {
        lingered_bytes_ += bytes;
        buffer_.consume(buffer_.size());
        if (ec || lingered_bytes_ > kLingerBytes || std::chrono::steady_clock::now() >= linger_until_) return close();
        return linger();
    }
    if (ec) {
        // A slow request is answered 408; an idle connection that times out, or one the client
        // closed or reset, just closes: there is nobody waiting for an answer.
        if (timed_out_ && phase_ == Phase::reading) {
            reader_.reject({408, ErrorCode::timeout, "the request was not received within " +
                                                         std::to_string(config_.header_timeout.count()) + " s"});
            return reject(reader_.rejection());
        }
        return close();
    }
    buffer_.commit(bytes);
    if (phase_ == Phase::idle) {
        // One window for header and body: a client trickling bytes (slowloris) cannot hold a connection.
        phase_ = Phase::reading;
        started_ = std::chrono::steady_clock::now();
        arm(config_.header_timeout);
    }
    parse_buffered();
}

void Session::parse_buffered() {
    const auto data = buffer_.cdata();
    const std::size_t used = reader_.feed({static_cast<const char*>(data.data()), data.size()});
    buffer_.consume(used);
    switch (reader_.state()) {
        case RequestReader::State::rejected: return reject(reader_.rejection());
        case RequestReader::State::complete: return dispatch();
        case RequestReader::State::reading: break;
    }
    // RFC 9110 §10.1.1: curl and others wait for this before sending a large body.
    if (reader_.header_ready() && !continue_sent_ && reader_.expects_continue() && reader_.version() >= 11) {
        return send_continue();
    }
    read_more();
}

void Session::send_continue() {
    continue_sent_ = true;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](error_code ec, std::size_t) {
                         if (ec) {
                             if (self->timed_out_) {
                                 self->reader_.reject({408, ErrorCode::timeout, "the request was not received in time"});
                                 return self->reject(self->reader_.rejection());
                             }
                             return self->close();
                         }
                         self->read_more();
                     });
}

void Session::dispatch() {
    disarm();  // a handler is bounded by the store's and the bus's own timeouts
    phase_ = Phase::handling;
    version_ = reader_.version();  // before take(), which moves the message out of the parser
    keep_alive_ = reader_.keep_alive();
    rest::Request request = reader_.take();
    request.remote_address = remote_address_;
    method_ = request.method;
    target_ = request.target;
    user_agent_ = std::string(request.headers.get("User-Agent").value_or(""));
    request_id_ = request_id_for(request.headers.get("X-Request-Id").value_or(""));
    if (!api_.may_block(request)) return respond(api_.handle(request));
    // The worker answers; the session goes on on its own thread (the handlers of a connection never
    // run on two threads at once: this one waits for the post).
    auto job = [self = shared_from_this(), request = std::move(request)]() mutable {
        rest::Response response = self->api_.handle(request);
        net::post(self->socket_.get_executor(),
                  [self, response = std::move(response)]() mutable { self->respond(std::move(response)); });
    };
    if (!workers_.submit(std::move(job))) {
        rest::Response busy = rest::make_problem(
            Error(ErrorCode::unavailable, "the server is busy: every worker is taken and the queue is full; retry",
                  {{"retry_after", 1}}),
            target_.substr(0, target_.find('?')));
        respond(std::move(busy));
    }
}

void Session::respond(rest::Response response) {
    if (access_log_.enabled()) {
        access_log_.write({request_id_, remote_, method_, target_, response.status, response.body.size(),
                           std::chrono::steady_clock::now() - started_, user_agent_});
    }
    write(response, keep_alive_ && !listener_->draining(), false);
}

void Session::reject(const Rejection& rejection) {
    rest::Response problem =
        rest::make_problem(Error(rejection.code, rejection.detail), reader_.target(), rejection.status);
    if (access_log_.enabled()) {
        access_log_.write(
            {"-", remote_, "-", reader_.target(), rejection.status, problem.body.size(), std::chrono::steady_clock::now() - started_, ""});
    }
    method_.clear();  // not a HEAD: the problem has its body
    request_id_.clear();
    version_ = 11;
    write(problem, false, true);
}

void Session::write(rest::Response& response, bool keep_alive, bool linger_after) {
    phase_ = Phase::writing;
    // A HEAD answer carries the Content-Length its GET would have had, and no body.
    const bool own_length = method_ != "HEAD";
    write_head(response_head_, response, version_, request_id_, own_length, keep_alive);
    // Where a status allows no body (1xx, 204, 304) none is sent, whatever the Api put there: a
    // stray body would be read as the start of the next response.
    response_body_ = allows_body(response.status) ? std::move(response.body) : std::string();
    const std::array<net::const_buffer, 2> buffers{net::buffer(response_head_), net::buffer(response_body_)};
    arm(config_.header_timeout);
    net::async_write(socket_, buffers,
                     [self = shared_from_this(), keep_alive, linger_after](error_code ec, std::size_t) {
                         if (ec) return self->close();
                         if (linger_after) return self->linger();
                         if (!keep_alive) return self->close();
                         self->first_request_ = false;
                         self->wait_for_request();
                     });
}

void Session::linger() {
    const auto now = std::chrono::steady_clock::now();
    if (phase_ != Phase::lingering) {
        phase_ = Phase::lingering;
        linger_until_ = now + kLingerTime;
        lingered_bytes_ = 0;
        buffer_.consume(buffer_.size());
        error_code ignored;
        socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);  // the answer is complete: FIN
    }
    arm(std::min<std::chrono::steady_clock::duration>(kLingerTimeout, linger_until_ - now));
    read_more();
}

void Session::close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    disarm();
    error_code ignored;
    socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
}

}  // namespace tessera::server
