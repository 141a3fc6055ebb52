#pragma once
// One JSON object per answered request, one line each, to stdout or a file.

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::server {

struct AccessRecord {
    std::string_view request_id;
    std::string_view remote;
    std::string_view method;
    std::string_view target;
    int status = 0;
    std::size_t bytes = 0;
    std::chrono::steady_clock::duration duration{};
    std::string_view user_agent;
};

class AccessLog {
public:
    /// "-" logs to stdout, "off" disables, anything else is a file opened for appending.
    /// Returns nullptr (and sets `error`) if the file cannot be opened.
    static std::unique_ptr<AccessLog> open(const std::string& destination, std::string& error);
    ~AccessLog();

    bool enabled() const noexcept { return file_ != nullptr; }
    /// Thread-safe: each record is one fwrite, which stdio locks.
    void write(const AccessRecord& record) noexcept;

private:
    AccessLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
    std::FILE* file_;
    bool owned_;
};

}  // namespace tessera::server
