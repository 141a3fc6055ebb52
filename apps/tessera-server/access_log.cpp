#include "access_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>

namespace tessera::server {

std::unique_ptr<AccessLog> AccessLog::open(const std::string& destination, std::string& error) {
    if (destination == "off") return std::unique_ptr<AccessLog>(new AccessLog(nullptr, false));
    if (destination == "-") return std::unique_ptr<AccessLog>(new AccessLog(stdout, false));
    std::FILE* file = std::fopen(destination.c_str(), "a");
    if (file == nullptr) {
        error = "cannot open access log '" + destination + "': " + std::strerror(errno);
        return nullptr;
    }
    return std::unique_ptr<AccessLog>(new AccessLog(file, true));
}

AccessLog::~AccessLog() {
    if (owned_ && file_ != nullptr) std::fclose(file_);
}

void AccessLog::write(const AccessRecord& record) noexcept {
    if (file_ == nullptr) return;
    try {
        const auto now = std::chrono::system_clock::now();
        boost::json::object line{
            {"ts", std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() / 1000.0},
            {"request_id", record.request_id},
            {"remote", record.remote},
            {"method", record.method},
            {"target", record.target},
            {"status", record.status},
            {"bytes", record.bytes},
            {"duration_ms", std::chrono::duration<double, std::milli>(record.duration).count()},
        };
        if (!record.user_agent.empty()) line["user_agent"] = record.user_agent;
        std::string text = boost::json::serialize(line);
        text += '\n';
        std::fwrite(text.data(), 1, text.size(), file_);
        std::fflush(file_);
    } catch (...) {
        // An access log line is never worth a failed request.
    }
}

}  // namespace tessera::server
