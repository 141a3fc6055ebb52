#include "support/child_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <stdexcept>

namespace tessera::test {

pid_t spawn(std::vector<std::string> argv, int stdout_fd, int stderr_fd, const std::string& working_dir) {
    // Everything the child needs is prepared before fork: between fork and exec only
    // async-signal-safe calls are allowed.
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
        if (stdout_fd >= 0) dup2(stdout_fd, STDOUT_FILENO);  // dup2 clears close-on-exec on the copy
        if (stderr_fd >= 0) dup2(stderr_fd, STDERR_FILENO);
        if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(126);
        execv(args[0], args.data());
        _exit(127);
    }
    return pid;
}

}  // namespace tessera::test
