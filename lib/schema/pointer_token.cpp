#include "schema/pointer_token.hpp"

namespace tessera::schema {

std::string escape_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (const char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

std::string append_token(std::string_view pointer, std::string_view token) {
    std::string out(pointer);
    out += '/';
    out += escape_token(token);
    return out;
}

}  // namespace tessera::schema
