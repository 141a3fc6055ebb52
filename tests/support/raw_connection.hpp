#pragma once
// A plain TCP connection to a test server, to send exactly the bytes a test wants (pipelining, slow
// bodies, malformed requests) and read what comes back. Loopback only; every wait is bounded.

#include <functional>
#include <string>

namespace tessera::test {

class RawConnection {
public:
    /// Connects to the port of `base_url` ("http://127.0.0.1:PORT") on 127.0.0.1; fails the test if
    /// it cannot.
    explicit RawConnection(const std::string& base_url);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    /// Sends all of `bytes` (blocking); false if the peer closed or reset the connection first.
    bool try_send_all(const std::string& bytes);
    /// The same, failing the test if not everything could be sent.
    void send_all(const std::string& bytes);
    /// Reads until `done(text)`, the peer closes, or `timeout_ms` passes.
    std::string read_until(const std::function<bool(const std::string&)>& done, int timeout_ms = 5000);
    /// Reads until the peer closes (or `timeout_ms` passes): a whole response of a closing server.
    std::string read_all(int timeout_ms = 5000);
    /// True if the peer closes the connection within `timeout_ms` (without sending anything first).
    bool closed_by_peer(int timeout_ms = 3000);
    /// Half-closes: no more bytes from us.
    void shutdown_send();

private:
    int fd_ = -1;
};

/// The bytes of one HTTP response in `text`, if it holds a whole one (by Content-Length, or a
/// bodiless status); the empty string otherwise.
std::string first_response(const std::string& text);

}  // namespace tessera::test
