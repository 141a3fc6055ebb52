#pragma once
/// @file tessera/error.hpp
/// @brief The one error type shared by every module: a protocol-neutral code, a message, JSON details.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tessera {

/// What went wrong, independent of any protocol. The enumerators are the wire names
/// (`to_string`); the HTTP mapping lives in one place, `lib/rest/problem.cpp`.
enum class ErrorCode {
    malformed,               ///< Input cannot be read as what it claims to be (JSON syntax, a patch
                             ///< document, a header, a query parameter, a request line).
    invalid,                 ///< Input is well-formed but unacceptable (schema violations, ids).
    not_found,               ///< The addressed thing does not exist (or has expired).
    conflict,                ///< The request conflicts with current state (e.g. id exists).
    precondition_failed,     ///< A precondition (If-Match, version, absent/exists) did not hold.
    precondition_required,   ///< A precondition is required but none was given.
    unauthorized,            ///< No or bad credentials.
    forbidden,               ///< Credentials are fine but not allowed to do this.
    too_large,               ///< Input exceeds a configured size or depth limit.
    unsupported_media_type,  ///< Content type is not one this operation accepts.
    rate_limited,            ///< Too many requests; try later.
    unavailable,             ///< A dependency is down or unreachable; retryable.
    timeout,                 ///< A dependency did not answer in time; retryable.
    method_not_allowed,      ///< The resource exists but does not support this operation.
    internal,                ///< A bug or an unexpected failure.
    unsupported,             ///< The feature or backend was compiled out or is not implemented.
};

/// The wire name of `code` ("not_found", ...).
std::string_view to_string(ErrorCode code) noexcept;

/// An error value: code, human-readable message, and machine-readable details
/// (`errors: [{pointer, message}]` for validation, `backend: {...}` for third-party failures).
class Error {
public:
    Error() = default;
    Error(ErrorCode code, std::string message, boost::json::object details = {})
        : code_(code), message_(std::move(message)), details_(std::move(details)) {}

    ErrorCode code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }
    const boost::json::object& details() const noexcept { return details_; }
    boost::json::object& details() noexcept { return details_; }

    /// True for failures that may succeed if tried again later (unavailable, timeout).
    bool retryable() const noexcept {
        return code_ == ErrorCode::unavailable || code_ == ErrorCode::timeout;
    }

    /// For `precondition_failed` from `store::Store::commit`: the index of the batch op whose
    /// precondition did not hold (set once, by the store); empty for every other error.
    std::optional<std::size_t> failed_op() const noexcept { return failed_op_; }
    Error& set_failed_op(std::size_t index) noexcept {
        failed_op_ = index;
        return *this;
    }

    /// For a refusal that knows when trying again makes sense (an open circuit breaker): how long to
    /// wait, which the REST edge sends as Retry-After; empty when the refuser cannot tell. Set once,
    /// by the refuser.
    std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }
    Error& set_retry_after(std::chrono::milliseconds wait) noexcept {
        retry_after_ = wait;
        return *this;
    }

    /// "code: message", for logs and exception text.
    std::string to_string() const;

    /// The error as a JSON object `{code, message, details...}`.
    boost::json::object to_json() const;

    friend bool operator==(const Error&, const Error&) = default;

private:
    ErrorCode code_ = ErrorCode::internal;
    std::string message_;
    boost::json::object details_;
    std::optional<std::size_t> failed_op_;
    std::optional<std::chrono::milliseconds> retry_after_;
};

/// Thrown only when a caller asks for it (`Result::value()` on an error).
class Exception : public std::runtime_error {
public:
    explicit Exception(Error error) : std::runtime_error(error.to_string()), error_(std::move(error)) {}
    const Error& error() const noexcept { return error_; }

private:
    Error error_;
};

/// Shorthand constructors, e.g. `return make_error(ErrorCode::not_found, "no plan 12");`.
inline Error make_error(ErrorCode code, std::string message, boost::json::object details = {}) {
    return Error(code, std::move(message), std::move(details));
}

}  // namespace tessera
