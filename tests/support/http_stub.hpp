#pragma once
// A minimal HTTP/1.1 server on 127.0.0.1 for tests of HTTP clients: keep-alive connections,
// Content-Length bodies (no chunked requests), one thread per connection. A handler decides each
// answer; the stub can also delay it, close or reset the connection instead. Every request is
// recorded with the connection it came on; bytes that are not HTTP (a TLS ClientHello) get a 400 and a
// close, as from a plain server. Loopback only; every wait is bounded by stop().

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tessera::test {

struct StubRequest {
    std::string method;
    std::string target;  // as sent: path and query
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::size_t connection = 0;  // 1 for the first accepted connection, 2 for the next...

    /// The first header value with this name (case-insensitive), or "".
    std::string header(std::string_view name) const;
    /// `target` up to '?'.
    std::string path() const;
    /// `target` after '?' ("" if none).
    std::string query() const;
};

struct StubResponse {
    enum class Action {
        respond,  // send the response (after `delay`)
        close,    // close the connection without answering (after `delay`)
        reset,    // reset the connection (TCP RST) without answering (after `delay`)
    };
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
    std::string body;
    std::chrono::milliseconds delay{0};
    Action action = Action::respond;

    static StubResponse json(int status, std::string body) {
        return StubResponse{status, {{"Content-Type", "application/json"}}, std::move(body), {}, Action::respond};
    }
};

class HttpStub {
public:
    using Handler = std::function<StubResponse(const StubRequest&)>;

    /// Listens on a free loopback port at once. No handler: every request gets 404.
    explicit HttpStub(Handler handler = {});
    /// stop().
    ~HttpStub();
    HttpStub(const HttpStub&) = delete;
    HttpStub& operator=(const HttpStub&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// "http://127.0.0.1:PORT".
    std::string url() const;

    void set_handler(Handler handler);

    /// Every request received so far, in arrival order.
    std::vector<StubRequest> requests() const;
    /// Connections accepted so far.
    std::size_t connections() const noexcept { return accepted_.load(); }
    /// Forgets the recorded requests (connections keep their numbers).
    void clear_requests();

    /// Stops listening, closes every connection and joins the threads. Idempotent.
    void stop();

private:
    void accept_loop();
    void serve(int fd, std::size_t connection);

    int listen_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> accepted_{0};
    mutable std::mutex mutex_;
    Handler handler_;
    std::vector<StubRequest> requests_;
    std::vector<int> open_fds_;
    std::list<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace tessera::test
