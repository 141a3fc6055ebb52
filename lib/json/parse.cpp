#include <tessera/json/parse.hpp>

#include <boost/json/error.hpp>
#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <string>

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

Error parse_error(std::string_view text, std::size_t offset, const boost::system::error_code& ec) {
    const bool too_deep = ec == boost::json::error::too_deep;
    const auto [line, column] = line_and_column(text, offset);
    std::string message = too_deep ? "JSON nesting is too deep" : "malformed JSON: " + ec.message();
    message += " at line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
               std::to_string(offset) + ")";
    return Error(too_deep ? ErrorCode::too_large : ErrorCode::invalid, std::move(message),
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
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    // write() returns how many bytes it consumed; on failure that is where the problem is.
    const std::size_t consumed = parser.write(text.data(), text.size(), ec);
    if (ec) return parse_error(text, consumed, ec);
    parser.finish(ec);
    if (ec) return parse_error(text, text.size(), ec);
    return parser.release();
}

}  // namespace tessera::json
