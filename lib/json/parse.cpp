#include <tessera/json/parse.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace tessera::json {
namespace {

// 1-based line and column of byte `offset`, for messages a person can act on.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, offset - line_start + 1};
}

// Boost.JSON 1.81's own handler (what stream_parser uses), except for doubles: its number parser
// is not correctly rounded (boostorg/json#599; `number_precision::precise` only came in 1.83) and
// turns an out-of-range number such as 1e400 into infinity. Either would make a document's
// canonical text, hence its strong ETag, change across a store/reload round trip, so each double
// is read again from its text with std::from_chars, which rounds correctly.
class PreciseHandler {
public:
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    using string_view = boost::json::string_view;
    using error_code = boost::system::error_code;

    boost::json::value_stack& stack() noexcept { return stack_; }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) { return true; }
    bool on_object_end(std::size_t n, error_code&) {
        stack_.push_object(n);
        return true;
    }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t n, error_code&) {
        stack_.push_array(n);
        return true;
    }
    bool on_key_part(string_view s, std::size_t, error_code&) {
        stack_.push_chars(s);
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code&) {
        stack_.push_key(s);
        return true;
    }
    bool on_string_part(string_view s, std::size_t, error_code&) {
        stack_.push_chars(s);
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code&) {
        stack_.push_string(s);
        return true;
    }
    bool on_number_part(string_view s, error_code&) {
        number_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, string_view, error_code&) {
        number_.clear();
        stack_.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, string_view, error_code&) {
        number_.clear();
        stack_.push_uint64(u);
        return true;
    }
    bool on_double(double approximate, string_view s, error_code& ec) {
        number_.append(s.data(), s.size());
        double d = 0;
        const auto error = std::from_chars(number_.data(), number_.data() + number_.size(), d).ec;
        number_.clear();
        if (error == std::errc::result_out_of_range) {
            // RFC 8259 §6 lets an implementation limit the range of numbers. Beyond a double's
            // range it would be infinity, which is not JSON; a magnitude below the smallest
            // double is zero. Boost's value is a few ulps off at most, enough to tell which.
            if (std::fabs(approximate) >= 1) {
                ec = boost::json::error::exponent_overflow;
                return false;
            }
            d = std::signbit(approximate) ? -0.0 : 0.0;
        }
        stack_.push_double(d);
        return true;
    }
    bool on_bool(bool b, error_code&) {
        stack_.push_bool(b);
        return true;
    }
    bool on_null(error_code&) {
        stack_.push_null();
        return true;
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    boost::json::value_stack stack_;
    std::string number_;  // the text of the number being parsed
};

Error parse_error(std::string_view text, std::size_t offset, const boost::system::error_code& ec) {
    const bool too_deep = ec == boost::json::error::too_deep;
    const auto [line, column] = line_and_column(text, offset);
    std::string message = too_deep ? "JSON nesting is too deep" : "malformed JSON: " + ec.message();
    message += " at line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
               std::to_string(offset) + ")";
    // Too deep is malformed for us, not too large: the text may be short (RFC 8259 §9 lets a parser
    // limit nesting), and 413 would tell the client to send less rather than to nest less.
    return Error(ErrorCode::malformed, std::move(message),
                 {{"offset", offset}, {"line", line}, {"column", column}, {"backend", {{"boost_json", ec.message()}}}});
}

}  // namespace

Result<boost::json::value> parse(std::string_view text, const ParseLimits& limits) {
    if (text.size() > limits.max_bytes) {
        return Error(ErrorCode::too_large,
                     "JSON text is " + std::to_string(text.size()) + " bytes; the limit is " +
                         std::to_string(limits.max_bytes),
                     {{"offset", limits.max_bytes}, {"limit", limits.max_bytes}});
    }
    boost::json::parse_options options;
    options.max_depth = limits.max_depth;
    boost::json::basic_parser<PreciseHandler> parser(options);
    parser.handler().stack().reset();
    boost::system::error_code ec;
    // The whole text in one call (more = false), so nothing is suspended mid-value. write_some()
    // returns how many bytes it consumed; on failure that is where the problem is.
    const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
    if (!ec && consumed < text.size()) ec = boost::json::error::extra_data;
    if (ec) return parse_error(text, consumed, ec);
    return parser.handler().stack().release();
}

}  // namespace tessera::json
