#pragma once
/// @file tessera/remote/http_client.hpp
/// @brief `remote::HttpClient`: a blocking HTTP/1.1 client (libcurl) for upstream APIs and the
/// Elasticsearch backend — reused connections, bounded time and response size, TLS verified.
///
/// Every failure is a value (`Result`), converted once from libcurl's code (kept in
/// `details.backend.curl`); an HTTP status of any value is a response, not an error. Redirects are
/// not followed unless `max_redirects` says so. Retry and circuit breaking are the caller's
/// (`remote` retry/breaker components wrap `send`).

#include <tessera/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::remote {

/// Header fields in order; names compare case-insensitively (`find_header`).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// The value of the first field named `name` (ASCII case-insensitive), or nullptr.
const std::string* find_header(const HttpHeaders& headers, std::string_view name) noexcept;

/// Options of a client. Field comments give defaults.
struct HttpClientOptions {
    /// Time to establish a connection (TCP + TLS). Default 2 s.
    std::chrono::milliseconds connect_timeout{2000};
    /// Time for a whole exchange, connect included (`HttpRequest::timeout` overrides it). Default 10 s.
    std::chrono::milliseconds timeout{10000};
    /// Largest response body accepted; a longer one is `too_large` (reading stops there). Default 16 MiB.
    std::size_t max_response_bytes = 16 * 1024 * 1024;
    /// Verify the server's TLS certificate and host name against the system's CA store. Default true.
    bool verify_tls = true;
    /// Redirects followed (0: a 3xx is returned as the response). Default 0.
    unsigned max_redirects = 0;
    /// User-Agent sent with every request (a request's own User-Agent header wins). Default
    /// "tessera/<version>".
    std::string user_agent;
    /// Idle connections kept for reuse; concurrent requests beyond it open connections that are
    /// closed afterwards. Default 8.
    std::size_t max_idle_connections = 8;
};

/// One request.
struct HttpRequest {
    std::string method = "GET";  ///< An HTTP token ("GET", "POST", "PUT", "DELETE", "HEAD", ...).
    std::string url;             ///< Absolute http:// or https:// URL.
    HttpHeaders headers;         ///< Sent as given (no CR/LF allowed). Content-Length is set from `body`.
    std::string body;            ///< Sent when non-empty (or for POST/PUT/PATCH, even empty).
    std::optional<std::chrono::milliseconds> timeout;  ///< Overrides `HttpClientOptions::timeout`.

    friend bool operator==(const HttpRequest&, const HttpRequest&) = default;
};

/// One response (of any status).
struct HttpResponse {
    int status = 0;
    HttpHeaders headers;  ///< Of the final response (after a 100 Continue or followed redirects).
    std::string body;

    /// The first header named `name`, or nullptr.
    const std::string* header(std::string_view name) const noexcept { return find_header(headers, name); }

    friend bool operator==(const HttpResponse&, const HttpResponse&) = default;
};

/// A blocking HTTP client with a small pool of connections. Thread safety: `send` may be called
/// concurrently from any thread; each call uses a connection of its own. Move-only; a moved-from
/// client may only be destroyed or assigned to.
class HttpClient {
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Sends `request` and reads the whole response, reusing an idle connection to the same host
    /// when there is one. Errors: `invalid` (malformed URL, a scheme other than http/https, a bad
    /// method or header), `unavailable` (connection refused or reset, name not resolved, TLS
    /// handshake or certificate verification failed, connection closed before a whole response),
    /// `timeout` (connect or total time exceeded), `too_large` (body over `max_response_bytes`),
    /// `internal` (anything else); libcurl's code and text in `details.backend.curl`.
    Result<HttpResponse> send(const HttpRequest& request);

    const HttpClientOptions& options() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::remote
