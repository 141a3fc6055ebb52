#include <tessera/json/pointer.hpp>

#include "json/pointer_tokens.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <charconv>
#include <optional>
#include <utility>

namespace tessera::json {
namespace {

// RFC 6901 §4: an array index is "0" or digits without a leading zero. Anything else (including
// "-", "1e0", "01", or a number too large for size_t) names no existing element.
std::optional<std::size_t> array_index(std::string_view token) noexcept {
    if (token.empty() || (token.size() > 1 && token.front() == '0')) return std::nullopt;
    std::size_t index = 0;
    const char* end = token.data() + token.size();
    const auto [ptr, ec] = std::from_chars(token.data(), end, index);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    return index;
}

Error pointer_error(ErrorCode code, std::string_view pointer, std::string_view what) {
    std::string message = "JSON Pointer \"";
    message.append(pointer).append("\": ").append(what);
    return Error(code, std::move(message), {{"pointer", pointer}});
}

// Prefixes a token-level error with the pointer it concerns.
Error with_pointer(const Error& error, std::string_view pointer) {
    return pointer_error(error.code(), pointer, error.message());
}

void append_escaped(std::string& out, std::string_view token) {
    for (const char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
}

}  // namespace

Result<std::vector<std::string>> parse_pointer(std::string_view pointer) {
    std::vector<std::string> tokens;
    if (pointer.empty()) return tokens;
    if (pointer.front() != '/') return pointer_error(ErrorCode::malformed, pointer, "must be empty or start with '/'");
    std::string token;
    for (std::size_t i = 1; i <= pointer.size(); ++i) {
        if (i == pointer.size() || pointer[i] == '/') {
            tokens.push_back(std::move(token));
            token.clear();
            continue;
        }
        if (pointer[i] != '~') {
            token.push_back(pointer[i]);
            continue;
        }
        // RFC 6901 §3: '~' is only valid as "~0" ('~') or "~1" ('/').
        const char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
        if (next != '0' && next != '1') {
            return pointer_error(ErrorCode::malformed, pointer, "'~' must be followed by '0' or '1'");
        }
        token.push_back(next == '0' ? '~' : '/');
        ++i;
    }
    return tokens;
}

std::string escape_token(std::string_view token) {
    std::string escaped;
    escaped.reserve(token.size());
    append_escaped(escaped, token);
    return escaped;
}

void append_token_to(std::string& pointer, std::string_view token) {
    pointer += '/';
    append_escaped(pointer, token);
}

std::string append_token(std::string_view base, std::string_view token) {
    std::string pointer(base);
    append_token_to(pointer, token);
    return pointer;
}

std::string append_index(std::string_view base, std::size_t index) {
    std::string pointer(base);
    append_index_to(pointer, index);
    return pointer;
}

void append_index_to(std::string& pointer, std::size_t index) {
    char digits[20];
    const auto end = std::to_chars(digits, digits + sizeof digits, index).ptr;
    pointer += '/';
    pointer.append(digits, end);
}

const boost::json::value* find_at(const boost::json::value& document, Tokens tokens) noexcept {
    const boost::json::value* current = &document;
    for (const std::string& token : tokens) {
        if (const auto* object = current->if_object()) {
            current = object->if_contains(token);
        } else if (const auto* array = current->if_array()) {
            const auto index = array_index(token);
            current = index && *index < array->size() ? &(*array)[*index] : nullptr;
        } else {
            current = nullptr;
        }
        if (current == nullptr) return nullptr;
    }
    return current;
}

boost::json::value* find_at(boost::json::value& document, Tokens tokens) noexcept {
    // Same walk; constness comes from `document`, which the caller owns mutably.
    return const_cast<boost::json::value*>(find_at(std::as_const(document), tokens));
}

Result<void> set_at(boost::json::value& document, Tokens tokens, boost::json::value value) {
    if (tokens.empty()) {
        // RFC 6902 §4.1: adding at the root replaces the whole document.
        document = std::move(value);
        return {};
    }
    boost::json::value* parent = find_at(document, tokens.first(tokens.size() - 1));
    if (parent == nullptr) return Error(ErrorCode::not_found, "the parent location does not exist");
    const std::string& last = tokens.back();
    if (auto* object = parent->if_object()) {
        object->insert_or_assign(last, std::move(value));
        return {};
    }
    if (auto* array = parent->if_array()) {
        // RFC 6902 §4.1: "-" appends; an index inserts before it and may equal the size.
        const auto index = last == "-" ? std::optional<std::size_t>(array->size()) : array_index(last);
        if (!index || *index > array->size()) {
            return Error(ErrorCode::not_found, "\"" + last + "\" is not an index within the array (size " +
                                                   std::to_string(array->size()) + ")");
        }
        array->insert(array->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
        return {};
    }
    return Error(ErrorCode::not_found, "the parent location is neither an object nor an array");
}

Result<boost::json::value> remove_at(boost::json::value& document, Tokens tokens) {
    if (tokens.empty()) return Error(ErrorCode::invalid, "the whole document cannot be removed");
    boost::json::value* parent = find_at(document, tokens.first(tokens.size() - 1));
    const std::string& last = tokens.back();
    if (auto* object = parent != nullptr ? parent->if_object() : nullptr) {
        const auto it = object->find(last);
        if (it != object->end()) {
            boost::json::value removed = std::move(it->value());
            // Member order is visible to clients; erase() would move the last member into the gap.
            object->stable_erase(it);
            return removed;
        }
    } else if (auto* array = parent != nullptr ? parent->if_array() : nullptr) {
        const auto index = array_index(last);
        if (index && *index < array->size()) {
            const auto it = array->begin() + static_cast<std::ptrdiff_t>(*index);
            boost::json::value removed = std::move(*it);
            array->erase(it);
            return removed;
        }
    }
    return Error(ErrorCode::not_found, "no value exists there");
}

Result<const boost::json::value*> find(const boost::json::value& document, std::string_view pointer) {
    auto tokens = parse_pointer(pointer);
    if (!tokens) return std::move(tokens).error();
    return find_at(document, *tokens);
}

Result<boost::json::value*> find(boost::json::value& document, std::string_view pointer) {
    auto tokens = parse_pointer(pointer);
    if (!tokens) return std::move(tokens).error();
    return find_at(document, *tokens);
}

Result<void> set(boost::json::value& document, std::string_view pointer, boost::json::value value) {
    auto tokens = parse_pointer(pointer);
    if (!tokens) return std::move(tokens).error();
    auto done = set_at(document, *tokens, std::move(value));
    if (!done) return with_pointer(done.error(), pointer);
    return {};
}

Result<boost::json::value> remove(boost::json::value& document, std::string_view pointer) {
    auto tokens = parse_pointer(pointer);
    if (!tokens) return std::move(tokens).error();
    auto removed = remove_at(document, *tokens);
    if (!removed) return with_pointer(removed.error(), pointer);
    return removed;
}

}  // namespace tessera::json
