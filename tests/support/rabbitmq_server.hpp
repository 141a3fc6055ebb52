#pragma once
// A real rabbitmq-server (the Debian package) for integration and end-to-end tests: started by the
// test on free loopback ports (AMQP and Erlang distribution) in its own temporary directory with its
// own node name, so it never touches or collides with a system instance (whose postinst may have
// started one on 5672) nor with other test nodes (epmd is shared by every node on the host). It can be
// killed (SIGKILL, as a crash) and started again on the same ports and data directory. There is no
// mock and no skip: if rabbitmq-server is not installed, the constructor throws and the test fails,
// saying how to install it.
//
// Run as root (CI), the node runs as the `rabbitmq` user, which must own its data and log
// directories; run as anyone else, it runs as that user.

#include "support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace tessera::test {

class RabbitMqServer {
public:
    /// Starts the node and waits (bounded: 120 s, a loaded 2-core machine can take 30 s) until it
    /// speaks AMQP on its port. Throws std::runtime_error if rabbitmq-server is missing or does not
    /// come up (with the end of its log).
    RabbitMqServer();
    /// Stops the node (SIGTERM, then SIGKILL after a bounded wait).
    ~RabbitMqServer();
    RabbitMqServer(const RabbitMqServer&) = delete;
    RabbitMqServer& operator=(const RabbitMqServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// "amqp://guest:guest@127.0.0.1:<port>/%2F" (guest may log in over loopback only: fine here).
    std::string url() const;

    /// Starts the node again on the same ports and data directory (after kill() or stop()); waits as
    /// the constructor does. Throws on failure.
    void start();
    /// SIGKILL to the node's whole process group, as a crash would; waits for it to end.
    void kill() noexcept;
    /// SIGTERM (a clean shutdown), SIGKILL after 30 s. Waits for the process to end.
    void stop() noexcept;
    /// Deletes the node's data (exchanges, queues, messages), so the next start() is a broker that
    /// has never seen a client: a replacement node, or one restored without its disk. Requires: not
    /// running. Throws if the directory cannot be recreated.
    void wipe_data();
    /// SIGSTOP / SIGCONT to the node's process group: a broker that holds its connections open but
    /// answers nothing (publishes then wait for confirms that do not come).
    void pause() noexcept;
    void resume() noexcept;
    bool running() const noexcept { return pid_ > 0; }

    /// The last lines of the node's log, for failure messages.
    std::string log_tail() const;

private:
    bool spawn_and_wait(std::chrono::seconds timeout);
    void prepare_directory();
    // Run as root: hands `path` (and what is below it) to the rabbitmq user the node runs as.
    void give_to_broker(const std::filesystem::path& path) const;

    TempDir dir_;
    std::string script_;
    std::string node_;
    std::uint16_t port_ = 0;
    std::uint16_t dist_port_ = 0;
    pid_t pid_ = -1;
    bool paused_ = false;
};

}  // namespace tessera::test
