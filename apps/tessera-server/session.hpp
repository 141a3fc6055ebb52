#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive, pipelined requests answered in order),
// enforces limits and timeouts, hands each request to rest::Api, writes the response.

#include "access_log.hpp"
#include "config.hpp"

#include <tessera/rest/api.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/message.hpp>

#include <memory>
#include <optional>

namespace tessera::server {

class Listener;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(boost::asio::ip::tcp::socket socket,
            const Config& config,
            rest::Api& api,
            AccessLog& access_log,
            std::shared_ptr<Listener> listener);
    ~Session();

    void start();
    /// Closes the connection if it is between requests; otherwise it closes after the response.
    void drain();

private:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;

    void wait_for_request();
    void read_header();
    void read_body();
    // Answers the request if the buffer holds all of it (or replies to what makes it invalid);
    // false when more bytes must be read.
    bool answer_if_buffered();
    // A failed read: 431, 413 or 408 for the limits and the timeout, else the connection closes.
    void fail(boost::beast::error_code ec);
    void answer();
    void reply_and_close(int status, std::string_view detail);
    // Sends `response` (its body is moved out), then reads the next request or closes.
    void write(
        rest::Response& response, unsigned version, std::string_view request_id, bool own_length, bool keep_alive);
    void close();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    const Config& config_;
    rest::Api& api_;
    AccessLog& access_log_;
    std::shared_ptr<Listener> listener_;
    std::string remote_;
    bool idle_ = false;  // waiting for the first byte of a request
    bool first_request_ = true;
    std::chrono::steady_clock::time_point started_{};
    std::string response_head_;  // the response being written: reused, so its capacity is too
    std::string response_body_;
};

}  // namespace tessera::server
