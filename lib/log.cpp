#include <tessera/log.hpp>

#include "common/time_format.hpp"

#include <tessera/json/canonical.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace tessera::log {
namespace {

struct SinkSlot {
    std::mutex mutex;
    std::shared_ptr<Sink> sink;
    std::atomic<int> min_level{static_cast<int>(Level::info)};
    std::atomic<bool> installed{false};
};

SinkSlot& slot() {
    static SinkSlot instance;
    return instance;
}

class JsonLinesStderrSink final : public Sink {
public:
    void write(Level level,
               std::string_view component,
               std::string_view message,
               const boost::json::object& fields) noexcept override {
        try {
            boost::json::object record;
            record["ts"] = timestamp(std::chrono::system_clock::now());
            record["level"] = to_string(level);
            record["component"] = component;
            record["msg"] = message;
            for (const auto& field : fields) record[field.key()] = field.value();
            // Plain decimals ("0.25", not "2.5E-1") and valid UTF-8 whatever a field holds.
            std::string line = json::serialize(record);
            line += '\n';
            // One fwrite per record keeps concurrent lines whole.
            std::fwrite(line.data(), 1, line.size(), stderr);
        } catch (...) {
            // Logging must never take the process down.
        }
    }
};

}  // namespace

std::string_view to_string(Level level) noexcept {
    switch (level) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
    }
    return "info";
}

void set_sink(std::shared_ptr<Sink> sink, Level min_level) {
    auto& s = slot();
    std::lock_guard lock(s.mutex);
    s.installed = sink != nullptr;
    s.sink = std::move(sink);
    s.min_level = static_cast<int>(min_level);
}

std::string timestamp(std::chrono::system_clock::time_point time) { return common::format_rfc3339(time); }

std::shared_ptr<Sink> make_json_lines_stderr_sink() { return std::make_shared<JsonLinesStderrSink>(); }

bool enabled(Level level) noexcept {
    const auto& s = slot();
    return s.installed.load(std::memory_order_relaxed) &&
           static_cast<int>(level) >= s.min_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view component, std::string_view message, const boost::json::object& fields) {
    if (!enabled(level)) return;
    std::shared_ptr<Sink> sink;
    {
        auto& s = slot();
        std::lock_guard lock(s.mutex);
        sink = s.sink;
    }
    if (sink) sink->write(level, component, message, fields);
}

}  // namespace tessera::log
