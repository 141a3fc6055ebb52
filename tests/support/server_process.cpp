#include "support/server_process.hpp"

#include "support/child_process.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tessera::test {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::filesystem::path make_temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tessera-server-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

}  // namespace

std::filesystem::path server_binary() { return TESSERA_SERVER_BINARY; }
std::filesystem::path repository_schemas() { return TESSERA_SOURCE_DIR "/schemas"; }

ServerProcess::ServerProcess(ServerOptions options) : dir_(make_temp_dir()) {
    const auto ready_file = dir_ / "ready";
    const auto schemas = options.schemas.empty() ? repository_schemas() : options.schemas;
    std::vector<std::string> args{server_binary().string(), "--listen", "127.0.0.1:0", "--store", options.store,
                                  "--schemas", schemas.string(), "--ready-file", ready_file.string(), "--threads", "2"};
    if (!options.auth) args.insert(args.end(), {"--auth", "off"});
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());

    // stdout (the access log) and stderr (logs) go to files in the temp dir, which is also the
    // server's working directory.
    const int out = open((dir_ / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = open((dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = spawn(args, out, err, dir_.string());
    close(out);
    close(err);
    const auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::string address = read_file(ready_file);
        if (!address.empty() && address.back() == '\n') {
            address.pop_back();
            base_url_ = "http://" + address;
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("tessera-server exited during start-up:\n" + stderr_text());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop(SIGKILL);
    throw std::runtime_error("tessera-server did not start in time:\n" + stderr_text());
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0 && stop(SIGTERM, std::chrono::seconds(10)) == -1) stop(SIGKILL);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

int ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (signal == SIGKILL) {
        int status = 0;
        waitpid(pid_, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
        pid_ = -1;
        return status;
    }
    return -1;
}

std::string ServerProcess::stderr_text() const { return read_file(dir_ / "stderr"); }
std::string ServerProcess::stdout_text() const { return read_file(dir_ / "stdout"); }

}  // namespace tessera::test
