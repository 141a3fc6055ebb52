#pragma once
// Runs the real tessera-server binary on a free loopback port for end-to-end tests, and stops it.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tessera::test {

struct ServerOptions {
    std::string store = "memory:";
    std::filesystem::path schemas;            // default: the repository's schemas/
    std::vector<std::string> extra_args;      // more flags
    bool auth = false;  // false: --auth off (the tests of other features); true: the server's default, auth on
    std::chrono::milliseconds start_timeout{10000};
};

class ServerProcess {
public:
    /// Starts the server and waits (bounded) until it listens. Throws std::runtime_error on failure,
    /// with the server's stderr.
    explicit ServerProcess(ServerOptions options);
    /// Stops the server (SIGTERM, then SIGKILL after 10 s).
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// "http://127.0.0.1:PORT".
    const std::string& base_url() const noexcept { return base_url_; }
    pid_t pid() const noexcept { return pid_; }
    /// The server's working directory (a fresh temporary one): where a relative ./var goes.
    const std::filesystem::path& directory() const noexcept { return dir_; }

    /// Sends `signal` and waits (bounded) for the exit. Returns the exit status as from waitpid
    /// (decode with WIFEXITED/WEXITSTATUS), or -1 if it did not exit in time.
    int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(15));
    /// Everything the server wrote to stderr so far.
    std::string stderr_text() const;
    /// Everything the server wrote to stdout (the access log) so far.
    std::string stdout_text() const;

private:
    std::filesystem::path dir_;
    std::string base_url_;
    pid_t pid_ = -1;
};

/// Path of the built tessera-server binary (from the TESSERA_SERVER_BINARY compile definition).
std::filesystem::path server_binary();
/// The repository's schemas/ directory.
std::filesystem::path repository_schemas();

}  // namespace tessera::test
