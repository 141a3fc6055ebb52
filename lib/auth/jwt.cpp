#include <tessera/auth/jwt.hpp>

#include <tessera/json/parse.hpp>
#include <tessera/json/text.hpp>

#include "auth/crypto.hpp"
#include "auth/jwt_keys.hpp"
#include "common/encoding.hpp"
#include "common/files.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace tessera::auth {
namespace {

using Clock = std::chrono::system_clock;
using internal::Algorithm;
using internal::VerifyKey;

constexpr std::size_t kMaxKeyFileBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxSubjectBytes = 256;
constexpr json::ParseLimits kPartLimits{std::size_t{1} << 16, 8};

Error rejected(std::string reason) { return Error(ErrorCode::unauthorized, std::move(reason)); }

// A compact JWS split into its parts, still encoded.
struct Parts {
    std::string_view header, payload, signature;
    std::string_view signed_text;  // header.payload
};

std::optional<Parts> split(std::string_view token) {
    const auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
                 token.substr(0, second)};
}

Result<boost::json::object> decode_object(std::string_view part, std::string_view what) {
    auto bytes = common::base64url_decode(part);
    if (!bytes) return rejected(std::string(what) + " is not base64url");
    auto parsed = json::parse(*bytes, kPartLimits);
    if (!parsed || !parsed->is_object()) return rejected(std::string(what) + " is not a JSON object");
    return std::move(parsed->get_object());
}

// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly fractional.
std::optional<Clock::time_point> numeric_date(const boost::json::value& value) {
    double seconds = 0;
    if (value.is_int64()) {
        seconds = static_cast<double>(value.get_int64());
    } else if (value.is_uint64()) {
        seconds = static_cast<double>(value.get_uint64());
    } else if (value.is_double()) {
        seconds = value.get_double();
    } else {
        return std::nullopt;
    }
    // system_clock counts nanoseconds in 64 bits (±292 years around 1970): beyond ±8·10^9 s (the
    // year 2223) a time_point would overflow. No honest token goes there.
    if (!std::isfinite(seconds) || std::fabs(seconds) > 8e9) return std::nullopt;
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

bool printable(std::string_view text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    }
    return json::is_valid_utf8(text);
}

// Scopes from `scope` (RFC 8693 §4.2: space-separated) or `scp` (a string or an array of strings).
// Scopes that are not Tessera's (openid, email, ...) grant nothing and are skipped.
std::vector<Scope> claimed_scopes(const boost::json::object& claims) {
    std::vector<Scope> scopes;
    auto add = [&](std::string_view text) {
        for (std::size_t at = 0; at < text.size();) {
            const auto end = std::min(text.find(' ', at), text.size());
            if (auto scope = parse_scope(text.substr(at, end - at)); scope) scopes.push_back(std::move(*scope));
            at = end + 1;
        }
    };
    for (const auto* name : {"scope", "scp"}) {
        const auto* value = claims.if_contains(name);
        if (value == nullptr) continue;
        if (value->is_string()) {
            add(value->get_string());
        } else if (value->is_array()) {
            for (const auto& item : value->get_array()) {
                if (item.is_string()) add(item.get_string());
            }
        }
    }
    return scopes;
}

struct KeySet {
    std::vector<VerifyKey> keys;

    // The key for a token: the one its kid names; else (no kid, or a kid that names none of ours)
    // the only key for its algorithm — among the keys without a kid when it has one: a secret or a
    // PEM key has none, and `kid` is only a hint (RFC 7515 §4.1.4) that issuers send anyway.
    Result<const VerifyKey*> find(Algorithm algorithm, const std::string* kid) const {
        if (kid != nullptr) {
            for (const auto& key : keys) {
                if (key.key_id() != *kid) continue;
                // RFC 8725 §3.1: the key decides the algorithm, never the token.
                if (key.algorithm() != algorithm) {
                    return rejected("alg " + std::string(to_string(algorithm)) + " is not the algorithm of this key");
                }
                return &key;
            }
        }
        const VerifyKey* found = nullptr;
        std::size_t candidates = 0;
        bool unnamed = false;
        for (const auto& key : keys) {
            if (kid != nullptr && !key.key_id().empty()) continue;
            unnamed = true;
            if (key.algorithm() == algorithm) {
                found = &key;
                ++candidates;
            }
        }
        if (found == nullptr) {
            return kid != nullptr && !unnamed ? rejected("no key with this kid")
                                              : rejected("no key accepts " + std::string(to_string(algorithm)));
        }
        if (candidates > 1) return rejected("the token names no kid of ours and several keys could verify it");
        return found;
    }
};

Result<KeySet> load_keys(const JwtOptions& options) {
    KeySet set;
    const int sources = !options.secret.empty() + !options.key_file.empty() + !options.jwks_file.empty();
    if (sources != 1) return Error(ErrorCode::invalid, "a JWT verifier needs exactly one of a secret, a key file, a JWKS file");
    if (!options.secret.empty()) {
        auto key = VerifyKey::from_secret(options.secret);
        if (!key) return std::move(key).error();
        set.keys.push_back(std::move(*key));
        return set;
    }
    const auto& file = options.key_file.empty() ? options.jwks_file : options.key_file;
    auto text = common::read_file(file, kMaxKeyFileBytes);
    if (!text) return std::move(text).error();
    if (!options.key_file.empty()) {
        auto key = VerifyKey::from_pem(*text);
        if (!key) return Error(ErrorCode::invalid, file.string() + ": " + key.error().message(), {{"file", file.string()}});
        set.keys.push_back(std::move(*key));
        return set;
    }
    auto keys = internal::parse_jwks(*text);
    if (!keys) return Error(ErrorCode::invalid, file.string() + ": " + keys.error().message(), {{"file", file.string()}});
    set.keys = std::move(*keys);
    return set;
}

}  // namespace

struct JwtVerifier::Impl {
    JwtOptions options;
    mutable std::mutex mutex;  // guards `keys` (the pointer) and `cache`
    std::shared_ptr<const KeySet> keys;
    mutable std::unordered_map<std::string, Principal> cache;  // by the token's SHA-256

    Clock::time_point now() const { return options.clock ? options.clock() : Clock::now(); }

    std::shared_ptr<const KeySet> current_keys() const {
        std::lock_guard lock(mutex);
        return keys;
    }

    std::optional<Principal> cached(const std::string& digest, Clock::time_point at) const {
        if (options.cache_entries == 0) return std::nullopt;
        std::lock_guard lock(mutex);
        const auto found = cache.find(digest);
        if (found == cache.end()) return std::nullopt;
        if (found->second.expires + options.clock_skew < at) {
            cache.erase(found);
            return std::nullopt;
        }
        return found->second;
    }

    void remember(const std::string& digest, const Principal& principal, Clock::time_point at) const {
        if (options.cache_entries == 0) return;
        std::lock_guard lock(mutex);
        if (cache.size() >= options.cache_entries) {
            std::erase_if(cache, [&](const auto& entry) { return entry.second.expires + options.clock_skew < at; });
            if (cache.size() >= options.cache_entries) cache.clear();
        }
        cache.emplace(digest, principal);
    }

    Result<Principal> verify(std::string_view token, Clock::time_point at) const {
        auto parts = split(token);
        if (!parts) return rejected("not a JWT (header.payload.signature)");
        auto header = decode_object(parts->header, "the header");
        if (!header) return std::move(header).error();

        const auto* alg = header->if_contains("alg");
        if (alg == nullptr || !alg->is_string()) return rejected("the header has no alg");
        if (alg->get_string() == "none") return rejected("alg none is never accepted");
        const auto algorithm = internal::parse_algorithm(alg->get_string());
        if (!algorithm) return rejected("alg '" + json::excerpt(alg->get_string(), 16) + "' is not accepted (HS256, RS256, ES256)");
        if (header->contains("crit")) return rejected("crit header parameters are not supported (RFC 7515 §4.1.11)");
        if (const auto* typ = header->if_contains("typ")) {
            const bool jwt = typ->is_string() && (typ->get_string() == "JWT" || typ->get_string() == "at+jwt" ||
                                                  typ->get_string() == "application/at+jwt");
            if (!jwt) return rejected("typ must be JWT or at+jwt");
        }
        std::string kid_text;
        const std::string* kid = nullptr;
        if (const auto* value = header->if_contains("kid")) {
            if (!value->is_string()) return rejected("kid must be a string");
            kid_text = std::string(value->get_string());
            kid = &kid_text;
        }

        const auto keys = current_keys();
        auto key = keys->find(*algorithm, kid);
        if (!key) return std::move(key).error();
        auto signature = common::base64url_decode(parts->signature);
        if (!signature || !(*key)->verify(parts->signed_text, *signature)) return rejected("bad signature");

        // Only a token whose signature holds is read further: its claims are the issuer's.
        auto claims = decode_object(parts->payload, "the payload");
        if (!claims) return std::move(claims).error();
        return check_claims(*claims, at);
    }

    Result<Principal> check_claims(const boost::json::object& claims, Clock::time_point at) const {
        const auto skew = options.clock_skew;
        Principal principal;
        const auto* exp = claims.if_contains("exp");
        if (exp == nullptr) return rejected("the token has no exp");
        const auto expires = numeric_date(*exp);
        if (!expires) return rejected("exp is not a NumericDate");
        if (*expires + skew <= at) return rejected("the token has expired");
        principal.expires = *expires;
        if (const auto* nbf = claims.if_contains("nbf")) {
            const auto not_before = numeric_date(*nbf);
            if (!not_before) return rejected("nbf is not a NumericDate");
            if (*not_before > at + skew) return rejected("the token is not valid yet");
        }
        if (const auto* iat = claims.if_contains("iat")) {
            const auto issued = numeric_date(*iat);
            if (!issued) return rejected("iat is not a NumericDate");
            if (*issued > at + skew) return rejected("the token was issued in the future");
        }
        if (!options.issuer.empty()) {
            const auto* iss = claims.if_contains("iss");
            if (iss == nullptr || !iss->is_string() || iss->get_string() != options.issuer) return rejected("wrong issuer");
        }
        if (const auto* aud = claims.if_contains("aud")) {
            if (!audience_matches(*aud)) return rejected("wrong audience");
        } else if (!options.audiences.empty()) {
            return rejected("the token has no aud");
        }
        const auto* sub = claims.if_contains("sub");
        if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) return rejected("the token has no sub");
        if (sub->get_string().size() > kMaxSubjectBytes || !printable(sub->get_string())) {
            return rejected("sub must be at most 256 printable bytes");
        }
        principal.subject = std::string(sub->get_string());
        principal.scopes = claimed_scopes(claims);
        return principal;
    }

    // RFC 7519 §4.1.3: a token with an audience is for us only if one of its values is ours.
    bool audience_matches(const boost::json::value& aud) const {
        auto ours = [&](const boost::json::value& value) {
            return value.is_string() &&
                   std::find(options.audiences.begin(), options.audiences.end(), value.get_string()) != options.audiences.end();
        };
        if (aud.is_array()) return std::any_of(aud.get_array().begin(), aud.get_array().end(), ours);
        return ours(aud);
    }
};

Result<std::unique_ptr<JwtVerifier>> JwtVerifier::open(JwtOptions options) {
    auto keys = load_keys(options);
    if (!keys) return std::move(keys).error();
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->keys = std::make_shared<const KeySet>(std::move(*keys));
    return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(impl)));
}

JwtVerifier::JwtVerifier(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
JwtVerifier::~JwtVerifier() = default;

Result<Principal> JwtVerifier::authenticate(std::string_view token) const {
    if (token.size() > impl_->options.max_token_bytes) {
        return rejected("the token is longer than " + std::to_string(impl_->options.max_token_bytes) + " bytes");
    }
    const auto at = impl_->now();
    const std::string digest = internal::sha256(token);
    if (auto principal = impl_->cached(digest, at)) return std::move(*principal);
    auto principal = impl_->verify(token, at);
    if (principal) impl_->remember(digest, *principal, at);
    return principal;
}

bool JwtVerifier::recognises(std::string_view token) const noexcept { return looks_like_jwt(token); }

Result<void> JwtVerifier::reload() {
    if (impl_->options.jwks_file.empty() && impl_->options.key_file.empty()) return {};
    auto keys = load_keys(impl_->options);
    if (!keys) return std::move(keys).error();
    auto fresh = std::make_shared<const KeySet>(std::move(*keys));
    std::lock_guard lock(impl_->mutex);
    impl_->keys = std::move(fresh);
    impl_->cache.clear();  // a token of a key that is gone must fail from now on
    return {};
}

Result<std::string> read_secret_file(const std::filesystem::path& path) {
    auto secret = common::read_file(path, kMaxKeyFileBytes);
    if (!secret) return secret;
    while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) secret->pop_back();
    return secret;
}

Result<std::string> mint_jwt(const JwtClaims& claims, std::string_view secret, const std::filesystem::path& private_key_file) {
    if (claims.subject.empty()) return Error(ErrorCode::invalid, "a JWT needs a subject (sub)");
    const auto issued = claims.issued_at == Clock::time_point{} ? Clock::now() : claims.issued_at;
    const auto iat = std::chrono::duration_cast<std::chrono::seconds>(issued.time_since_epoch()).count();

    boost::json::object payload;
    payload["sub"] = claims.subject;
    payload["iat"] = iat;
    payload["exp"] = iat + claims.ttl.count();
    if (claims.not_before != Clock::time_point{}) {
        payload["nbf"] = std::chrono::duration_cast<std::chrono::seconds>(claims.not_before.time_since_epoch()).count();
    }
    if (!claims.issuer.empty()) payload["iss"] = claims.issuer;
    if (!claims.audience.empty()) payload["aud"] = claims.audience;
    std::string scopes;
    for (const auto& scope : claims.scopes) scopes += (scopes.empty() ? "" : " ") + scope.to_string();
    if (!scopes.empty()) payload["scope"] = scopes;

    std::string pem;
    Algorithm algorithm = Algorithm::hs256;
    if (secret.empty()) {
        auto text = common::read_file(private_key_file, kMaxKeyFileBytes);
        if (!text) return std::move(text).error();
        pem = std::move(*text);
        // The header names the algorithm, so it comes from the key before anything is signed.
        auto of_key = internal::private_key_algorithm(pem);
        if (!of_key) return Error(ErrorCode::invalid, private_key_file.string() + ": " + of_key.error().message());
        algorithm = *of_key;
    } else if (secret.size() < 32) {
        return Error(ErrorCode::invalid, "an HS256 secret needs at least 32 bytes (RFC 7518 §3.2)");
    }
    boost::json::object header{{"alg", to_string(algorithm)}, {"typ", "JWT"}};
    if (!claims.key_id.empty()) header["kid"] = claims.key_id;

    const std::string signed_text = common::base64url_encode(boost::json::serialize(header)) + "." +
                                    common::base64url_encode(boost::json::serialize(payload));
    std::string signature;
    if (algorithm == Algorithm::hs256) {
        signature = internal::hmac_sha256(secret, signed_text);
    } else {
        auto signed_ = internal::sign_with_pem(pem, signed_text);
        if (!signed_) return std::move(signed_).error();
        signature = std::move(*signed_);
    }
    return signed_text + "." + common::base64url_encode(signature);
}

}  // namespace tessera::auth
