#pragma once
// A real redis-server for integration tests: started by the test on a free loopback port in its
// own temporary directory, stopped (and its directory removed) when the object dies. It can be
// stopped, killed, paused and started again on the same port and data directory, for crash and
// "Redis is down" tests. There is no mock and no skip: if redis-server is not installed, the
// constructor throws and the test fails, saying how to install it.

#include "support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace tessera::test {

struct RedisServerOptions {
    bool append_only = false;  ///< appendonly yes + appendfsync always (default: no persistence at all).
    std::string password;      ///< requirepass when not empty.
};

class RedisServer {
public:
    /// Starts the server and waits (at most ~5 s) until it answers PING. Throws std::runtime_error
    /// if redis-server is not on PATH or does not come up.
    explicit RedisServer(RedisServerOptions options = {});
    /// Stops the server (SHUTDOWN NOSAVE, then SIGKILL after a bounded wait).
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// "redis://[:password@]127.0.0.1:<port>" followed by `path_and_query` (e.g. "/0?prefix=t1").
    std::string url(std::string_view path_and_query = "/0") const;

    /// Starts it again on the same port and directory (after stop() or kill()). Throws on failure.
    void start();
    /// SHUTDOWN NOSAVE; SIGKILL if it has not exited within 3 s. Waits for the process to end.
    void stop() noexcept;
    /// SIGKILL, as a crash would; waits for the process to end.
    void kill() noexcept;
    /// SIGSTOP / SIGCONT: a server that accepts connections but never answers.
    void pause() noexcept;
    void resume() noexcept;
    bool running() const noexcept { return pid_ > 0; }

    /// Sends one command over a fresh connection and returns the reply: a status, error
    /// ("-ERR ..."), integer or bulk string as text; an array as its elements joined by '\n'.
    /// Throws std::runtime_error if the server cannot be reached.
    std::string command(const std::vector<std::string>& args) const;

private:
    bool spawn_and_wait();
    void reap(std::chrono::milliseconds timeout) noexcept;

    RedisServerOptions options_;
    TempDir dir_;
    std::string executable_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    bool paused_ = false;
};

}  // namespace tessera::test
