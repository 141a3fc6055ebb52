#pragma once
// Helpers for fixtures that start real servers: a free loopback port, an executable on PATH, the
// end of a log.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tessera::test {

/// 127.0.0.1:`port` as a socket address.
sockaddr_in loopback_address(std::uint16_t port);

/// A TCP port the kernel just handed out for 127.0.0.1. Another process could take it before the
/// server binds it; callers then try another. Throws std::runtime_error if none is available.
std::uint16_t free_loopback_port();

/// The full path of `name` in $PATH (or /usr/local/bin:/usr/bin:/bin), or "" if it is not there.
std::string find_on_path(std::string_view name);

/// True if something accepts TCP connections on 127.0.0.1:`port`.
bool accepts_connections(std::uint16_t port);

/// The last `count` lines of `file`, each ending in '\n' ("" if it cannot be read): for errors
/// that quote a server's log.
std::string tail_lines(const std::filesystem::path& file, std::size_t count);

}  // namespace tessera::test
