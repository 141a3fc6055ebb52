#pragma once
/// @file tessera/rest/message.hpp
/// @brief Transport-neutral HTTP messages: what `rest::Api::handle` takes and returns.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::rest {

/// Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1).
class Headers {
public:
    using Field = std::pair<std::string, std::string>;

    /// Appends a field (repeated names are kept, as on the wire).
    void add(std::string name, std::string value);
    /// Replaces every field named `name` with one.
    void set(std::string name, std::string value);
    /// Removes every field named `name`.
    void remove(std::string_view name);
    /// The first value of `name`, or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    /// All values of `name` joined with ", " (RFC 9110 §5.3), or nullopt if absent.
    std::optional<std::string> combined(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }

    const std::vector<Field>& fields() const noexcept { return fields_; }
    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }

private:
    std::vector<Field> fields_;
};

/// True if `a` and `b` are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// An HTTP request. `target` is the origin-form request target: path and optional query.
struct Request {
    std::string method;  ///< "GET", "POST", ... (case-sensitive, RFC 9110 §9.1).
    std::string target;  ///< "/api/plans/12?x=1".
    Headers headers;
    std::string body;
    /// The client's address ("127.0.0.1", "::1"; "" if unknown): the rate-limit key of requests without
    /// a principal.
    std::string remote_address;
};

/// An HTTP response. `body` is sent as is; a HEAD response carries an empty body and the
/// Content-Length the GET would have had in `headers`.
struct Response {
    int status = 200;
    Headers headers;
    std::string body;
};

}  // namespace tessera::rest
