#pragma once
/// @file tessera/result.hpp
/// @brief `Result<T>`: a value or an `Error`, shaped like C++23 `std::expected<T, Error>`.

#include <tessera/error.hpp>

#include <type_traits>
#include <utility>
#include <variant>

namespace tessera {

/// Wraps an error so `Result<T>` can be built from it unambiguously (like `std::unexpected`).
class Unexpected {
public:
    explicit Unexpected(Error error) : error_(std::move(error)) {}
    Error& error() & noexcept { return error_; }
    Error&& error() && noexcept { return std::move(error_); }

private:
    Error error_;
};

/// A value of type `T`, or an `Error`. Every fallible public function returns one.
/// `value()` on an error throws `tessera::Exception`; `*` and `->` require `has_value()`.
template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    template <class U = T>
        requires std::is_constructible_v<T, U&&> && (!std::is_same_v<std::remove_cvref_t<U>, Result>) &&
                 (!std::is_same_v<std::remove_cvref_t<U>, Error>) &&
                 (!std::is_same_v<std::remove_cvref_t<U>, Unexpected>)
    Result(U&& value) : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT: implicit by design
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}       // NOLINT
    Result(Unexpected u) : state_(std::in_place_index<1>, std::move(u).error()) {}  // NOLINT

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        throw_if_error();
        return std::get<0>(state_);
    }
    const T& value() const& {
        throw_if_error();
        return std::get<0>(state_);
    }
    T&& value() && {
        throw_if_error();
        return std::get<0>(std::move(state_));
    }

    /// Requires: `!has_value()`.
    const Error& error() const& noexcept { return *std::get_if<1>(&state_); }
    Error& error() & noexcept { return *std::get_if<1>(&state_); }
    Error&& error() && noexcept { return std::move(*std::get_if<1>(&state_)); }

    T& operator*() & noexcept { return *std::get_if<0>(&state_); }
    const T& operator*() const& noexcept { return *std::get_if<0>(&state_); }
    T&& operator*() && noexcept { return std::move(*std::get_if<0>(&state_)); }
    T* operator->() noexcept { return std::get_if<0>(&state_); }
    const T* operator->() const noexcept { return std::get_if<0>(&state_); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
    }

private:
    void throw_if_error() const {
        if (!has_value()) throw Exception(std::get<1>(state_));
    }
    std::variant<T, Error> state_;
};

/// `Result<void>`: success, or an `Error`. Used for commands.
template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}       // NOLINT
    Result(Unexpected u) : error_(std::move(u).error()), ok_(false) {}  // NOLINT

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    void value() const {
        if (!ok_) throw Exception(error_);
    }
    /// Requires: `!has_value()`.
    const Error& error() const& noexcept { return error_; }
    Error& error() & noexcept { return error_; }
    Error&& error() && noexcept { return std::move(error_); }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace tessera
