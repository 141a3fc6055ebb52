#include "schema/load_error.hpp"

#include <string>

namespace tessera::schema {

Error load_error(std::string_view file, std::string_view pointer, std::string_view message, boost::json::object extra) {
    std::string text(file);
    text += ": ";
    if (!pointer.empty()) {
        text += pointer;
        text += ": ";
    }
    text += message;
    extra["file"] = file;
    extra["pointer"] = pointer;
    return Error(ErrorCode::invalid, std::move(text), std::move(extra));
}

std::string_view kind_name(const boost::json::value& value) noexcept {
    switch (value.kind()) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return "a number";
        case boost::json::kind::string:
            return "a string";
        case boost::json::kind::array:
            return "an array";
        case boost::json::kind::object:
            return "an object";
    }
    return "a value";
}

}  // namespace tessera::schema
