#pragma once
/// @file tessera/auth/static_tokens.hpp
/// @brief Static bearer tokens kept only as SHA-256 hashes in a tokens file, and minting new ones.

#include <tessera/auth/authenticator.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::auth {

/// One line of a tokens file: `<64 hex digits: SHA-256 of the token> <scope>… [# comment]`.
struct TokenEntry {
    std::string hash;  ///< Lower-case hex SHA-256 of the token.
    std::vector<Scope> scopes;
    std::string comment;
    std::string digest;  ///< The same 32 bytes, raw: what a presented token's hash is compared with (filled from `hash` when empty).
};

/// Parses a tokens file's text: one entry per line; blank lines and lines starting with `#` are
/// skipped. Errors: `invalid` with the line number and what is wrong (a clear token where a hash
/// belongs is refused, so a file never holds one).
Result<std::vector<TokenEntry>> parse_tokens(std::string_view text);

/// Reads and parses the tokens file `path` (at most 16 MiB). Errors: as `parse_tokens`, the message
/// starting with the path; `not_found`/`unavailable` if it cannot be read.
Result<std::vector<TokenEntry>> read_tokens_file(const std::filesystem::path& path);

/// Lower-case hex SHA-256 of `token`: what a tokens file stores.
std::string hash_token(std::string_view token);

/// A new random token: "tsr_" and 256 bits from the system's CSPRNG, base64url (47 characters).
std::string generate_token();

/// Mints a token, appends its entry to `path` (created with mode 0600 if missing) and returns the
/// token — the only time it exists in clear. `comment` must be one line. Errors: `invalid` (bad
/// comment, no scope), `unavailable` (the file cannot be written).
Result<std::string> append_new_token(const std::filesystem::path& path, const std::vector<Scope>& scopes,
                                     std::string_view comment);

/// Verifies tokens against a tokens file. A presented token is hashed and compared with every entry
/// in constant time (CRYPTO_memcmp, no early exit), so timing says nothing about which hash it is
/// near. `reload` re-reads the file. Thread-safe.
class StaticTokens final : public Authenticator {
public:
    /// Reads `path`. Errors: `invalid` (as `parse_tokens`, with the path), `not_found`/`unavailable`
    /// if it cannot be read.
    static Result<std::unique_ptr<StaticTokens>> open(std::filesystem::path path);
    /// Over entries in memory (for embedders and tests): `reload` keeps them. Requires: each `hash` is
    /// 64 hex digits.
    explicit StaticTokens(std::vector<TokenEntry> entries);

    Result<Principal> authenticate(std::string_view token) const override;
    /// Every token that is not a JWT.
    bool recognises(std::string_view token) const noexcept override;
    Result<void> reload() override;

    /// How many tokens are known.
    std::size_t size() const;

private:
    StaticTokens(std::filesystem::path path, std::vector<TokenEntry> entries);

    using Entries = std::shared_ptr<const std::vector<TokenEntry>>;
    Entries current() const;

    std::filesystem::path path_;
    mutable std::mutex mutex_;  // guards the pointer only: a reload swaps it under readers
    Entries entries_;
};

}  // namespace tessera::auth
