#pragma once
// Private: keywords the bundler takes away from valijson and the validator checks itself, because
// valijson's own versions are not thread-safe (pattern: a shared regex cache), throw on non-strings
// (format), are imprecise (multipleOf with a fractional divisor; bounds compared as doubles), or say
// too little (type: not what was expected; additionalProperties: only the first offender, at the
// parent's pointer; numbers printed with std::to_string: "3.000000"; enum and const: not which values).

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace tessera::schema {

/// JSON Schema's primitive types, as bits of `Checks::types`.
enum JsonTypeBit : unsigned {
    kNullBit = 1U << 0,
    kBooleanBit = 1U << 1,
    kIntegerBit = 1U << 2,
    kNumberBit = 1U << 3,
    kStringBit = 1U << 4,
    kArrayBit = 1U << 5,
    kObjectBit = 1U << 6,
};

/// A regular expression compiled once and shared read-only (std::regex matching is const).
struct Pattern {
    std::string source;
    std::shared_ptr<const std::regex> regex;
};

/// A number from a schema, kept exact when it is an integer.
struct Number {
    double value = 0;
    std::optional<std::int64_t> integer;  ///< Set when the number is an integer within int64.
    std::string text;                     ///< Shortest round-trip spelling, for messages.
};

/// What one schema object asks beyond what valijson checks for it.
struct Checks {
    std::optional<unsigned> types;               ///< `type`, as JsonTypeBit flags; nullopt = no `type`.
    std::string format;                          ///< An asserted `format`; "" = none.
    std::optional<Pattern> pattern;              ///< `pattern`.
    std::optional<Number> minimum;               ///< `minimum`.
    std::optional<Number> maximum;               ///< `maximum`.
    std::optional<Number> exclusive_minimum;     ///< `exclusiveMinimum` (draft-04 booleans are converted first).
    std::optional<Number> exclusive_maximum;     ///< `exclusiveMaximum`.
    std::optional<Number> multiple_of;           ///< `multipleOf`.
    std::optional<boost::json::value> constant;  ///< `const`.
    std::optional<boost::json::array> allowed;   ///< `enum`.
    /// `additionalProperties: false`: members must be named in `properties` or match `patternProperties`.
    struct Closed {
        std::set<std::string, std::less<>> names;
        std::vector<Pattern> patterns;
    };
    std::optional<Closed> closed;
};

}  // namespace tessera::schema
