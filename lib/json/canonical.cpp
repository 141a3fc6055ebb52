#include <tessera/json/canonical.hpp>

#include <tessera/json/text.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace tessera::json {
namespace {

using Members = std::vector<const boost::json::key_value_pair*>;

std::string_view key_of(const boost::json::key_value_pair* member) noexcept {
    return {member->key().data(), member->key().size()};
}

// Appends pointers to `object`'s members to `members`, ordered by the bytes of their keys
// (std::string_view compares as unsigned char, which is UTF-8 code point order).
void push_sorted_members(const boost::json::object& object, Members& members) {
    const auto first = static_cast<std::ptrdiff_t>(members.size());
    for (const auto& member : object) members.push_back(&member);
    std::sort(members.begin() + first, members.end(),
              [](const auto* a, const auto* b) { return key_of(a) < key_of(b); });
}

// RFC 8785 §3.2.2.2: only '"', '\\' and the C0 controls are escaped; the five with a short form
// use it, the rest are \u00xx in lower-case hex. 0 means "copy the byte as is".
constexpr std::array<char, 256> kEscapes = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = 'u';
    table['\b'] = 'b';
    table['\f'] = 'f';
    table['\n'] = 'n';
    table['\r'] = 'r';
    table['\t'] = 't';
    table['"'] = '"';
    table['\\'] = '\\';
    return table;
}();

// 2^63 and 2^64 are exact doubles.
constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

// Writes canonical text, or (`keep_order`) the same numbers and escapes with members in their own
// order and any byte that is not UTF-8 replaced, for logs and admin output.
class CanonicalWriter {
public:
    explicit CanonicalWriter(std::string& out, bool keep_order = false) noexcept : out_(out), keep_order_(keep_order) {}

    void write(const boost::json::value& value) {
        switch (value.kind()) {
            case boost::json::kind::null:
                out_ += "null";
                return;
            case boost::json::kind::bool_:
                out_ += value.get_bool() ? "true" : "false";
                return;
            case boost::json::kind::int64:
                write_integer(value.get_int64());
                return;
            case boost::json::kind::uint64:
                write_integer(value.get_uint64());
                return;
            case boost::json::kind::double_:
                write_double(value.get_double());
                return;
            case boost::json::kind::string:
                write_string(value.get_string());
                return;
            case boost::json::kind::array:
                write_array(value.get_array());
                return;
            case boost::json::kind::object:
                write_object(value.get_object());
                return;
        }
    }

private:
    void write_array(const boost::json::array& array) {
        out_ += '[';
        for (std::size_t i = 0; i < array.size(); ++i) {
            if (i != 0) out_ += ',';
            write(array[i]);
        }
        out_ += ']';
    }

    void write_object(const boost::json::object& object) {
        if (keep_order_) {
            out_ += '{';
            bool first = true;
            for (const auto& member : object) {
                if (!first) out_ += ',';
                first = false;
                write_string(key_of(&member));
                out_ += ':';
                write(member.value());
            }
            out_ += '}';
            return;
        }
        // Nested objects push their members after ours and truncate back, so our slice
        // [first, last) stays put; index rather than iterate because the vector may reallocate.
        const std::size_t first = members_.size();
        const std::size_t last = first + object.size();
        push_sorted_members(object, members_);
        out_ += '{';
        for (std::size_t i = first; i < last; ++i) {
            if (i != first) out_ += ',';
            const auto* member = members_[i];
            write_string(key_of(member));
            out_ += ':';
            write(member->value());
        }
        out_ += '}';
        members_.resize(first);
    }

    void write_string(std::string_view text) {
        if (keep_order_ && !is_valid_utf8(text)) {
            const std::string repaired = to_valid_utf8(text);
            write_string(repaired);
            return;
        }
        out_ += '"';
        std::size_t run = 0;  // start of the bytes not yet copied
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char escape = kEscapes[static_cast<unsigned char>(text[i])];
            if (escape == 0) continue;
            out_.append(text.data() + run, i - run);
            run = i + 1;
            out_ += '\\';
            out_ += escape;
            if (escape == 'u') {
                constexpr std::string_view kHex = "0123456789abcdef";
                const auto byte = static_cast<unsigned char>(text[i]);
                out_ += "00";
                out_ += kHex[byte >> 4];
                out_ += kHex[byte & 0xf];
            }
        }
        out_.append(text.data() + run, text.size() - run);
        out_ += '"';
    }

    template <class Integer>
    void write_integer(Integer number) {
        char buffer[24];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, number);
        out_.append(buffer, result.ptr);
    }

    void write_double(double number) {
        if (!std::isfinite(number)) {
            out_ += "null";
            return;
        }
        // An integral double that an int64/uint64 could hold prints as that exact integer, so it
        // has the same text as the integer it equals (equal.hpp compares numbers exactly). This
        // covers -0 and "1.0" → "1".
        if (number == std::trunc(number) && number >= -kTwoPow63 && number < kTwoPow64) {
            if (number < 0) {
                write_integer(static_cast<std::int64_t>(number));
            } else {
                write_integer(static_cast<std::uint64_t>(number));
            }
            return;
        }
        write_ecmascript(number);
    }

    // ECMAScript Number::toString (ECMA-262 §6.1.6.1.20), as RFC 8785 §3.2.2.3 requires: the
    // shortest round-trip digits d1..dk with value 0.d1..dk × 10^n, laid out by the size of n.
    void write_ecmascript(double number) {
        char buffer[32];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, number, std::chars_format::scientific);
        std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));  // "-1.25e+20"
        if (text.front() == '-') {
            out_ += '-';
            text.remove_prefix(1);
        }
        const std::size_t e_at = text.find('e');
        char digits[20];
        int k = 0;
        for (const char c : text.substr(0, e_at)) {
            if (c != '.') digits[k++] = c;
        }
        // The buffer is not NUL-terminated, so the exponent is read within its bounds only.
        int exponent = 0;
        const char* exponent_at = text.data() + e_at + 1;
        std::from_chars(exponent_at + (*exponent_at == '+' ? 1 : 0), text.data() + text.size(), exponent);
        const int n = exponent + 1;
        const std::string_view all(digits, static_cast<std::size_t>(k));
        if (k <= n && n <= 21) {
            out_ += all;
            out_.append(static_cast<std::size_t>(n - k), '0');
        } else if (0 < n && n <= 21) {
            out_ += all.substr(0, static_cast<std::size_t>(n));
            out_ += '.';
            out_ += all.substr(static_cast<std::size_t>(n));
        } else if (-6 < n && n <= 0) {
            out_ += "0.";
            out_.append(static_cast<std::size_t>(-n), '0');
            out_ += all;
        } else {
            out_ += all.front();
            if (k > 1) {
                out_ += '.';
                out_ += all.substr(1);
            }
            out_ += n - 1 < 0 ? "e-" : "e+";
            write_integer(std::abs(n - 1));
        }
    }

    std::string& out_;
    bool keep_order_;
    Members members_;  // scratch for every nesting level; see write_object
};

}  // namespace

std::string to_canonical(const boost::json::value& value) {
    std::string out;
    // Saves the first few doublings for typical resource documents; growth stays geometric.
    out.reserve(512);
    CanonicalWriter(out).write(value);
    return out;
}

std::string serialize(const boost::json::value& value) {
    std::string out;
    out.reserve(256);
    CanonicalWriter(out, true).write(value);
    return out;
}

boost::json::value sorted(const boost::json::value& value) {
    if (const auto* object = value.if_object()) {
        Members members;
        members.reserve(object->size());
        push_sorted_members(*object, members);
        boost::json::object result(value.storage());
        result.reserve(object->size());
        for (const auto* member : members) result.emplace(member->key(), sorted(member->value()));
        return result;
    }
    if (const auto* array = value.if_array()) {
        boost::json::array result(value.storage());
        result.reserve(array->size());
        for (const auto& element : *array) result.push_back(sorted(element));
        return result;
    }
    return value;
}

}  // namespace tessera::json
