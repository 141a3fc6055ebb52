#include "request_reader.hpp"

#include <tessera/json/text.hpp>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>

namespace tessera::server {
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Enough of a request's first bytes to find its target in the request line.
constexpr std::size_t kStartBytes = 2048;

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

RequestReader::RequestReader(std::size_t body_limit, std::size_t header_limit)
    : body_limit_(body_limit), header_limit_(header_limit) {
    reset();
}

void RequestReader::reset() {
    parser_.emplace();
    parser_->body_limit(body_limit_);
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(header_limit_, UINT32_MAX)));
    // Not eager until the header has passed its checks: a put then stops after the header, so a body
    // is never parsed under framing we are about to refuse.
    parser_->eager(false);
    state_ = State::reading;
    header_checked_ = false;
    rejection_ = {};
    start_.clear();
}

std::size_t RequestReader::feed(std::string_view bytes) {
    if (state_ != State::reading) return 0;
    if (!header_checked_ && start_.size() < kStartBytes) {
        start_.append(bytes.substr(0, kStartBytes - start_.size()));
    }
    std::size_t used = 0;
    while (used < bytes.size() && state_ == State::reading) {
        beast::error_code ec;
        const std::size_t n = parser_->put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
        used += n;
        if (ec == http::error::need_more) break;
        if (ec) {
            fail(ec);
            break;
        }
        if (parser_->is_header_done() && !header_checked_) {
            if (!check_header()) break;
            parser_->eager(true);  // from here on, the body as far as the bytes go
        }
        if (parser_->is_done()) state_ = State::complete;
        if (n == 0) break;
    }
    // A bodiless request completes with its header, maybe in a put that returned need_more before.
    if (state_ == State::reading && parser_->is_header_done() && !header_checked_ && check_header()) {
        parser_->eager(true);
    }
    if (state_ == State::reading && parser_->is_done()) state_ = State::complete;
    return used;
}

void RequestReader::fail(beast::error_code ec) {
    if (ec == http::error::header_limit) {
        return reject({431, ErrorCode::too_large, "the request's header fields exceed " + std::to_string(header_limit_) + " bytes"});
    }
    if (ec == http::error::body_limit) {
        return reject({413, ErrorCode::too_large, "the request body exceeds " + std::to_string(body_limit_) + " bytes"});
    }
    // Everything else Beast refuses is a malformed message: request line, field, length, chunk.
    reject({400, ErrorCode::malformed, "malformed HTTP request: " + ec.message()});
}

void RequestReader::reject(Rejection rejection) {
    state_ = State::rejected;
    rejection_ = std::move(rejection);
}

bool RequestReader::check_header() {
    header_checked_ = true;
    const auto& header = parser_->get();
    const auto codings = header.find(http::field::transfer_encoding) != header.end();
    if (header.version() < 11 && codings) {
        // RFC 9112 §6.1: framing of an HTTP/1.0 message with Transfer-Encoding is faulty.
        reject({400, ErrorCode::malformed, "Transfer-Encoding is not allowed in an HTTP/1.0 request"});
        return false;
    }
    if (codings) {
        if (header.find(http::field::content_length) != header.end()) {
            // RFC 9112 §6.1: both is how request smuggling starts; refuse rather than pick one.
            reject({400, ErrorCode::malformed, "a request may not have both Transfer-Encoding and Content-Length"});
            return false;
        }
        // RFC 9112 §6.3, §7: we decode "chunked" only; any other coding, before it or instead of it,
        // would leave the body's length or meaning unknown (and a request body parsed as the next
        // request).
        std::size_t fields = 0;
        std::string_view only;
        for (const auto& field : header) {
            if (field.name() != http::field::transfer_encoding) continue;
            ++fields;
            only = trim(field.value());
        }
        if (fields != 1 || !beast::iequals(only, "chunked")) {
            reject({501, ErrorCode::unsupported, "unsupported transfer coding '" + json::excerpt(only, 64) +
                                                     "': this server decodes chunked only"});
            return false;
        }
    }
    if (header.version() >= 11) {
        // RFC 9112 §3.2: exactly one Host on HTTP/1.1.
        const auto hosts = header.count(http::field::host);
        if (hosts != 1) {
            reject({400, ErrorCode::malformed, hosts == 0 ? "an HTTP/1.1 request needs a Host header"
                                                          : "a request may carry only one Host header"});
            return false;
        }
    }
    return true;
}

bool RequestReader::expects_continue() const {
    return beast::iequals(trim(parser_->get()[http::field::expect]), "100-continue");
}

unsigned RequestReader::version() const { return parser_->is_header_done() ? parser_->get().version() : 11; }

bool RequestReader::keep_alive() const { return parser_->is_header_done() && parser_->get().keep_alive(); }

std::string RequestReader::target() const {
    std::string_view raw;
    if (parser_->is_header_done()) {
        raw = parser_->get().target();
    } else {
        // "METHOD SP target SP version": what the parser could not give us, read from the bytes.
        std::string_view line(start_);
        line = line.substr(0, line.find('\n'));
        const auto first = line.find(' ');
        if (first != std::string_view::npos) {
            line.remove_prefix(first + 1);
            raw = line.substr(0, line.find(' '));
        }
        if (!raw.starts_with('/')) raw = {};
    }
    return std::string(raw.substr(0, raw.find('?')));
}

rest::Request RequestReader::take() {
    auto request = parser_->release();
    rest::Request out;
    out.method = std::string(request.method_string());
    out.target = std::string(request.target());
    for (const auto& field : request) out.headers.add(std::string(field.name_string()), std::string(field.value()));
    out.body = std::move(request.body());
    return out;
}

}  // namespace tessera::server
