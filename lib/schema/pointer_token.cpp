#include "schema/pointer_token.hpp"

#include <algorithm>

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

std::vector<std::string> split_pointer(std::string_view pointer) {
    std::vector<std::string> tokens;
    std::size_t pos = 0;
    while (pos < pointer.size()) {
        const std::size_t end = std::min(pointer.find('/', pos + 1), pointer.size());
        std::string token;
        for (std::size_t i = pos + 1; i < end; ++i) {
            if (pointer[i] == '~' && i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
                token += pointer[++i] == '0' ? '~' : '/';
            } else {
                token += pointer[i];
            }
        }
        tokens.push_back(std::move(token));
        pos = end;
    }
    return tokens;
}

}  // namespace tessera::schema
