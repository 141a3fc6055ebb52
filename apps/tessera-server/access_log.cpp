#include "access_log.hpp"

#include <tessera/json/canonical.hpp>
#include <tessera/json/text.hpp>
#include <tessera/log.hpp>

#include <boost/json/object.hpp>

#include <cerrno>
#include <cstring>

namespace tessera::server {
namespace {

// What of a request an access log line keeps (the rest is cut with "…").
constexpr std::size_t kMaxMethodBytes = 32;
constexpr std::size_t kMaxTargetBytes = 2048;
constexpr std::size_t kMaxUserAgentBytes = 256;

}  // namespace

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
        // Request bytes are excerpted (bounded, control bytes escaped) before they reach the log; time
        // as the server log writes it, the duration as a plain decimal in microsecond precision.
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(record.duration).count();
        boost::json::object line{
            {"ts", log::timestamp(std::chrono::system_clock::now())},
            {"request_id", record.request_id},
            {"remote", record.remote},
            {"method", json::excerpt(record.method, kMaxMethodBytes)},
            {"target", json::excerpt(record.target, kMaxTargetBytes)},
            {"status", record.status},
            {"bytes", record.bytes},
            {"duration_ms", static_cast<double>(micros) / 1000.0},
        };
        if (!record.user_agent.empty()) line["user_agent"] = json::excerpt(record.user_agent, kMaxUserAgentBytes);
        std::string text = json::serialize(line);
        text += '\n';
        std::fwrite(text.data(), 1, text.size(), file_);
        std::fflush(file_);
    } catch (...) {
        // An access log line is never worth a failed request.
    }
}

}  // namespace tessera::server
