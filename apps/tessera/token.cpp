// tessera token: mints static tokens into a tokens file, lists a file, and mints development JWTs.

#include "commands.hpp"

#include <tessera/auth/jwt.hpp>
#include <tessera/auth/static_tokens.hpp>

#include <charconv>
#include <iomanip>
#include <iostream>
#include <map>
#include <string>

namespace tessera::cli {
namespace {

constexpr std::string_view kUsage =
    R"(usage: tessera token create --out FILE [--scopes read,write] [--comment TEXT]
       tessera token list FILE
       tessera token jwt (--secret-file FILE | --secret TEXT | --key PRIVATE.pem) --sub SUBJECT
                         [--scopes read] [--ttl 1h] [--iss ISSUER] [--aud AUDIENCE] [--kid KID]

create  mints a random 256-bit token, appends only its SHA-256 and scopes to FILE (created
        with mode 0600), and prints the token once, as the last line of stdout. tessera-server
        reads FILE with --tokens-file (and again on SIGHUP).
list    prints each entry of FILE: the first 12 hex digits of its hash, its scopes, its comment.
jwt     signs a JWT for development: HS256 with the secret in FILE or TEXT (at least 32 bytes; TEXT
        shows in the process list, FILE does not), or RS256 / ES256 with an unencrypted PEM private
        key (RSA >= 2048 bits, EC P-256). Printed on stdout.

Scopes: read, write, admin (each includes the ones before it), or COLLECTION:LEVEL
(plans:write), comma- or space-separated. Default: read.
TTL: seconds, or a number with s, m, h or d. Default 1h.

Exit status: 0 done, 2 usage or I/O error (the reason on stderr).
)";

int usage_error(std::string_view message) {
    std::cerr << "tessera token: " << message << "\nTry 'tessera token --help'.\n";
    return 2;
}

int failed(const Error& error) {
    std::cerr << "tessera token: " << error.message() << "\n";
    return 2;
}

// Flags "--name value" into a map; false (with the message printed) on anything else.
bool read_flags(std::span<const std::string_view> args, std::initializer_list<std::string_view> known,
                std::map<std::string, std::string, std::less<>>& out) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto arg = args[i];
        bool found = false;
        for (const auto name : known) found = found || arg == name;
        if (!found) {
            usage_error("unexpected argument '" + std::string(arg) + "'");
            return false;
        }
        if (i + 1 >= args.size()) {
            usage_error("option '" + std::string(arg) + "' needs a value");
            return false;
        }
        out[std::string(arg)] = std::string(args[++i]);
    }
    return true;
}

std::optional<std::chrono::seconds> parse_ttl(std::string_view text) {
    long long unit = 1;
    if (!text.empty()) {
        switch (text.back()) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            default: unit = 0;
        }
        if (unit != 0) text.remove_suffix(1);
        if (unit == 0) unit = 1;
    }
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value <= 0 || value > 366LL * 86400 / unit) return std::nullopt;
    return std::chrono::seconds(value * unit);
}

Result<std::vector<auth::Scope>> scopes_of(const std::map<std::string, std::string, std::less<>>& flags) {
    const auto found = flags.find("--scopes");
    auto scopes = auth::parse_scopes(found == flags.end() ? "read" : found->second);
    if (scopes && scopes->empty()) return Error(ErrorCode::invalid, "--scopes names no scope");
    return scopes;
}

int create(std::span<const std::string_view> args) {
    std::map<std::string, std::string, std::less<>> flags;
    if (!read_flags(args, {"--out", "--scopes", "--comment"}, flags)) return 2;
    if (!flags.contains("--out")) return usage_error("create needs --out FILE");
    auto scopes = scopes_of(flags);
    if (!scopes) return usage_error(scopes.error().message());
    auto token = auth::append_new_token(flags["--out"], *scopes, flags["--comment"]);
    if (!token) return failed(token.error());
    std::string listed;
    for (const auto& scope : *scopes) listed += (listed.empty() ? "" : " ") + scope.to_string();
    std::cerr << "tessera token: appended a token with scopes '" << listed << "' to " << flags["--out"]
              << "; it is shown only now:\n";
    std::cout << *token << "\n";
    return 0;
}

int list(std::span<const std::string_view> args) {
    if (args.size() != 1) return usage_error("list takes one FILE");
    auto entries = auth::read_tokens_file(std::string(args[0]));
    if (!entries) return failed(entries.error());
    std::cout << std::left << std::setw(14) << "HASH" << std::setw(30) << "SCOPES" << "COMMENT\n";
    for (const auto& entry : *entries) {
        std::string scopes;
        for (const auto& scope : entry.scopes) scopes += (scopes.empty() ? "" : " ") + scope.to_string();
        std::cout << std::setw(14) << entry.hash.substr(0, 12) << std::setw(30) << scopes << entry.comment << "\n";
    }
    return 0;
}

int jwt(std::span<const std::string_view> args) {
    std::map<std::string, std::string, std::less<>> flags;
    if (!read_flags(args, {"--secret-file", "--secret", "--key", "--sub", "--scopes", "--ttl", "--iss", "--aud", "--kid"}, flags)) {
        return 2;
    }
    const int sources = flags.contains("--secret-file") + flags.contains("--secret") + flags.contains("--key");
    if (sources != 1) return usage_error("jwt needs one of --secret-file, --secret and --key");
    if (!flags.contains("--sub")) return usage_error("jwt needs --sub SUBJECT");
    auth::JwtClaims claims;
    claims.subject = flags["--sub"];
    auto scopes = scopes_of(flags);
    if (!scopes) return usage_error(scopes.error().message());
    claims.scopes = std::move(*scopes);
    if (flags.contains("--ttl")) {
        const auto ttl = parse_ttl(flags["--ttl"]);
        if (!ttl) return usage_error("--ttl must be a positive duration of at most a year (3600, 90s, 15m, 1h, 7d)");
        claims.ttl = *ttl;
    }
    claims.issuer = flags["--iss"];
    claims.audience = flags["--aud"];
    claims.key_id = flags["--kid"];
    std::string secret = flags["--secret"];
    if (flags.contains("--secret-file")) {
        auto read = auth::read_secret_file(flags["--secret-file"]);
        if (!read) return failed(read.error());
        secret = std::move(*read);
    }
    auto token = auth::mint_jwt(claims, secret, flags.contains("--key") ? flags["--key"] : std::string());
    if (!token) return failed(token.error());
    std::cout << *token << "\n";
    return 0;
}

}  // namespace

int run_token(std::span<const std::string_view> args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        (args.empty() ? std::cerr : std::cout) << kUsage;
        return args.empty() ? 2 : 0;
    }
    const auto rest = args.subspan(1);
    for (const auto arg : rest) {
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
    }
    if (args[0] == "create") return create(rest);
    if (args[0] == "list") return list(rest);
    if (args[0] == "jwt") return jwt(rest);
    return usage_error("unknown subcommand '" + std::string(args[0]) + "' (create, list, jwt)");
}

}  // namespace tessera::cli
