#include "crash_harness.hpp"

#include "support/child_process.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace tessera::test {
namespace {

// Moves the complete lines at the front of `pending` into `out` as numbers; a partial last line stays.
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
    const pid_t pid = spawn({TESSERA_CRASH_WRITER, url}, fds[1]);
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

void check_acknowledged_commits(store::Store& store, const std::vector<std::uint64_t>& acknowledged) {
    CAPTURE(acknowledged.size());
    for (const std::uint64_t i : acknowledged) {
        auto document = store.get("crash", "k" + std::to_string(i));
        REQUIRE_MESSAGE(document, "acknowledged commit " << i << " is missing");
    }
    CHECK(store.count("crash").value() >= acknowledged.size());
    CHECK(store.outbox_stats().value().pending >= acknowledged.size());
    // The store is usable after the crash, and its sequence went on from where it was.
    auto next = store.commit(store::Batch{{store::Op::put("after", "crash", "{}")}, {}});
    REQUIRE(next);
    CHECK(next->version > acknowledged.size());
}

}  // namespace tessera::test
