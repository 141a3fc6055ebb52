#pragma once
// Accepts TCP connections and starts a Session for each; tracks sessions so SIGTERM can drain them.

#include "access_log.hpp"
#include "config.hpp"

#include <tessera/rest/api.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace tessera::server {

class Session;

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(boost::asio::io_context& io, const Config& config, rest::Api& api, AccessLog& access_log);

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

    boost::asio::io_context& io_;
    const Config& config_;
    rest::Api& api_;
    AccessLog& access_log_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> draining_{false};
    std::mutex mutex_;
    std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_;
    std::function<void()> drained_;
};

}  // namespace tessera::server
