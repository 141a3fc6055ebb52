#pragma once
/// @file tessera/log.hpp
/// @brief The library never prints: it logs through a sink that the application installs.

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::log {

enum class Level { debug, info, warn, error };

/// The wire name of `level` ("debug", "info", "warn", "error").
std::string_view to_string(Level level) noexcept;

/// Receives every log record. Thread safety: `write` is called concurrently from any thread,
/// so implementations must be thread-safe.
class Sink {
public:
    virtual ~Sink() = default;
    /// `component` names the module ("store.redis"); `fields` carries structured context.
    virtual void write(Level level,
                       std::string_view component,
                       std::string_view message,
                       const boost::json::object& fields) noexcept = 0;
};

/// Installs `sink` process-wide (nullptr: drop everything, the default) and sets the minimum
/// level passed to it. Safe to call at any time, from any thread.
void set_sink(std::shared_ptr<Sink> sink, Level min_level = Level::info);

/// A sink writing one JSON object per line to stderr: {"ts","level","component","msg",...fields}.
std::shared_ptr<Sink> make_json_lines_stderr_sink();

/// `time` as the "ts" of a log record: RFC 3339 in UTC with milliseconds ("2026-11-23T04:13:20.123Z"),
/// for other JSON-lines streams of an application (an access log) to match.
std::string timestamp(std::chrono::system_clock::time_point time);

/// True if a record at `level` would reach a sink (lets callers skip building fields).
bool enabled(Level level) noexcept;

/// Emits one record to the installed sink, if any and if `level` is enabled.
void write(Level level, std::string_view component, std::string_view message, const boost::json::object& fields = {});

inline void debug(std::string_view c, std::string_view m, const boost::json::object& f = {}) { write(Level::debug, c, m, f); }
inline void info(std::string_view c, std::string_view m, const boost::json::object& f = {}) { write(Level::info, c, m, f); }
inline void warn(std::string_view c, std::string_view m, const boost::json::object& f = {}) { write(Level::warn, c, m, f); }
inline void error(std::string_view c, std::string_view m, const boost::json::object& f = {}) { write(Level::error, c, m, f); }

}  // namespace tessera::log
