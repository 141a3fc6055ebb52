#include "support/raw_connection.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tessera::test {

RawConnection::RawConnection(const std::string& base_url) {
    const auto colon = base_url.rfind(':');
    const int port = std::stoi(base_url.substr(colon + 1));
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
}

RawConnection::~RawConnection() { close(fd_); }

bool RawConnection::try_send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

void RawConnection::send_all(const std::string& bytes) { REQUIRE(try_send_all(bytes)); }

std::string RawConnection::read_until(const std::function<bool(const std::string&)>& done, int timeout_ms) {
    std::string text;
    char buffer[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done(text) && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

std::string RawConnection::read_all(int timeout_ms) {
    return read_until([](const std::string&) { return false; }, timeout_ms);
}

bool RawConnection::closed_by_peer(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

void RawConnection::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

std::string first_response(const std::string& text) {
    const auto end = text.find("\r\n\r\n");
    if (end == std::string::npos) return {};
    const std::string head = text.substr(0, end + 4);
    const auto length_at = head.find("Content-Length: ");
    if (length_at == std::string::npos) return head;
    const auto length = std::stoul(head.substr(length_at + 16));
    if (text.size() < head.size() + length) return {};
    return text.substr(0, head.size() + length);
}

}  // namespace tessera::test
