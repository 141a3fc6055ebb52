#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive, pipelined requests answered in order),
// enforces limits and timeouts, hands each request to rest::Api — on this I/O thread when it cannot
// block, else on the worker pool — and writes the response. A request it refuses (malformed, too
// large, too slow, unsupported framing) is answered with a problem, then the connection closes the way
// nginx does: lingering, reading and discarding for a bounded time, so the client reads the answer.

#include "access_log.hpp"
#include "config.hpp"
#include "request_reader.hpp"
#include "worker_pool.hpp"

#include <tessera/rest/api.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace tessera::server {

class Listener;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(boost::asio::ip::tcp::socket socket,
            const Config& config,
            rest::Api& api,
            AccessLog& access_log,
            WorkerPool& workers,
            std::shared_ptr<Listener> listener);
    ~Session();

    void start();
    /// Closes the connection if it is between requests; otherwise it closes after the response.
    void drain();

private:
    // Where the connection is; a timeout means something different in each.
    enum class Phase { idle, reading, handling, writing, lingering, closed };

    void wait_for_request();
    void read_more();
    void on_read(boost::system::error_code ec, std::size_t bytes);
    // Feeds the buffered bytes to the reader and acts on its state.
    void parse_buffered();
    void send_continue();
    void dispatch();
    void respond(rest::Response response);
    void reject(const Rejection& rejection);
    // Sends `response` (its body is moved out), then reads the next request, lingers or closes.
    void write(rest::Response& response, bool keep_alive, bool linger_after);
    // RFC 9112 §9.6 and nginx's lingering close: after an error answer, read and drop what the client
    // still sends (bounded in time and bytes) so that it sees the answer instead of a reset.
    void linger();
    void close();

    // One deadline at a time: when it passes, the pending socket operation is cancelled and its
    // handler sees `timed_out_`.
    void arm(std::chrono::steady_clock::duration timeout);
    void disarm();

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    RequestReader reader_;
    const Config& config_;
    rest::Api& api_;
    AccessLog& access_log_;
    WorkerPool& workers_;
    std::shared_ptr<Listener> listener_;
    std::string remote_address_;  // "127.0.0.1": the rate-limit key of anonymous requests
    std::string remote_;          // "127.0.0.1:53211": for the access log

    Phase phase_ = Phase::idle;
    bool first_request_ = true;
    bool continue_sent_ = false;
    bool timed_out_ = false;
    std::uint64_t timer_generation_ = 0;
    std::chrono::steady_clock::time_point started_{};
    std::chrono::steady_clock::time_point linger_until_{};
    std::size_t lingered_bytes_ = 0;

    // The request being answered, as the access log and the response need it.
    std::string method_;
    std::string target_;
    std::string user_agent_;
    std::string request_id_;
    unsigned version_ = 11;
    bool keep_alive_ = false;

    std::string response_head_;  // the response being written: reused, so its capacity is too
    std::string response_body_;
};

}  // namespace tessera::server
