#pragma once
// Private: small response builders shared by the REST components (api.cpp, events_admin.cpp).

#include <tessera/json/text.hpp>
#include <tessera/rest/message.hpp>
#include <tessera/rest/problem.hpp>
#include <tessera/result.hpp>

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::rest {

/// `status` with `body` as application/json.
inline Response json_response(int status, std::string body) {
    Response response;
    response.status = status;
    response.headers.set("Content-Type", "application/json");
    response.body = std::move(body);
    return response;
}

/// 405 with the methods the resource allows (RFC 9110 §15.5.6: Allow is required).
inline Response method_not_allowed(std::string_view allow, std::string_view method, std::string_view instance) {
    Response response = make_problem(
        Error(ErrorCode::method_not_allowed, "method " + json::excerpt(method, 32) + " is not allowed here; allowed: " +
                                                 std::string(allow)),
        instance);
    response.headers.set("Allow", std::string(allow));
    return response;
}

/// A `limit` query parameter: an integer from 1 to `max`. Errors: `invalid` naming the parameter.
inline Result<std::size_t> parse_limit(std::string_view text, std::size_t max) {
    std::size_t limit = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > max) {
        return Error(ErrorCode::malformed, "limit must be an integer from 1 to " + std::to_string(max),
                     {{"parameter", "limit"}});
    }
    return limit;
}

}  // namespace tessera::rest
