#include <tessera/rest/problem.hpp>

#include <tessera/json/text.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <string>

namespace tessera::rest {

int http_status(const Error& error) noexcept {
    // The only ErrorCode → HTTP mapping (-Wswitch-enum flags a new code that is not handled here).
    switch (error.code()) {
        case ErrorCode::malformed: return 400;
        case ErrorCode::invalid: return 422;
        case ErrorCode::not_found: return 404;
        case ErrorCode::conflict: return 409;
        case ErrorCode::precondition_failed: return 412;
        case ErrorCode::precondition_required: return 428;
        case ErrorCode::unauthorized: return 401;
        case ErrorCode::forbidden: return 403;
        case ErrorCode::too_large: return 413;
        case ErrorCode::unsupported_media_type: return 415;
        case ErrorCode::rate_limited: return 429;
        case ErrorCode::unavailable: return 503;
        case ErrorCode::timeout: return 503;
        case ErrorCode::method_not_allowed: return 405;
        case ErrorCode::internal: return 500;
        case ErrorCode::unsupported: return 501;
    }
    return 500;
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 428: return "Precondition Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

namespace {

// Enough for any route of ours; a longer target is excerpted (it can only be a 404 anyway).
constexpr std::size_t kMaxInstanceBytes = 512;

// RFC 9110 §10.2.3: Retry-After in whole seconds; a wait the refuser knows (an open circuit breaker)
// is rounded up, so a client that obeys it does not come back too early; otherwise 1 s.
std::string retry_after_seconds(const Error& error) {
    const auto wait = error.retry_after().value_or(std::chrono::seconds(1));
    return std::to_string(std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(wait).count()));
}

Response problem_response(int status, boost::json::object body, const Error& error) {
    Response response;
    response.status = status;
    response.headers.set("Content-Type", "application/problem+json");
    if (status == 503) response.headers.set("Retry-After", retry_after_seconds(error));
    response.body = boost::json::serialize(body);
    return response;
}

}  // namespace

Response make_problem(const Error& error, std::string_view instance) {
    return make_problem(error, instance, http_status(error));
}

Response make_problem(const Error& error, std::string_view instance, int status) {
    boost::json::object body;
    for (const auto& [key, value] : error.details()) {
        if (key != "backend") body[key] = value;  // backend internals stay in the logs
    }
    // RFC 9457 §4.2: "about:blank" means the status code says it all; our code refines it.
    body["type"] = "about:blank";
    body["title"] = reason_phrase(status);
    body["status"] = status;
    // Messages may quote request bytes; those are excerpted where quoted, and this is the last line
    // of defence: a problem is always valid JSON and bounded.
    body["detail"] = json::is_valid_utf8(error.message()) ? error.message() : json::excerpt(error.message(), 1024);
    body["code"] = to_string(error.code());
    if (!instance.empty()) body["instance"] = json::excerpt(instance, kMaxInstanceBytes);
    return problem_response(status, std::move(body), error);
}


}  // namespace tessera::rest
