#include "listener.hpp"

#include "session.hpp"

#include <tessera/log.hpp>

#include <boost/asio/post.hpp>

namespace tessera::server {
namespace net = boost::asio;
using net::ip::tcp;

Listener::Listener(std::vector<net::io_context*> io_threads,
                   const Config& config,
                   rest::Api& api,
                   AccessLog& access_log,
                   WorkerPool& workers)
    : io_threads_(std::move(io_threads)),
      config_(config),
      api_(api),
      access_log_(access_log),
      workers_(workers),
      acceptor_(*io_threads_.front()) {}

Result<tcp::endpoint> Listener::open() {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(config_.listen_host, ec);
    if (ec) return Error(ErrorCode::invalid, "'" + config_.listen_host + "' is not an IP address");
    const tcp::endpoint endpoint(address, config_.listen_port);
    auto fail = [&](const char* what) {
        return Error(ErrorCode::unavailable, std::string(what) + " " + config_.listen_host + ":" +
                                                 std::to_string(config_.listen_port) + ": " + ec.message());
    };
    if (acceptor_.open(endpoint.protocol(), ec); ec) return fail("cannot open a socket for");
    if (acceptor_.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("cannot configure");
    if (acceptor_.bind(endpoint, ec); ec) return fail("cannot bind");
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) return fail("cannot listen on");
    return acceptor_.local_endpoint();
}

void Listener::run() { accept(); }

void Listener::accept() {
    // The new connection belongs to the next I/O thread: its handlers run on that thread only.
    auto& io = *io_threads_[next_io_thread_++ % io_threads_.size()];
    acceptor_.async_accept(io, [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec) {
            if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
            log::warn("server", "accept failed", {{"error", ec.message()}});
        } else {
            socket.set_option(tcp::no_delay(true), ec);
            auto session = std::make_shared<Session>(std::move(socket), self->config_, self->api_, self->access_log_,
                                                     self->workers_, self);
            {
                std::lock_guard lock(self->mutex_);
                self->sessions_.emplace(session.get(), session);
            }
            session->start();
        }
        if (!self->draining_) self->accept();
    });
}

void Listener::drain() {
    draining_ = true;
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
    });
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, weak] : sessions_) {
            if (auto session = weak.lock()) live.push_back(std::move(session));
        }
    }
    for (auto& session : live) session->drain();
}

void Listener::on_drained(std::function<void()> callback) {
    std::unique_lock lock(mutex_);
    if (sessions_.empty()) {
        lock.unlock();
        callback();
        return;
    }
    drained_ = std::move(callback);
}

void Listener::forget(const Session* session) {
    std::function<void()> callback;
    {
        std::lock_guard lock(mutex_);
        sessions_.erase(session);
        if (draining_ && sessions_.empty()) callback = std::exchange(drained_, nullptr);
    }
    if (callback) callback();
}

}  // namespace tessera::server
