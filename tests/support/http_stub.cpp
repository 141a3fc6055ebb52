#include "support/http_stub.hpp"

#include "support/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tessera::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 409: return "Conflict";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Status";
    }
}

constexpr std::size_t kMaxRequestBytes = 64 * 1024 * 1024;

}  // namespace

std::string StubRequest::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

std::string StubRequest::path() const { return target.substr(0, target.find('?')); }

std::string StubRequest::query() const {
    const auto q = target.find('?');
    return q == std::string::npos ? std::string() : target.substr(q + 1);
}

HttpStub::HttpStub(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback_address(0);
    socklen_t length = sizeof address;
    const int on = 1;
    if (listen_fd_ < 0 || setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 || listen(listen_fd_, 64) != 0 ||
        pipe2(wake_pipe_, O_CLOEXEC) != 0) {
        if (listen_fd_ >= 0) close(listen_fd_);
        throw std::runtime_error("HttpStub: cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

HttpStub::~HttpStub() { stop(); }

std::string HttpStub::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void HttpStub::set_handler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

std::vector<StubRequest> HttpStub::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void HttpStub::clear_requests() {
    std::lock_guard lock(mutex_);
    requests_.clear();
}

void HttpStub::stop() {
    if (stopping_.exchange(true)) return;
    const char byte = 0;
    (void)!write(wake_pipe_[1], &byte, 1);
    if (acceptor_.joinable()) acceptor_.join();
    {
        std::lock_guard lock(mutex_);
        for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    }
    // Threads only end; nobody adds one after the acceptor is gone.
    for (auto& t : threads_) t.join();
    threads_.clear();
    close(listen_fd_);
    close(wake_pipe_[0]);
    close(wake_pipe_[1]);
}

void HttpStub::accept_loop() {
    while (!stopping_) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents != 0) return;
        if ((fds[0].revents & POLLIN) == 0) continue;
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        const std::size_t connection = ++accepted_;
        std::lock_guard lock(mutex_);
        open_fds_.push_back(fd);
        threads_.emplace_back([this, fd, connection] { serve(fd, connection); });
    }
}

void HttpStub::serve(int fd, std::size_t connection) {
    std::string buffer;
    auto forget = [&] {
        std::lock_guard lock(mutex_);
        open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
        close(fd);
    };
    // Waits for more bytes (or stop): false when the peer closed or we are stopping.
    auto read_more = [&]() -> bool {
        while (!stopping_) {
            pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
            if (poll(fds, 2, 200) < 0) return false;
            if (fds[1].revents != 0) return false;
            if (fds[0].revents == 0) continue;
            char chunk[16384];
            const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) return false;
            buffer.append(chunk, static_cast<std::size_t>(n));
            return buffer.size() <= kMaxRequestBytes;
        }
        return false;
    };
    while (!stopping_) {
        std::size_t head_end;
        while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!read_more()) return forget();
            // Not a request line (a TLS ClientHello starts with 0x16): answer as a plain server would.
            if (!std::isupper(static_cast<unsigned char>(buffer.front()))) {
                const std::string_view bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                (void)!::send(fd, bad.data(), bad.size(), MSG_NOSIGNAL);
                return forget();
            }
        }
        StubRequest request;
        request.connection = connection;
        const std::string head = buffer.substr(0, head_end);
        std::size_t line_end = head.find("\r\n");
        const std::string request_line = head.substr(0, line_end);
        const auto sp1 = request_line.find(' ');
        const auto sp2 = request_line.find(' ', sp1 + 1);
        if (sp1 == std::string::npos || sp2 == std::string::npos) return forget();
        request.method = request_line.substr(0, sp1);
        request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
            auto end = head.find("\r\n", pos);
            if (end == std::string::npos) end = head.size();
            const std::string line = head.substr(pos, end - pos);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                value.erase(value.find_last_not_of(" \t") + 1);
                request.headers.emplace_back(line.substr(0, colon), value);
            }
            pos = end + 2;
        }
        std::size_t length = 0;
        if (const std::string cl = request.header("Content-Length"); !cl.empty()) length = std::stoul(cl);
        const std::size_t body_start = head_end + 4;
        while (buffer.size() < body_start + length) {
            if (!read_more()) return forget();
        }
        request.body = buffer.substr(body_start, length);
        buffer.erase(0, body_start + length);

        Handler handler;
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            handler = handler_;
        }
        StubResponse response = handler ? handler(request) : StubResponse{404, {}, "", {}, StubResponse::Action::respond};
        for (auto waited = std::chrono::milliseconds(0); waited < response.delay && !stopping_;) {
            const auto step = std::min(response.delay - waited, std::chrono::milliseconds(20));
            std::this_thread::sleep_for(step);
            waited += step;
        }
        if (stopping_) return forget();
        if (response.action == StubResponse::Action::reset) {
            const linger hard{1, 0};  // close() now sends RST
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
            return forget();
        }
        if (response.action == StubResponse::Action::close) return forget();

        std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reason(response.status)) + "\r\n";
        for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
        out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
        if (request.method != "HEAD") out += response.body;
        for (std::size_t sent = 0; sent < out.size();) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return forget();
            sent += static_cast<std::size_t>(n);
        }
        if (iequals(request.header("Connection"), "close")) return forget();
    }
    forget();
}

}  // namespace tessera::test
