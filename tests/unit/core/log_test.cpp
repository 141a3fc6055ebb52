#include <tessera/log.hpp>

#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <vector>

namespace {
struct Record {
    tessera::log::Level level;
    std::string component, message;
};
class CapturingSink final : public tessera::log::Sink {
public:
    void write(tessera::log::Level level, std::string_view component, std::string_view message,
               const boost::json::object&) noexcept override {
        std::lock_guard lock(mutex);
        records.push_back({level, std::string(component), std::string(message)});
    }
    std::mutex mutex;
    std::vector<Record> records;
};
}  // namespace

TEST_SUITE("core") {
    TEST_CASE("log: records below the minimum level are dropped; no sink drops all") {
        auto sink = std::make_shared<CapturingSink>();
        tessera::log::set_sink(sink, tessera::log::Level::warn);
        tessera::log::info("test", "hidden");
        tessera::log::warn("test", "shown");
        tessera::log::set_sink(nullptr);
        tessera::log::error("test", "after removal");
        REQUIRE(sink->records.size() == 1);
        CHECK(sink->records[0].message == "shown");
        CHECK(sink->records[0].level == tessera::log::Level::warn);
    }
}
