#pragma once
// Private: a bundled schema compiled with valijson, reporting errors as JSON Pointer + message.

#include "schema/bundle.hpp"

#include <tessera/result.hpp>
#include <tessera/schema/registry.hpp>

#include <boost/json/value.hpp>

#include <memory>
#include <string_view>
#include <vector>

namespace tessera::schema {

/// The message of a failure valijson reports without saying what failed.
inline constexpr std::string_view kGenericMismatch = "value does not match the schema";

/// Immutable after `compile`; `is_valid` and `validate` may run concurrently from any threads
/// (each call uses its own valijson::Validator; the compiled schema and its regexes are only read).
class Validator {
public:
    /// Compiles `bundle` once. Errors: `invalid` if valijson rejects it (details.backend.valijson).
    static Result<std::unique_ptr<Validator>> compile(Bundle bundle);

    ~Validator();
    Validator(const Validator&) = delete;
    Validator& operator=(const Validator&) = delete;

    /// True if `instance` is valid; stops at the first failure.
    bool is_valid(const boost::json::value& instance) const;

    /// Every violation, each at the pointer of the offending value; empty if valid.
    std::vector<ValidationError> validate(const boost::json::value& instance) const;

private:
    struct Impl;
    explicit Validator(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::schema
