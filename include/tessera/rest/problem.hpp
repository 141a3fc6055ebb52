#pragma once
/// @file tessera/rest/problem.hpp
/// @brief Problem details (RFC 9457) and the one mapping from `ErrorCode` to HTTP status.

#include <tessera/error.hpp>
#include <tessera/rest/message.hpp>

#include <string_view>

namespace tessera::rest {

/// The HTTP status for `error`: `malformed` is 400 (input that cannot be read as what it claims to be:
/// malformed JSON, a malformed patch document, header or query parameter), `invalid` 422 (well-formed
/// but unacceptable: schema violations, an id that contradicts the URL, a reused Idempotency-Key),
/// `method_not_allowed` 405; `unavailable` and `timeout` are 503 (with Retry-After from
/// `make_problem`).
int http_status(const Error& error) noexcept;

/// The reason phrase of `status` ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status) noexcept;

/// An `application/problem+json` response for `error`: `type`, `title`, `status`, `detail`,
/// `instance` (if given), `code` (the ErrorCode wire name), and the error's details (e.g.
/// `errors: [{pointer, message}]`), except `backend` internals which are never sent.
Response make_problem(const Error& error, std::string_view instance = {});

/// The same with a status other than the code's own, for the few transport-level answers that
/// refine one: 431 (a `too_large` header block), 408 (a `timeout` of the client's own).
Response make_problem(const Error& error, std::string_view instance, int status);

}  // namespace tessera::rest
