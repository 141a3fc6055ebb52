#pragma once
// A small blocking HTTP/1.1 client over libcurl for end-to-end tests. One client = one keep-alive
// connection (reused across requests). Not thread-safe: use one client per thread.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::test {

struct HttpResponse {
    int status = 0;  // 0: transport failure (see `error`)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;

    /// First header value with this name (case-insensitive), or "".
    std::string header(std::string_view name) const;
};

class HttpClient {
public:
    /// `base` like "http://127.0.0.1:8080".
    explicit HttpClient(std::string base, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse request(const std::string& method,
                         const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         const std::string& body = {});

    HttpResponse get(const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
        return request("GET", path, headers);
    }

    const std::string& base() const noexcept { return base_; }

private:
    std::string base_;
    std::chrono::milliseconds timeout_;
    void* curl_;  // CURL*
};

}  // namespace tessera::test
