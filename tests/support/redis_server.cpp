#include "support/redis_server.hpp"

#include "support/child_process.hpp"
#include "support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <thread>

namespace tessera::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kReadyTimeout = 5s;
constexpr auto kStopTimeout = 3s;

class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

// Reads RESP replies from a socket (enough of RESP2 for test commands).
class ReplyReader {
public:
    explicit ReplyReader(int fd) noexcept : fd_(fd) {}

    std::optional<std::string> reply() {
        auto line = read_line();
        if (!line || line->empty()) return std::nullopt;
        const char type = (*line)[0];
        std::string rest = line->substr(1);
        switch (type) {
            case '+':
            case ':': return rest;
            case '-': return "-" + rest;
            case '$': {
                const long length = std::strtol(rest.c_str(), nullptr, 10);
                if (length < 0) return std::string("(nil)");
                auto bytes = read_bytes(static_cast<std::size_t>(length) + 2);
                if (!bytes) return std::nullopt;
                bytes->resize(static_cast<std::size_t>(length));
                return bytes;
            }
            case '*': {
                const long count = std::strtol(rest.c_str(), nullptr, 10);
                std::string joined;
                for (long i = 0; i < count; ++i) {
                    auto element = reply();
                    if (!element) return std::nullopt;
                    if (i > 0) joined += '\n';
                    joined += *element;
                }
                return joined;
            }
            default: return std::nullopt;
        }
    }

private:
    bool fill() {
        char chunk[4096];
        const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
    std::optional<std::string> read_line() {
        std::size_t end;
        while ((end = buffer_.find("\r\n", position_)) == std::string::npos) {
            if (!fill()) return std::nullopt;
        }
        std::string line = buffer_.substr(position_, end - position_);
        position_ = end + 2;
        return line;
    }
    std::optional<std::string> read_bytes(std::size_t n) {
        while (buffer_.size() - position_ < n) {
            if (!fill()) return std::nullopt;
        }
        std::string bytes = buffer_.substr(position_, n);
        position_ += n;
        return bytes;
    }

    int fd_;
    std::string buffer_;
    std::size_t position_ = 0;
};

std::string encode(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& arg : args) out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    return out;
}

}  // namespace

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
    executable_ = find_on_path("redis-server");
    if (executable_.empty()) {
        throw std::runtime_error(
            "redis-server is not on PATH: the Redis integration tests run against a real server and are never "
            "skipped. Install it (Debian: apt-get install redis-server; `cmake/quickstart.sh test` does).");
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_loopback_port();
        if (spawn_and_wait()) return;
    }
    throw std::runtime_error("redis-server did not start; its log ends with:\n" + tail_lines(dir_.path() / "redis.log", 8));
}

RedisServer::~RedisServer() { stop(); }

std::string RedisServer::url(std::string_view path_and_query) const {
    std::string url = "redis://";
    if (!options_.password.empty()) url += ":" + options_.password + "@";
    url += "127.0.0.1:" + std::to_string(port_);
    url += path_and_query;
    return url;
}

void RedisServer::start() {
    if (running()) return;
    // The port was ours a moment ago; if it is briefly busy, try again for a bounded while.
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (spawn_and_wait()) return;
        std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("redis-server did not restart on port " + std::to_string(port_) +
                             "; its log ends with:\n" + tail_lines(dir_.path() / "redis.log", 8));
}

bool RedisServer::spawn_and_wait() {
    std::vector<std::string> args = {executable_,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_.path().string(),
                                     "--logfile",
                                     (dir_.path() / "redis.log").string(),
                                     "--daemonize",
                                     "no",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     options_.append_only ? "yes" : "no"};
    if (options_.append_only) args.insert(args.end(), {"--appendfsync", "always"});
    if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
    const pid_t pid = spawn(std::move(args));
    pid_ = pid;
    paused_ = false;

    const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: most likely the port was taken
            pid_ = -1;
            return false;
        }
        try {
            if (command({"PING"}) == "PONG") return true;  // -LOADING while it reads its AOF: wait
        } catch (const std::runtime_error&) {
            // not listening yet
        }
        std::this_thread::sleep_for(10ms);
    }
    kill();
    return false;
}

void RedisServer::reap(std::chrono::milliseconds timeout) noexcept {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(5ms);
    }
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void RedisServer::stop() noexcept {
    if (!running()) return;
    resume();
    try {
        (void)command({"SHUTDOWN", "NOSAVE"});
    } catch (...) {
        // The connection closes as the server exits; or it is wedged and reap() kills it.
    }
    reap(std::chrono::duration_cast<std::chrono::milliseconds>(kStopTimeout));
}

void RedisServer::kill() noexcept {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    paused_ = false;
}

void RedisServer::pause() noexcept {
    if (running() && !paused_) {
        ::kill(pid_, SIGSTOP);
        paused_ = true;
    }
}

void RedisServer::resume() noexcept {
    if (running() && paused_) {
        ::kill(pid_, SIGCONT);
        paused_ = false;
    }
}

std::string RedisServer::command(const std::vector<std::string>& args) const {
    Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw std::runtime_error("socket failed");
    timeval timeout{2, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    const sockaddr_in address = loopback_address(port_);
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(port_));
    }
    std::string request;
    if (!options_.password.empty()) request += encode({"AUTH", options_.password});
    request += encode(args);
    if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        throw std::runtime_error("cannot send to redis-server");
    }
    ReplyReader reader(fd.get());
    std::optional<std::string> reply;
    if (!options_.password.empty()) reply = reader.reply();
    reply = reader.reply();
    if (!reply) throw std::runtime_error("no reply from redis-server");
    return *reply;
}

}  // namespace tessera::test
