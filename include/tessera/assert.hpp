#pragma once
/// @file tessera/assert.hpp
/// @brief `TESSERA_ASSERT`: checks a documented "Requires:" precondition; misuse aborts with a message.

namespace tessera::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line) noexcept;
}  // namespace tessera::detail

#define TESSERA_ASSERT(expr) \
    ((expr) ? static_cast<void>(0) : ::tessera::detail::assertion_failed(#expr, __FILE__, __LINE__))
