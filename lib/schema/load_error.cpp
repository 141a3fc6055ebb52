#include "schema/load_error.hpp"

#include <string>

namespace tessera::schema {

Error load_error(std::string_view file, std::string_view pointer, std::string_view message,
                 boost::json::object extra) {
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

}  // namespace tessera::schema
