#pragma once
// Reads one HTTP/1.1 request from the bytes a connection delivers, with the limits of the server's
// configuration and the framing rules of RFC 9112 that Beast leaves to us: a transfer coding other than
// a final `chunked` (501), Transfer-Encoding with Content-Length or on HTTP/1.0 (400), a missing or
// repeated Host on HTTP/1.1 (400); Beast itself refuses any version but 1.0 and 1.1. Anything it
// refuses comes out as a `Rejection` the session answers
// and then closes on. Used by the session and by the raw-HTTP fuzz target, so both parse alike.

#include <tessera/error.hpp>
#include <tessera/rest/message.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::server {

/// Why a request is answered with an error and the connection closed.
struct Rejection {
    int status = 400;                        ///< 400, 408, 413, 431 or 501.
    ErrorCode code = ErrorCode::malformed;   ///< What the problem's `code` says.
    std::string detail;
};

/// One request being read. Not thread-safe; one per connection, `reset` between requests.
class RequestReader {
public:
    enum class State { reading, complete, rejected };

    RequestReader(std::size_t body_limit, std::size_t header_limit);

    /// Starts a new request (pipelined bytes may follow a completed one).
    void reset();

    /// Parses from the start of `bytes`; returns how many it consumed (the rest belongs to a later
    /// call, or to the next request once this one is complete). Stops at `complete` or `rejected`.
    std::size_t feed(std::string_view bytes);

    State state() const noexcept { return state_; }
    /// True once the header is read and has passed the framing checks.
    bool header_ready() const noexcept { return header_checked_ && state_ != State::rejected; }
    /// Requires: `header_ready()`. The client sent `Expect: 100-continue` and waits for it.
    bool expects_continue() const;
    /// Requires: `state() == rejected`.
    const Rejection& rejection() const noexcept { return rejection_; }
    /// Rejects the request being read (a timeout, say), as `feed` would.
    void reject(Rejection rejection);

    /// HTTP version (10, 11) and whether the client wants the connection kept, once the header is read.
    unsigned version() const;
    bool keep_alive() const;
    /// The request target as far as it could be read, even from a request that was refused (from the
    /// request line of the bytes seen), "" if none: the `instance` of a problem.
    std::string target() const;

    /// Requires: `state() == complete`. Moves the request out (`version` and `keep_alive` are read
    /// before).
    rest::Request take();

private:
    // The checks Beast does not make, once the header is complete; false if they rejected it.
    bool check_header();
    void fail(boost::beast::error_code ec);

    std::size_t body_limit_;
    std::size_t header_limit_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    State state_ = State::reading;
    bool header_checked_ = false;
    Rejection rejection_;
    std::string start_;  // the first bytes of the request, for `target()` when the parse failed
};

}  // namespace tessera::server
