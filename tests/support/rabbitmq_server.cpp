#include "support/rabbitmq_server.hpp"

#include "support/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tessera::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStartTimeout = 120s;
constexpr auto kStopTimeout = 30s;
// Debian's real start script: /usr/sbin/rabbitmq-server is a wrapper that insists on su'ing itself.
constexpr const char* kScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

std::atomic<int> node_counter{0};

// True once the node answers the AMQP protocol header with a frame (connection.start): it accepts
// clients. A bare TCP accept is not enough: the listener opens before the broker is fully up.
bool speaks_amqp(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    timeval timeout{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const sockaddr_in address = loopback_address(port);
    bool ok = false;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
        static constexpr char kHeader[] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
        char reply = 0;
        ok = send(fd, kHeader, sizeof kHeader, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof kHeader) &&
             recv(fd, &reply, 1, 0) == 1 && reply == 1;  // frame type 1: a method frame
    }
    close(fd);
    return ok;
}

}  // namespace

RabbitMqServer::RabbitMqServer() {
    if (access(kScript, X_OK) != 0) {
        throw std::runtime_error(
            std::string(kScript) +
            " is missing: the RabbitMQ tests run against a real broker and are never skipped. Install "
            "it (Debian: apt-get install rabbitmq-server; `cmake/quickstart.sh test` does).");
    }
    script_ = kScript;
    node_ = "tessera-test-" + std::to_string(getpid()) + "-" + std::to_string(node_counter++) + "@localhost";
    prepare_directory();
    for (int attempt = 0; attempt < 3; ++attempt) {
        port_ = free_loopback_port();
        do {
            dist_port_ = free_loopback_port();
        } while (dist_port_ == port_);
        if (spawn_and_wait(kStartTimeout)) return;
    }
    throw std::runtime_error("rabbitmq-server did not start; its log ends with:\n" + log_tail());
}

RabbitMqServer::~RabbitMqServer() {
    stop();
}

std::string RabbitMqServer::url() const {
    return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "/%2F";
}

void RabbitMqServer::prepare_directory() {
    const auto& dir = dir_.path();
    std::filesystem::create_directories(dir / "mnesia");
    std::filesystem::create_directories(dir / "log");
    std::ofstream(dir / "enabled_plugins") << "[].\n";  // no management plugin: nothing else listens
    std::ofstream(dir / "rabbitmq-env.conf") << "";     // not /etc/rabbitmq's
    std::ofstream(dir / "rabbitmq.conf") << "log.console = false\nlog.file.level = info\n";
    if (geteuid() != 0) return;
    const passwd* user = getpwnam("rabbitmq");
    if (user == nullptr)
        throw std::runtime_error("running as root, but there is no 'rabbitmq' user to run the broker as");
    // The node runs as `rabbitmq`: it must own its directories, and reach them through ours.
    for (auto parent = dir.parent_path(); !parent.empty() && parent != parent.root_path();
         parent = parent.parent_path()) {
        const auto perms = std::filesystem::status(parent).permissions();
        if ((perms & std::filesystem::perms::others_exec) == std::filesystem::perms::none) {
            throw std::runtime_error("the rabbitmq user cannot reach " + dir.string() + " (" + parent.string() +
                                     " is not searchable by others): point TMPDIR at a directory it can reach");
        }
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                          std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                          std::filesystem::perms::others_exec);
    give_to_broker(dir);
}

void RabbitMqServer::give_to_broker(const std::filesystem::path& path) const {
    if (geteuid() != 0) return;
    const passwd* user = getpwnam("rabbitmq");
    if (user == nullptr)
        throw std::runtime_error("running as root, but there is no 'rabbitmq' user to run the broker as");
    if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) throw std::runtime_error("cannot chown " + path.string());
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (lchown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0) {
            throw std::runtime_error("cannot chown " + entry.path().string());
        }
    }
}

void RabbitMqServer::wipe_data() {
    if (running()) throw std::logic_error("RabbitMqServer::wipe_data: stop or kill the node first");
    const auto mnesia = dir_.path() / "mnesia";
    std::filesystem::remove_all(mnesia);
    std::filesystem::create_directories(mnesia);
    give_to_broker(mnesia);
}

bool RabbitMqServer::spawn_and_wait(std::chrono::seconds timeout) {
    const auto& dir = dir_.path();
    std::vector<std::string> environment{
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=" + dir.string(),  // the Erlang cookie lives here, not in /var/lib/rabbitmq
        "LANG=C.UTF-8",
        "RABBITMQ_NODENAME=" + node_,
        "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
        "RABBITMQ_NODE_PORT=" + std::to_string(port_),
        "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
        "RABBITMQ_MNESIA_BASE=" + (dir / "mnesia").string(),
        "RABBITMQ_LOG_BASE=" + (dir / "log").string(),
        "RABBITMQ_PID_FILE=" + (dir / "pid").string(),
        "RABBITMQ_ENABLED_PLUGINS_FILE=" + (dir / "enabled_plugins").string(),
        "RABBITMQ_CONF_ENV_FILE=" + (dir / "rabbitmq-env.conf").string(),
        "RABBITMQ_CONFIG_FILE=" + (dir / "rabbitmq").string(),
        // With input allowed the script execs the Erlang VM instead of forking it, so the VM is our
        // child (and dies with us); -noinput keeps it from reading a terminal.
        "RABBITMQ_ALLOW_INPUT=1",
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput",
    };
    std::vector<char*> env;
    for (auto& entry : environment) env.push_back(entry.data());
    env.push_back(nullptr);
    std::string script = script_;
    char* argv[] = {script.data(), nullptr};
    const std::string output = (dir / "log" / "console.log").string();
    uid_t uid = getuid();
    gid_t gid = getgid();
    const bool as_rabbitmq = geteuid() == 0;
    if (as_rabbitmq) {
        const passwd* user = getpwnam("rabbitmq");
        uid = user->pw_uid;
        gid = user->pw_gid;
    }

    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        setpgid(0, 0);  // its own process group: kill() reaches the VM and its helpers at once
        const int out = open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (out >= 0) {
            dup2(out, STDOUT_FILENO);
            dup2(out, STDERR_FILENO);
        }
        const int in = open("/dev/null", O_RDONLY);
        if (in >= 0) dup2(in, STDIN_FILENO);
        if (as_rabbitmq && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
        // After the user change: changing credentials clears the parent-death signal.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        if (chdir(dir.c_str()) != 0) _exit(126);
        execve(argv[0], argv, env.data());
        _exit(127);
    }
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: most likely a port was taken
            pid_ = -1;
            return false;
        }
        if (speaks_amqp(port_)) return true;
        std::this_thread::sleep_for(100ms);
    }
    kill();
    return false;
}

void RabbitMqServer::start() {
    if (running()) return;
    // The ports were ours a moment ago; if one is briefly busy, try again for a bounded while.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (spawn_and_wait(kStartTimeout)) return;
        std::this_thread::sleep_for(500ms);
    }
    throw std::runtime_error("rabbitmq-server did not restart on port " + std::to_string(port_) +
                             "; its log ends with:\n" + log_tail());
}

void RabbitMqServer::pause() noexcept {
    if (running() && !paused_) {
        ::kill(-pid_, SIGSTOP);
        paused_ = true;
    }
}

void RabbitMqServer::resume() noexcept {
    if (running() && paused_) {
        ::kill(-pid_, SIGCONT);
        paused_ = false;
    }
}

void RabbitMqServer::kill() noexcept {
    if (!running()) return;
    paused_ = false;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    // The VM's helpers (erl_child_setup, inet_gethost) are in its group and went with it; wait until
    // the port is free again so a restart can bind it.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (accepts_connections(port_) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
}

void RabbitMqServer::stop() noexcept {
    if (!running()) return;
    resume();
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
            const pid_t group = pid_;
            pid_ = -1;
            ::kill(-group, SIGKILL);  // any helper left behind
            return;
        }
        std::this_thread::sleep_for(20ms);
    }
    kill();
}

std::string RabbitMqServer::log_tail() const {
    std::string tail;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "log")) {
        tail += "== " + entry.path().filename().string() + "\n" + tail_lines(entry.path(), 40);
    }
    return tail;
}

}  // namespace tessera::test
