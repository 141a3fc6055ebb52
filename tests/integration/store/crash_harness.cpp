#include "crash_harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace tessera::test {
namespace {

// Appends the complete lines of `chunk` (with what was left over from before) as numbers.
void parse_lines(std::string& pending, std::vector<std::uint64_t>& out) {
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
        out.push_back(std::stoull(pending.substr(start, end - start)));
    }
    pending.erase(0, start);
}

}  // namespace

std::vector<std::uint64_t> run_crash_writer(const std::string& url,
                                            std::size_t acks,
                                            const std::function<void()>& before_kill) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::string executable = TESSERA_CRASH_WRITER;
    std::string argument = url;
    char* argv[] = {executable.data(), argument.data(), nullptr};
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        dup2(fds[1], STDOUT_FILENO);  // dup2 clears close-on-exec on the copy
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);

    std::vector<std::uint64_t> acknowledged;
    std::string pending;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool open = true;
    while (open && acknowledged.size() < acks && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fds[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = read(fds[0], buffer, sizeof buffer);
        if (n <= 0) {
            open = false;  // the writer exited on its own: a failure, reported below
            break;
        }
        pending.append(buffer, static_cast<std::size_t>(n));
        parse_lines(pending, acknowledged);
    }
    if (before_kill) before_kill();
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    // Whatever it acknowledged before it died is still in the pipe.
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) {
        pending.append(buffer, static_cast<std::size_t>(n));
        parse_lines(pending, acknowledged);
    }
    close(fds[0]);
    if (acknowledged.empty()) throw std::runtime_error("the crash writer acknowledged no commit");
    if (!open && acknowledged.size() < acks) throw std::runtime_error("the crash writer exited early");
    return acknowledged;
}

}  // namespace tessera::test
