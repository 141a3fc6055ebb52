#include <tessera/rest/problem.hpp>

#include <boost/json/serialize.hpp>

namespace tessera::rest {

int http_status(const Error& error) noexcept {
    // The only ErrorCode → HTTP mapping (-Wswitch-enum flags a new code that is not handled here).
    switch (error.code()) {
        case ErrorCode::invalid: {
            const auto* kind = error.details().if_contains("kind");
            return kind != nullptr && kind->is_string() && kind->as_string() == "syntax" ? 400 : 422;
        }
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
        case ErrorCode::internal: return 500;
        case ErrorCode::unsupported: return 501;
    }
    return 500;
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
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
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

namespace {

Response problem_response(int status, boost::json::object body) {
    Response response;
    response.status = status;
    response.headers.set("Content-Type", "application/problem+json");
    if (status == 503) response.headers.set("Retry-After", "1");
    response.body = boost::json::serialize(body);
    return response;
}

}  // namespace

Response make_problem(const Error& error, std::string_view instance) {
    const int status = http_status(error);
    boost::json::object body;
    for (const auto& [key, value] : error.details()) {
        if (key != "backend") body[key] = value;  // backend internals stay in the logs
    }
    // RFC 9457 §4.2: "about:blank" means the status code says it all; our code refines it.
    body["type"] = "about:blank";
    body["title"] = reason_phrase(status);
    body["status"] = status;
    body["detail"] = error.message();
    body["code"] = to_string(error.code());
    if (!instance.empty()) body["instance"] = instance;
    return problem_response(status, std::move(body));
}

Response make_problem(int status, std::string_view detail) {
    return problem_response(status, {{"type", "about:blank"},
                                     {"title", reason_phrase(status)},
                                     {"status", status},
                                     {"detail", detail}});
}

}  // namespace tessera::rest
