#include <tessera/error.hpp>

namespace tessera {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::malformed: return "malformed";
        case ErrorCode::invalid: return "invalid";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::conflict: return "conflict";
        case ErrorCode::precondition_failed: return "precondition_failed";
        case ErrorCode::precondition_required: return "precondition_required";
        case ErrorCode::unauthorized: return "unauthorized";
        case ErrorCode::forbidden: return "forbidden";
        case ErrorCode::too_large: return "too_large";
        case ErrorCode::unsupported_media_type: return "unsupported_media_type";
        case ErrorCode::rate_limited: return "rate_limited";
        case ErrorCode::unavailable: return "unavailable";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::method_not_allowed: return "method_not_allowed";
        case ErrorCode::internal: return "internal";
        case ErrorCode::unsupported: return "unsupported";
    }
    return "internal";
}

std::string Error::to_string() const {
    std::string text(tessera::to_string(code_));
    text += ": ";
    text += message_;
    return text;
}

boost::json::object Error::to_json() const {
    boost::json::object out = details_;
    out["code"] = tessera::to_string(code_);
    out["message"] = message_;
    return out;
}

}  // namespace tessera
