// Scopes, static tokens and JWT verification (RFC 7515's own examples, then every claim rule).

#include <tessera/auth/authenticator.hpp>
#include <tessera/auth/jwt.hpp>
#include <tessera/auth/static_tokens.hpp>

#include "support/base64url.hpp"

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

using namespace tessera;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

namespace {

using tessera::test::base64url;

Clock::time_point at(long long seconds) { return Clock::time_point(std::chrono::seconds(seconds)); }

const std::string kSecret = "0123456789abcdef0123456789abcdef-tessera";  // 40 bytes

std::unique_ptr<auth::JwtVerifier> hs256_verifier(Clock::time_point now, auth::JwtOptions options = {}) {
    options.secret = kSecret;
    options.clock = [now] { return now; };
    return auth::JwtVerifier::open(std::move(options)).value();
}

std::string mint(auth::JwtClaims claims) { return auth::mint_jwt(claims, kSecret, {}).value(); }

auth::JwtClaims claims_at(Clock::time_point issued) {
    auth::JwtClaims claims;
    claims.subject = "alice";
    claims.scopes = {auth::Scope{auth::Access::write, ""}};
    claims.issued_at = issued;
    claims.ttl = 600s;
    return claims;
}

std::string reason(const Result<auth::Principal>& result) {
    REQUIRE_FALSE(result);
    CHECK(result.error().code() == ErrorCode::unauthorized);
    return result.error().message();
}

}  // namespace

TEST_SUITE("auth") {
    TEST_CASE("scopes: levels include the ones below, collection scopes stay in their collection") {
        auto scopes = auth::parse_scopes("read, plans:write").value();
        REQUIRE(scopes.size() == 2);
        CHECK(scopes[1].to_string() == "plans:write");
        auth::Principal principal{"p", scopes};
        CHECK(principal.allows(auth::Access::read, "guids"));
        CHECK(principal.allows(auth::Access::write, "plans"));
        CHECK_FALSE(principal.allows(auth::Access::write, "guids"));
        CHECK_FALSE(principal.allows(auth::Access::admin, ""));
        CHECK_FALSE(auth::Principal{"p", {auth::Scope{auth::Access::admin, "plans"}}}.allows(auth::Access::admin, ""));
        CHECK(auth::Principal{"p", {auth::Scope{auth::Access::admin, ""}}}.allows(auth::Access::write, "plans"));
        for (const char* bad : {"root", "plans:", ":read", "_links:read", "plans:owner"}) {
            CAPTURE(bad);
            const auto parsed = auth::parse_scope(bad);
            REQUIRE_FALSE(parsed);
            CHECK(parsed.error().code() == ErrorCode::invalid);
        }
    }

    TEST_CASE("static tokens: only hashes in the file, compared whole") {
        const std::string token = auth::generate_token();
        CHECK(token.size() == 47);
        CHECK(token.starts_with("tsr_"));
        CHECK(auth::generate_token() != token);
        const std::string hash = auth::hash_token(token);
        CHECK(hash.size() == 64);
        // SHA-256("abc"), FIPS 180-2.
        CHECK(auth::hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

        auto entries = auth::parse_tokens("# tokens\n\n" + hash + " read plans:write # ci\r\n").value();
        REQUIRE(entries.size() == 1);
        CHECK(entries[0].comment == "ci");
        auth::StaticTokens tokens(entries);
        const auto principal = tokens.authenticate(token).value();
        CHECK(principal.subject == "token:" + hash.substr(0, 12));
        CHECK(principal.allows(auth::Access::write, "plans"));
        CHECK(reason(tokens.authenticate(token + "x")) == "unknown token");
        CHECK(reason(tokens.authenticate("")) == "unknown token");

        auto clear = auth::parse_tokens(hash + " read\n" + token + " admin\n");
        REQUIRE_FALSE(clear);
        CHECK(clear.error().message().find("line 2") != std::string::npos);
        CHECK(clear.error().message().find("in clear") != std::string::npos);
        CHECK_FALSE(auth::parse_tokens(hash + "\n"));              // no scope
        CHECK_FALSE(auth::parse_tokens(hash + " superuser\n"));    // not a scope
        CHECK_FALSE(auth::parse_tokens(hash.substr(1) + " read\n"));  // not a hash
    }

    TEST_CASE("JWT: RFC 7515 A.1 (HS256) verifies, with its own key, and nothing else does") {
        // The example's key (a JWK of kty oct) and token; its exp is 1300819380 and it has no sub.
        const auto key = std::string(R"({"keys":[{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]})");
        const std::string token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
            "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        const auto dir = std::filesystem::temp_directory_path() / ("tessera-jwks-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        const auto jwks = dir / "jwks.json";
        std::ofstream(jwks) << key;
        auth::JwtOptions options;
        options.jwks_file = jwks;
        options.clock = [] { return at(1300819000); };
        auto verifier = auth::JwtVerifier::open(options).value();
        // Past the signature, the claims: this token has no subject, which Tessera requires.
        CHECK(reason(verifier->authenticate(token)) == "the token has no sub");
        std::string tampered = token;
        tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
        CHECK(reason(verifier->authenticate(tampered)) == "bad signature");
        options.clock = [] { return at(1300819380 + 61); };
        // Genuine, but past its exp and the 60 s skew.
        CHECK(reason(auth::JwtVerifier::open(options).value()->authenticate(token)) == "the token has expired");
        std::filesystem::remove_all(dir);
    }

    TEST_CASE("JWT: claims — exp, nbf, iat with the skew; iss; aud; sub; scopes") {
        const auto now = at(2'000'000'000);
        const auto verifier = hs256_verifier(now);
        const auto principal = verifier->authenticate(mint(claims_at(now))).value();
        CHECK(principal.subject == "alice");
        CHECK(principal.allows(auth::Access::write, "plans"));
        CHECK(principal.expires == now + 600s);

        CHECK(reason(verifier->authenticate(mint(claims_at(now - 600s - 61s)))) == "the token has expired");
        CHECK(verifier->authenticate(mint(claims_at(now - 600s - 59s))));  // within the skew
        auto future = claims_at(now);
        future.not_before = now + 120s;
        CHECK(reason(verifier->authenticate(mint(future))) == "the token is not valid yet");
        CHECK(reason(verifier->authenticate(mint(claims_at(now + 120s)))) == "the token was issued in the future");

        auth::JwtOptions strict;
        strict.issuer = "https://issuer.example";
        strict.audiences = {"tessera"};
        const auto checking = hs256_verifier(now, strict);
        auto claims = claims_at(now);
        CHECK(reason(checking->authenticate(mint(claims))) == "wrong issuer");
        claims.issuer = "https://issuer.example";
        CHECK(reason(checking->authenticate(mint(claims))) == "the token has no aud");
        claims.audience = "someone-else";
        CHECK(reason(checking->authenticate(mint(claims))) == "wrong audience");
        claims.audience = "tessera";
        CHECK(checking->authenticate(mint(claims)));
        // A token meant for an audience is refused where none is configured (RFC 7519 §4.1.3).
        CHECK(reason(verifier->authenticate(mint(claims))) == "wrong audience");

        auto far = claims_at(now);
        far.ttl = std::chrono::seconds(20'000'000'000);  // beyond what a time_point holds (fuzz.jwt found it)
        CHECK(reason(verifier->authenticate(mint(far))) == "exp is not a NumericDate");

        CHECK_FALSE(auth::mint_jwt(auth::JwtClaims{}, kSecret, {}));  // no subject
        CHECK_FALSE(auth::mint_jwt(claims_at(now), "short", {}));     // weak secret
    }

    TEST_CASE("JWT: the header — alg none, unknown algs, crit, typ; base64url and size") {
        const auto now = at(2'000'000'000);
        const auto verifier = hs256_verifier(now);
        const std::string payload = base64url(R"({"sub":"mallory","exp":2000000600,"scope":"admin"})");
        auto forge = [&](std::string_view header, std::string_view signature = "") {
            return base64url(header) + "." + payload + "." + std::string(signature);
        };
        CHECK(reason(verifier->authenticate(forge(R"({"alg":"none"})"))) == "alg none is never accepted");
        CHECK(reason(verifier->authenticate(forge(R"({"alg":"HS512"})", "AAAA"))).starts_with("alg 'HS512' is not accepted"));
        CHECK(reason(verifier->authenticate(forge(R"({"alg":"RS256"})", "AAAA"))) == "no key accepts RS256");
        CHECK(reason(verifier->authenticate(forge(R"({"alg":"HS256","crit":["exp"]})", "AAAA"))).starts_with("crit"));
        CHECK(reason(verifier->authenticate(forge(R"({"alg":"HS256","typ":"JOSE+JSON"})", "AAAA"))) == "typ must be JWT or at+jwt");
        CHECK(reason(verifier->authenticate(forge(R"({"typ":"JWT"})", "AAAA"))) == "the header has no alg");
        CHECK(reason(verifier->authenticate(forge("[1]", "AAAA"))) == "the header is not a JSON object");
        CHECK(reason(verifier->authenticate("e30=." + payload + ".AAAA")) == "the header is not base64url");  // padding
        CHECK(reason(verifier->authenticate("a.b")) == "not a JWT (header.payload.signature)");
        CHECK(reason(verifier->authenticate(std::string(8193, 'a'))).starts_with("the token is longer than 8192"));

        // A genuine token with one signature bit flipped, or with another payload, fails.
        const std::string good = mint(claims_at(now));
        std::string flipped = good;
        flipped.back() = flipped.back() == 'A' ? 'Q' : 'A';
        CHECK(reason(verifier->authenticate(flipped)) == "bad signature");
        const std::string swapped = good.substr(0, good.find('.') + 1) + payload + good.substr(good.rfind('.'));
        CHECK(reason(verifier->authenticate(swapped)) == "bad signature");
    }

    TEST_CASE("JWT: verified tokens are cached until they expire, and a reload empties the cache") {
        auto now = std::make_shared<Clock::time_point>(at(2'000'000'000));
        auth::JwtOptions options;
        options.secret = kSecret;
        options.clock = [now] { return *now; };
        auto verifier = auth::JwtVerifier::open(options).value();
        const std::string token = mint(claims_at(*now));
        CHECK(verifier->authenticate(token));
        CHECK(verifier->authenticate(token));  // from the cache
        *now += 600s + 61s;
        CHECK(reason(verifier->authenticate(token)) == "the token has expired");  // the cache does not outlive exp
    }

    TEST_CASE("any_of: the first that accepts; else the error of the one that recognises the token's form") {
        const std::string token = auth::generate_token();
        std::vector<std::unique_ptr<auth::Authenticator>> sources;
        sources.push_back(std::make_unique<auth::StaticTokens>(
            std::vector<auth::TokenEntry>{{auth::hash_token(token), {auth::Scope{auth::Access::read, ""}}, "", ""}}));
        sources.push_back(hs256_verifier(Clock::now()));
        const auto both = auth::any_of(std::move(sources));
        CHECK(both->authenticate(token));
        CHECK(both->authenticate(mint(claims_at(Clock::now()))));
        CHECK(reason(both->authenticate("tsr_nope")) == "unknown token");
        CHECK(reason(both->authenticate("x.y.z")) == "the header is not base64url");
    }
}
