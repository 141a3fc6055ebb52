#include <tessera/remote/http_client.hpp>

#include <tessera/version.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::remote {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool starts_with_icase(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// RFC 9110 §5.6.2: tchar.
bool is_token(std::string_view text) noexcept {
    if (text.empty()) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

bool has_line_break(std::string_view text) noexcept {
    return text.find_first_of("\r\n") != std::string_view::npos || text.find('\0') != std::string_view::npos;
}

std::once_flag global_init_once;
constexpr std::size_t kMaxHeaderFields = 1000;

// One exchange's state, reached from libcurl's callbacks.
struct Exchange {
    HttpResponse response;
    std::size_t max_body = 0;
    bool over_limit = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& exchange = *static_cast<Exchange*>(user);
    const std::size_t bytes = size * count;
    if (exchange.response.body.size() + bytes > exchange.max_body) {
        exchange.over_limit = true;
        return 0;  // CURLE_WRITE_ERROR: stop reading
    }
    exchange.response.body.append(data, bytes);
    return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& exchange = *static_cast<Exchange*>(user);
    const std::size_t bytes = size * count;
    std::string_view line(data, bytes);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        // A new status line (after 100 Continue or a redirect): only the final response's fields count.
        exchange.response.headers.clear();
        return bytes;
    }
    // libcurl bounds one field line (100 KB); this bounds their number, so headers cannot grow forever.
    if (exchange.response.headers.size() >= kMaxHeaderFields) {
        exchange.over_limit = true;
        return 0;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return bytes;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    exchange.response.headers.emplace_back(std::string(name), std::string(value));
    return bytes;
}

// The one conversion from libcurl's codes (STYLE §3).
Error from_curl(CURLcode code, const char* detail, bool over_limit, std::size_t max_body) {
    const char* text = detail != nullptr && detail[0] != '\0' ? detail : curl_easy_strerror(code);
    boost::json::object details{
        {"backend", {{"curl", {{"code", static_cast<int>(code)}, {"message", text}}}}}};
    if (over_limit || code == CURLE_FILESIZE_EXCEEDED) {
        return make_error(ErrorCode::too_large,
                          "response larger than " + std::to_string(max_body) + " bytes", std::move(details));
    }
    // On the int: CURLcode has ~100 values and -Wswitch-enum would want each; the rest are internal.
    switch (static_cast<int>(code)) {
        case CURLE_OPERATION_TIMEDOUT:
            return make_error(ErrorCode::timeout, std::string("HTTP request timed out: ") + text, std::move(details));
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
            return make_error(ErrorCode::unavailable, std::string("HTTP request failed: ") + text, std::move(details));
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_TOO_MANY_REDIRECTS:
            return make_error(ErrorCode::invalid, std::string("bad HTTP request: ") + text, std::move(details));
        default:
            return make_error(ErrorCode::internal, std::string("HTTP client failure: ") + text, std::move(details));
    }
}

struct CurlSlist {
    curl_slist* list = nullptr;
    ~CurlSlist() { curl_slist_free_all(list); }
    bool append(const std::string& line) {
        curl_slist* next = curl_slist_append(list, line.c_str());
        if (next == nullptr) return false;
        list = next;
        return true;
    }
};

}  // namespace

const std::string* find_header(const HttpHeaders& headers, std::string_view name) noexcept {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return &value;
    }
    return nullptr;
}

struct HttpClient::Impl {
    explicit Impl(HttpClientOptions o) : options(std::move(o)) {
        if (options.user_agent.empty()) options.user_agent = "tessera/" + std::string(tessera::version());
        std::call_once(global_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }
    ~Impl() {
        for (CURL* handle : idle) curl_easy_cleanup(handle);
    }

    // An idle handle (its connection cache holds the connections it made), or a new one.
    CURL* acquire() {
        {
            std::lock_guard lock(mutex);
            if (!idle.empty()) {
                CURL* handle = idle.back();
                idle.pop_back();
                return handle;
            }
        }
        return curl_easy_init();
    }

    void release(CURL* handle) {
        {
            std::lock_guard lock(mutex);
            if (idle.size() < options.max_idle_connections) {
                idle.push_back(handle);
                return;
            }
        }
        curl_easy_cleanup(handle);
    }

    HttpClientOptions options;
    std::mutex mutex;
    std::vector<CURL*> idle;
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

const HttpClientOptions& HttpClient::options() const noexcept { return impl_->options; }

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
    const HttpClientOptions& options = impl_->options;
    if (!starts_with_icase(request.url, "http://") && !starts_with_icase(request.url, "https://")) {
        // Not the URL in the error: it may hold credentials.
        return make_error(ErrorCode::invalid, "URL must be absolute http:// or https://");
    }
    if (!is_token(request.method)) {
        return make_error(ErrorCode::invalid, "bad HTTP method", {{"method", request.method.substr(0, 64)}});
    }
    if (has_line_break(request.url)) return make_error(ErrorCode::invalid, "URL holds a line break");
    CurlSlist headers;
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
        if (!is_token(name) || has_line_break(value)) {
            return make_error(ErrorCode::invalid, "bad HTTP header", {{"header", name.substr(0, 64)}});
        }
        if (iequals(name, "User-Agent")) has_user_agent = true;
        // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
        if (!headers.append(value.empty() ? name + ";" : name + ": " + value)) {
            return make_error(ErrorCode::internal, "out of memory building headers");
        }
    }
    // libcurl waits up to a second for "100 Continue" before sending a large body; nobody needs that.
    if (find_header(request.headers, "Expect") == nullptr && !headers.append("Expect:")) {
        return make_error(ErrorCode::internal, "out of memory building headers");
    }

    CURL* handle = impl_->acquire();
    if (handle == nullptr) return make_error(ErrorCode::internal, "curl_easy_init failed");
    struct Release {
        Impl& impl;
        CURL* handle;
        ~Release() { impl.release(handle); }
    } release{*impl_, handle};

    // curl_easy_reset keeps the handle's live connections (and DNS/TLS session caches): reuse.
    curl_easy_reset(handle);
    Exchange exchange;
    exchange.max_body = options.max_response_bytes;
    char error_text[CURL_ERROR_SIZE] = {};
    const auto total = request.timeout.value_or(options.timeout);
    const auto connect = std::min(options.connect_timeout, total);

    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // many threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(1, total.count())));
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<long long>(1, connect.count())));
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, options.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects));
    // Refuses early when the server announces a longer body (the write callback catches the rest).
    curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_response_bytes));
    curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl can decode
    if (!has_user_agent) curl_easy_setopt(handle, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.list);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &exchange);

    const bool sends_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                            request.method == "PATCH";
    if (request.method == "HEAD") {
        curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (sends_body) {
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        if (request.method != "POST") curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method != "GET") {
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    const CURLcode code = curl_easy_perform(handle);
    if (code != CURLE_OK) return from_curl(code, error_text, exchange.over_limit, options.max_response_bytes);
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    exchange.response.status = static_cast<int>(status);
    return std::move(exchange.response);
}

}  // namespace tessera::remote
