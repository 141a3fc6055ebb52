#pragma once
/// @file tessera/rest/problem.hpp
/// @brief Problem details (RFC 9457) and the one mapping from `ErrorCode` to HTTP status.

#include <tessera/error.hpp>
#include <tessera/rest/message.hpp>

#include <string_view>

namespace tessera::rest {

/// The HTTP status for `error`. `invalid` is 422 (well-formed but unacceptable: schema violations, an
/// id that contradicts the URL, a reused Idempotency-Key), except input that cannot be parsed at all
/// (`details.kind == "syntax"`: malformed JSON, a malformed patch document or header) which is 400.
/// `unavailable` and `timeout` are 503 (with Retry-After from `make_problem`).
int http_status(const Error& error) noexcept;

/// The reason phrase of `status` ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status) noexcept;

/// An `application/problem+json` response for `error`: `type`, `title`, `status`, `detail`,
/// `instance` (if given), `code` (the ErrorCode wire name), and the error's details (e.g.
/// `errors: [{pointer, message}]`), except `backend` internals which are never sent.
Response make_problem(const Error& error, std::string_view instance = {});

/// A problem response for a transport-level status that has no ErrorCode (e.g. 431, 408).
Response make_problem(int status, std::string_view detail);

}  // namespace tessera::rest
