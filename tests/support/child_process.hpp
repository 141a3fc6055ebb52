#pragma once
// Starting helper processes (redis-server, the crash writer) from tests.

#include <string>
#include <sys/types.h>
#include <vector>

namespace tessera::test {

/// Forks and execs `argv` (argv[0] is the executable's path). The child is killed by the kernel
/// if the test process dies (PR_SET_PDEATHSIG), so no helper outlives a crashed test; if
/// `stdout_fd` / `stderr_fd` >= 0 they become the child's stdout / stderr, and a non-empty
/// `working_dir` its current directory. Returns the child's pid; throws std::runtime_error if fork
/// fails. The caller reaps the child.
pid_t spawn(std::vector<std::string> argv, int stdout_fd = -1, int stderr_fd = -1, const std::string& working_dir = {});

}  // namespace tessera::test
