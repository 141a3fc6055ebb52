#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tessera/log.hpp>

#include <cstdlib>

// TESSERA_TEST_LOG=debug|info|warn|error sends the library's log to stderr (to see why a test failed).
int main(int argc, char** argv) {
    if (const char* level = std::getenv("TESSERA_TEST_LOG"); level != nullptr) {
        for (auto l : {tessera::log::Level::debug, tessera::log::Level::info, tessera::log::Level::warn,
                       tessera::log::Level::error}) {
            if (tessera::log::to_string(l) == level)
                tessera::log::set_sink(tessera::log::make_json_lines_stderr_sink(), l);
        }
    }
    return doctest::Context(argc, argv).run();
}
