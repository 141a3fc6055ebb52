// Bearer tokens and key sets from outside (issue #12), on any bytes: never crashes, never accepts a
// token it did not sign. The first byte picks what the rest is:
//   0: a token for a verifier with a fixed HS256 secret: never signed by it, so always refused;
//   1: a claims set, signed here with that secret, so the exp/nbf/iat/iss/aud/sub/scope checks run;
//   2: a JWK Set document.
#include "auth/crypto.hpp"
#include "auth/jwt_keys.hpp"
#include "common/encoding.hpp"

#include <tessera/auth/jwt.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

const std::string kSecret = "a fuzzing secret of at least thirty-two bytes";

tessera::auth::JwtVerifier& verifier() {
    static auto instance = [] {
        tessera::auth::JwtOptions options;
        options.secret = kSecret;
        options.issuer = "fuzz";
        options.audiences = {"tessera"};
        options.cache_entries = 64;
        options.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(2'000'000'000)); };
        return tessera::auth::JwtVerifier::open(options).value();
    }();
    return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tessera;
    if (size == 0) return 0;
    const auto mode = data[0] % 3;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (mode == 0) {
        if (verifier().authenticate(input)) std::abort();  // a forgery got through
    } else if (mode == 1) {
        const std::string text = common::base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + common::base64url_encode(input);
        const std::string token = text + "." + common::base64url_encode(auth::internal::hmac_sha256(kSecret, text));
        auto principal = verifier().authenticate(token);
        if (principal && (principal->subject.empty() || principal->subject.size() > 256)) std::abort();
    } else {
        (void)auth::internal::parse_jwks(input);
    }
    return 0;
}
