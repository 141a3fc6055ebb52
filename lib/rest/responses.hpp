#pragma once
// Private: small response builders shared by the REST components (api.cpp, events_admin.cpp).

#include <tessera/rest/message.hpp>
#include <tessera/rest/problem.hpp>

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
inline Response method_not_allowed(std::string_view allow, std::string_view method) {
    Response response = make_problem(405, "method " + std::string(method) + " is not allowed here");
    response.headers.set("Allow", std::string(allow));
    return response;
}

}  // namespace tessera::rest
