#include <tessera/assert.hpp>

#include <cstdio>
#include <cstdlib>

namespace tessera::detail {

void assertion_failed(const char* expression, const char* file, int line) noexcept {
    // Misuse of the API is a bug in the caller: fail loudly, where it happened.
    std::fprintf(stderr, "tessera: assertion failed: %s (%s:%d)\n", expression, file, line);
    std::abort();
}

}  // namespace tessera::detail
