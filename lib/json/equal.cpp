#include <tessera/json/equal.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cmath>
#include <cstdint>

namespace tessera::json {
namespace {

// 2^63 and 2^64 are exact doubles, so the range checks below are exact too.
constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

// Exact comparison: converting the integer to double would round above 2^53.
bool double_equals_int64(double d, std::int64_t i) noexcept {
    if (d != std::trunc(d) || d < -kTwoPow63 || d >= kTwoPow63) return false;
    return static_cast<std::int64_t>(d) == i;
}

bool double_equals_uint64(double d, std::uint64_t u) noexcept {
    if (d != std::trunc(d) || d < 0 || d >= kTwoPow64) return false;
    return static_cast<std::uint64_t>(d) == u;
}

bool equal_numbers(const boost::json::value& a, const boost::json::value& b) noexcept {
    if (a.kind() == b.kind()) {
        // NaN cannot come out of a JSON parser; -0 == 0 is wanted.
        if (a.is_double()) return a.get_double() == b.get_double();
        return a.is_int64() ? a.get_int64() == b.get_int64() : a.get_uint64() == b.get_uint64();
    }
    if (b.is_double()) return equal_numbers(b, a);
    if (a.is_double()) {
        return b.is_int64() ? double_equals_int64(a.get_double(), b.get_int64())
                            : double_equals_uint64(a.get_double(), b.get_uint64());
    }
    const std::int64_t i = a.is_int64() ? a.get_int64() : b.get_int64();
    const std::uint64_t u = a.is_uint64() ? a.get_uint64() : b.get_uint64();
    return i >= 0 && static_cast<std::uint64_t>(i) == u;
}

}  // namespace

bool equal(const boost::json::value& a, const boost::json::value& b) noexcept {
    if (a.is_number() && b.is_number()) return equal_numbers(a, b);
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case boost::json::kind::null:
            return true;
        case boost::json::kind::bool_:
            return a.get_bool() == b.get_bool();
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return equal_numbers(a, b);
        case boost::json::kind::string:
            return a.get_string() == b.get_string();
        case boost::json::kind::array: {
            const auto& x = a.get_array();
            const auto& y = b.get_array();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i) {
                if (!equal(x[i], y[i])) return false;
            }
            return true;
        }
        case boost::json::kind::object: {
            // Keys are unique within a Boost.JSON object, so equal sizes plus every member of `a`
            // found equal in `b` means the member sets are the same.
            const auto& x = a.get_object();
            const auto& y = b.get_object();
            if (x.size() != y.size()) return false;
            for (const auto& member : x) {
                const auto* other = y.if_contains(member.key());
                if (other == nullptr || !equal(member.value(), *other)) return false;
            }
            return true;
        }
    }
    return false;
}

}  // namespace tessera::json
