#include <tessera/auth/static_tokens.hpp>

#include <tessera/json/text.hpp>

#include "auth/crypto.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tessera::auth {
namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;
constexpr std::string_view kPrefix = "tsr_";

bool is_hex_hash(std::string_view text) {
    if (text.size() != 64) return false;
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    }
    return true;
}

// `hex` is 64 hex digits (checked by is_hex_hash); the 32 bytes they spell.
std::string hex_to_bytes(std::string_view hex) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    std::string bytes(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    return bytes;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

Error line_error(std::size_t line, std::string message) {
    return Error(ErrorCode::invalid, "line " + std::to_string(line) + ": " + message, {{"line", line}});
}

Result<TokenEntry> parse_line(std::string_view text, std::size_t number) {
    TokenEntry entry;
    if (const auto hash = text.find('#'); hash != std::string_view::npos) {
        auto comment = text.substr(hash + 1);
        while (!comment.empty() && comment.front() == ' ') comment.remove_prefix(1);
        entry.comment = std::string(comment);
        text = text.substr(0, hash);
    }
    std::vector<std::string_view> words;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = std::min(text.find_first_of(" \t", at), text.size());
        if (end > at) words.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    if (words.empty()) return line_error(number, "a comment belongs after '#'");
    if (words.front().starts_with(kPrefix)) {
        return line_error(number, "this is a token in clear; a tokens file holds only its SHA-256 (tessera token create)");
    }
    if (!is_hex_hash(words.front())) {
        return line_error(number, "expected the token's SHA-256 as 64 hex digits, then its scopes");
    }
    entry.hash = lower(words.front());
    entry.digest = hex_to_bytes(entry.hash);
    if (words.size() < 2) return line_error(number, "the token has no scopes (read, write, admin, <collection>:<level>)");
    for (std::size_t i = 1; i < words.size(); ++i) {
        auto scopes = parse_scopes(words[i]);
        if (!scopes) return line_error(number, scopes.error().message());
        entry.scopes.insert(entry.scopes.end(), scopes->begin(), scopes->end());
    }
    return entry;
}

}  // namespace

Result<std::vector<TokenEntry>> parse_tokens(std::string_view text) {
    std::vector<TokenEntry> entries;
    std::size_t number = 0;
    for (std::size_t at = 0; at <= text.size();) {
        const auto end = std::min(text.find('\n', at), text.size());
        auto line = text.substr(at, end - at);
        at = end + 1;
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') continue;
        if (!json::is_valid_utf8(line)) return line_error(number, "not UTF-8");
        auto entry = parse_line(line.substr(first), number);
        if (!entry) return std::move(entry).error();
        entries.push_back(std::move(*entry));
    }
    return entries;
}

std::string hash_token(std::string_view token) { return common::hex(internal::sha256(token)); }

std::string generate_token() {
    return std::string(kPrefix) + common::base64url_encode(internal::random_bytes(32));
}

Result<std::string> append_new_token(const std::filesystem::path& path, const std::vector<Scope>& scopes,
                                     std::string_view comment) {
    if (scopes.empty()) return Error(ErrorCode::invalid, "a token needs at least one scope");
    if (comment.find_first_of("\r\n") != std::string_view::npos || !json::is_valid_utf8(comment)) {
        return Error(ErrorCode::invalid, "the comment must be one line of UTF-8");
    }
    const std::string token = generate_token();
    std::string line = hash_token(token);
    for (const auto& scope : scopes) line += " " + scope.to_string();
    if (!comment.empty()) line += " # " + std::string(comment);
    line += '\n';

    // 0600: hashes are not secrets, but which scopes exist is nobody else's business either.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return Error(ErrorCode::unavailable, path.string() + ": " + std::strerror(errno), {{"file", path.string()}});
    }
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!written) {
        return Error(ErrorCode::unavailable, path.string() + ": " + std::strerror(saved), {{"file", path.string()}});
    }
    return token;
}

Result<std::vector<TokenEntry>> read_tokens_file(const std::filesystem::path& path) {
    auto text = common::read_file(path, kMaxFileBytes);
    if (!text) return std::move(text).error();
    auto entries = parse_tokens(*text);
    if (!entries) {
        return Error(ErrorCode::invalid, path.string() + ": " + entries.error().message(),
                     {{"file", path.string()}, {"line", entries.error().details().at("line")}});
    }
    return entries;
}

Result<std::unique_ptr<StaticTokens>> StaticTokens::open(std::filesystem::path path) {
    auto entries = read_tokens_file(path);
    if (!entries) return std::move(entries).error();
    return std::unique_ptr<StaticTokens>(new StaticTokens(std::move(path), std::move(*entries)));
}

namespace {
std::vector<TokenEntry> with_digests(std::vector<TokenEntry> entries) {
    for (auto& entry : entries) {
        if (entry.digest.empty() && is_hex_hash(entry.hash)) entry.digest = hex_to_bytes(entry.hash);
    }
    return entries;
}
}  // namespace

StaticTokens::StaticTokens(std::vector<TokenEntry> entries)
    : entries_(std::make_shared<const std::vector<TokenEntry>>(with_digests(std::move(entries)))) {}

StaticTokens::StaticTokens(std::filesystem::path path, std::vector<TokenEntry> entries)
    : path_(std::move(path)), entries_(std::make_shared<const std::vector<TokenEntry>>(std::move(entries))) {}

StaticTokens::Entries StaticTokens::current() const {
    std::lock_guard lock(mutex_);
    return entries_;
}

Result<Principal> StaticTokens::authenticate(std::string_view token) const {
    const std::string presented = internal::sha256(token);
    const auto entries = current();
    const TokenEntry* found = nullptr;
    // Every entry is compared, whatever matched before: the time depends on the count only.
    for (const auto& entry : *entries) {
        if (internal::constant_time_equal(entry.digest, presented)) found = &entry;
    }
    if (found == nullptr) {
        return Error(ErrorCode::unauthorized, looks_like_jwt(token) ? "a JWT, but no JWT keys are configured"
                                                                    : "unknown token");
    }
    Principal principal;
    principal.subject = "token:" + found->hash.substr(0, 12);
    principal.scopes = found->scopes;
    return principal;
}

bool StaticTokens::recognises(std::string_view token) const noexcept { return !looks_like_jwt(token); }

Result<void> StaticTokens::reload() {
    if (path_.empty()) return {};
    auto fresh = open(path_);
    if (!fresh) return std::move(fresh).error();
    auto entries = (*fresh)->current();
    std::lock_guard lock(mutex_);
    entries_ = std::move(entries);
    return {};
}

std::size_t StaticTokens::size() const { return current()->size(); }

}  // namespace tessera::auth
