#pragma once
// Accepts TCP connections and starts a Session for each; tracks sessions so SIGTERM can drain them.

#include "access_log.hpp"
#include "config.hpp"
#include "worker_pool.hpp"

#include <tessera/rest/api.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tessera::server {

class Session;

/// Accepts on the first of `io_threads` and hands each connection to the next one in turn. Each is an
/// io_context run by exactly one thread (as nginx runs one event loop per worker), so a
/// connection's handlers never hop threads and need no strand.
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(std::vector<boost::asio::io_context*> io_threads,
             const Config& config,
             rest::Api& api,
             AccessLog& access_log,
             WorkerPool& workers);

    /// Binds and listens. Returns the bound endpoint, or an error message.
    Result<boost::asio::ip::tcp::endpoint> open();
    /// Starts accepting (after `open`).
    void run();
    /// Stops accepting and asks every session to finish its current request and close.
    void drain();

    /// Calls `callback` once (from any thread) when draining and no session is left.
    void on_drained(std::function<void()> callback);

    // Called by sessions.
    void forget(const Session* session);
    bool draining() const noexcept { return draining_; }

private:
    void accept();

    std::vector<boost::asio::io_context*> io_threads_;
    std::size_t next_io_thread_ = 0;  // only touched by the acceptor's handlers
    const Config& config_;
    rest::Api& api_;
    AccessLog& access_log_;
    WorkerPool& workers_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> draining_{false};
    std::mutex mutex_;
    std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
    std::function<void()> drained_;
};

}  // namespace tessera::server
